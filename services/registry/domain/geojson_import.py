"""Grid import from a GeoJSON FeatureCollection, with one error line per rejected feature."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from services.registry.domain.errors import DuplicateCode, RegistryError
from services.registry.domain.grids import Grid, TeamMember, check_grid
from services.registry.domain.tree import JurisdictionTree
from services.registry.domain.validation import check_no_overlap


@dataclass(frozen=True, slots=True)
class FeatureError:
    index: int
    code: str | None
    reason: str
    error: str


@dataclass(slots=True)
class GridImport:
    accepted: list[Grid] = field(default_factory=list)
    errors: list[FeatureError] = field(default_factory=list)


def _as_list(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return tuple(str(item) for item in value)


def grid_from_feature(feature: dict[str, Any]) -> Grid:
    """Read one feature: properties code, name, kind, class, vessel_ids, worker_ids, team; geometry."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise RegistryError("not a GeoJSON Feature")
    props = feature.get("properties") or {}
    team = tuple(TeamMember(role=m["role"], name=m["name"], phone=m.get("phone", "")) for m in props.get("team", []))
    return Grid(
        code=str(props.get("code", "")), name=str(props.get("name", "")),
        kind=props.get("kind", "comprehensive"), grid_class=props.get("class", props.get("grid_class", "C")),
        polygon=feature.get("geometry"), vessel_ids=_as_list(props.get("vessel_ids")),
        worker_ids=_as_list(props.get("worker_ids")), team=team,
    )


def import_grids(
    collection: dict[str, Any], *, tree: JurisdictionTree, existing: Iterable[Grid] = (), replace: bool = False,
) -> GridImport:
    """Check every feature on its own; a bad one is reported with its reason and the rest are kept."""
    known = {grid.code: grid for grid in existing}
    report = GridImport()
    features = collection.get("features") if isinstance(collection, dict) else None
    if not isinstance(features, list) or collection.get("type") != "FeatureCollection":
        report.errors.append(FeatureError(-1, None, "not a GeoJSON FeatureCollection", "InvalidPolygon"))
        return report
    for index, feature in enumerate(features):
        code = ((feature or {}).get("properties") or {}).get("code") if isinstance(feature, dict) else None
        try:
            grid = _accept(grid_from_feature(feature), tree=tree, known=known, replace=replace)
        except (RegistryError, KeyError, TypeError, ValueError) as error:
            report.errors.append(FeatureError(index, code, str(error), type(error).__name__))
            continue
        known[grid.code] = grid
        report.accepted.append(grid)
    return report


def _accept(grid: Grid, *, tree: JurisdictionTree, known: dict[str, Grid], replace: bool) -> Grid:
    check_grid(grid, tree)
    if grid.code in known and not replace:
        raise DuplicateCode(f"grid '{grid.code}' already exists")
    if grid.is_area:
        check_no_overlap(grid, known.values())
    return grid
