"""Rule versions to and from plain JSON-shaped data (uploads, storage)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.routing.domain.rules import DEFAULT_JOINT_LIMITS, DEFAULT_SEVERITY_FLOOR, Override, RuleVersion

LIMIT_UNITS = ("working_hours", "working_days", "hours")


class RuleDataError(ValueError):
    """An uploaded rule version that is not well formed; ``problems`` lists each problem."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        super().__init__("; ".join(p["detail"] for p in problems))
        self.problems = problems


def problem(code: str, where: str, *, detail: str) -> dict[str, str]:
    return {"code": code, "field": where, "detail": detail}


def version_from_dict(data: dict[str, Any]) -> RuleVersion:
    """Parse an uploaded or stored version; raises RuleDataError listing every shape problem."""
    problems: list[dict[str, str]] = []
    for key in ("version", "district", "effective_from"):
        if not isinstance(data.get(key), str) or not data.get(key):
            problems.append(problem("missing_field", key, detail=f"'{key}' is required (a string)"))
    effective = _parse_time(data.get("effective_from"), problems)
    overrides = tuple(_override(raw, f"overrides[{i}]", problems=problems) for i, raw in enumerate(data.get("overrides", [])))
    if problems:
        raise RuleDataError(problems)
    assert effective is not None
    try:
        return _build(data, effective, overrides=overrides)
    except (TypeError, ValueError) as error:
        raise RuleDataError([problem("invalid_value", "", detail=f"malformed rule version: {error}")]) from error


def _build(data: dict[str, Any], effective: datetime, *, overrides: tuple[Override, ...]) -> RuleVersion:
    return RuleVersion(
        version=data["version"], district=data["district"], effective_from=effective,
        authority={code: dict(levels) for code, levels in dict(data.get("authority", {})).items()},
        owners=dict(data.get("owners", {})), overrides=overrides,
        max_returns=int(data.get("max_returns", 3)),
        skip_community_grid_classes=frozenset(data.get("skip_community_grid_classes", [])),
        severity_floor=dict(data.get("severity_floor", DEFAULT_SEVERITY_FLOOR)),
        joint_limits={k: (float(v[0]), str(v[1])) for k, v in dict(data.get("joint_limits", DEFAULT_JOINT_LIMITS)).items()},
        fallback_sign_off=_limit(data.get("fallback_sign_off", (4.0, "working_hours"))),
        note=str(data.get("note", "")),
    )


def version_to_dict(version: RuleVersion) -> dict[str, Any]:
    return {
        "version": version.version,
        "district": version.district,
        "effective_from": version.effective_from.isoformat(),
        "authority": {code: dict(levels) for code, levels in version.authority.items()},
        "owners": dict(version.owners),
        "overrides": [
            {"item": o.item, "division": o.division, "grid_kind": o.grid_kind, "authority": dict(o.authority),
             "note": o.note}
            for o in version.overrides
        ],
        "max_returns": version.max_returns,
        "skip_community_grid_classes": sorted(version.skip_community_grid_classes),
        "severity_floor": dict(version.severity_floor),
        "joint_limits": {level: list(limit) for level, limit in version.joint_limits.items()},
        "fallback_sign_off": list(version.fallback_sign_off),
        "note": version.note,
    }


def _parse_time(value: Any, problems: list[dict[str, str]]) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        problems.append(problem("invalid_time", "effective_from", detail=f"'{value}' is not an ISO 8601 time"))
        return None
    if parsed.tzinfo is None:
        problems.append(problem("invalid_time", "effective_from", detail="effective_from needs a UTC offset (+08:00)"))
        return None
    return parsed


def _override(raw: Any, where: str, *, problems: list[dict[str, str]]) -> Override:
    if not isinstance(raw, dict) or not isinstance(raw.get("authority"), dict):
        problems.append(problem("invalid_override", where, detail="an override needs an 'authority' object"))
        return Override(authority={})
    return Override(
        authority=dict(raw["authority"]), item=str(raw.get("item") or ""), division=str(raw.get("division") or ""),
        grid_kind=str(raw.get("grid_kind") or ""), note=str(raw.get("note") or ""),
    )


def _limit(value: Any) -> tuple[float, str]:
    amount, unit = value
    return float(amount), str(unit)
