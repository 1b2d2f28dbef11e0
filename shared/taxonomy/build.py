"""Expand `source.py` into the versioned data file: `python -m shared.taxonomy.build [--check]`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from shared.taxonomy.model import HANDLING_LEVELS
from shared.taxonomy.source import HOTLINE, MODULES, Row

VERSION = "2026.1"
TITLE = "网格化社会治理事项分类"
SOURCES = [
    "岳麓区网格化社会管理服务: 综治安全、城市管理、党建群团、经济管理、社会事务五大模块",
    "CJ/T 214 数字化城市管理信息系统 管理部件和事件",
    "普陀区海上网格、海上枫桥",
]
_LEVEL_BY_LETTER = {"c": "community", "s": "street", "d": "district"}
_NATURAL_PACES = ("h4", "h24")
# 接诉即办: handling in 4 working hours, 7 or 20 working days by complexity; verification in 1-2 working days.
_PACES: dict[str, tuple[tuple[float, str], tuple[float, str]]] = {
    "quick": ((4, "working_hours"), (1, "working_days")),
    "std": ((7, "working_days"), (1, "working_days")),
    "complex": ((20, "working_days"), (2, "working_days")),
    "h4": ((4, "hours"), (24, "hours")),
    "h24": ((24, "hours"), (24, "hours")),
}
# Sign-off within 1-2 working hours; urgent matters within half an hour on the natural clock.
_SIGN_OFF: dict[str, tuple[float, str]] = {
    "urgent": (0.5, "hours"),
    "high": (1, "working_hours"),
    "normal": (2, "working_hours"),
    "low": (2, "working_hours"),
}


def build() -> dict[str, Any]:
    modules = [_module(f"{m:02d}", name, classes) for m, (name, classes) in enumerate(MODULES, start=1)]
    codes = {item["name"]: item["code"] for item in _all_items(modules)}
    if len(codes) != sum(1 for _ in _all_items(modules)):
        raise ValueError("item names must be unique for the hotline mapping")
    hotline = {category: codes[name] for category, name in HOTLINE.items()}
    return {"version": VERSION, "title": TITLE, "sources": SOURCES, "modules": modules, "hotline": hotline}


def _module(code: str, name: str, classes: list[Any]) -> dict[str, Any]:
    built = []
    for c, (class_name, kind, subclasses) in enumerate(classes, start=1):
        class_code = f"{code}{c:02d}"
        built.append(
            {
                "code": class_code,
                "name": class_name,
                "subclasses": [
                    {
                        "code": f"{class_code}{s:02d}",
                        "name": sub_name,
                        "items": [
                            _item(f"{class_code}{s:02d}{i:02d}", row, kind=kind)
                            for i, row in enumerate(rows, start=1)
                        ],
                    }
                    for s, (sub_name, rows) in enumerate(subclasses, start=1)
                ],
            }
        )
    return {"code": code, "name": name, "classes": built}


def _item(code: str, row: Row, *, kind: str) -> dict[str, Any]:
    name, authority_text, priority, pace = row
    if (priority == "urgent") != (pace == "h4"):
        raise ValueError(f"{name}: urgent matters and only they use the h4 pace")
    authority = dict(_parse_authority(authority_text))
    handling, verification = _PACES[pace]
    sign_off = (1, "hours") if pace in _NATURAL_PACES and priority != "urgent" else _SIGN_OFF[priority]
    limits = {"sign_off": sign_off, "handling": handling, "verification": verification}
    return {
        "code": code,
        "name": name,
        "kind": kind,
        "level": min(authority, key=HANDLING_LEVELS.index),
        "authority": authority,
        "priority": priority,
        "limits": {key: {"amount": amount, "unit": unit} for key, (amount, unit) in limits.items()},
    }


def _parse_authority(text: str) -> list[tuple[str, str]]:
    pairs = [part.split(":") for part in text.split()]
    return sorted(
        ((_LEVEL_BY_LETTER[letter], function) for letter, function in pairs),
        key=lambda pair: HANDLING_LEVELS.index(pair[0]),
    )


def _all_items(modules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [item for m in modules for c in m["classes"] for s in c["subclasses"] for item in s["items"]]


def render() -> str:
    """The data file's text: one line per item, so a diff shows which items changed."""
    data = build()
    compact: dict[str, str] = {}
    for item in _all_items(data["modules"]):
        compact[f"@{item['code']}@"] = json.dumps(item, ensure_ascii=False)
    for module in data["modules"]:
        for klass in module["classes"]:
            for subclass in klass["subclasses"]:
                subclass["items"] = [f"@{item['code']}@" for item in subclass["items"]]
    text = json.dumps(data, ensure_ascii=False, indent=1)
    for marker, line in compact.items():
        text = text.replace(f'"{marker}"', line)
    return text + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the data file differs from the source")
    args = parser.parse_args()
    target = Path(__file__).with_name(f"v{VERSION}.json")
    if args.check:
        raise SystemExit(0 if target.read_text(encoding="utf-8") == render() else f"{target.name} is stale")
    target.write_text(render(), encoding="utf-8")


if __name__ == "__main__":
    main()
