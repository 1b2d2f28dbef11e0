"""Read the versioned taxonomy JSON files shipped in this package, checking them as they load."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any, cast

from shared.taxonomy.model import (
    FUNCTION_LEVEL,
    FUNCTIONS,
    HANDLING_LEVELS,
    KINDS,
    LIMIT_NAMES,
    LIMIT_UNITS,
    PRIORITIES,
    HandlingLevel,
    InvalidTaxonomy,
    Item,
    Kind,
    Limit,
    LimitUnit,
    Priority,
    Taxonomy,
    UnknownTaxonomyVersion,
)

_PACKAGE = "shared.taxonomy"
_FILE = re.compile(r"^v(\d+(?:\.\d+)*)\.json$")


@lru_cache(maxsize=1)
def _versions() -> tuple[str, ...]:
    names = (entry.name for entry in resources.files(_PACKAGE).iterdir())
    versions = [match.group(1) for match in map(_FILE.match, names) if match]
    return tuple(sorted(versions, key=lambda v: tuple(int(part) for part in v.split("."))))


def available_versions() -> list[str]:
    """Versions with a data file, oldest first (the package's data files do not change while it runs)."""
    return list(_versions())


def load_taxonomy(version: str | None = None) -> Taxonomy:
    """The taxonomy of `version`, or of the newest version when None (cached)."""
    if version is None:
        versions = available_versions()
        if not versions:
            raise UnknownTaxonomyVersion("no taxonomy data file")
        version = versions[-1]
    return _load(version)


def hotline_mapping(version: str | None = None) -> dict[str, str]:
    """12345 hotline category name → item code."""
    return dict(load_taxonomy(version).hotline)


@lru_cache(maxsize=8)
def _load(version: str) -> Taxonomy:
    resource = resources.files(_PACKAGE).joinpath(f"v{version}.json")
    if not resource.is_file():
        raise UnknownTaxonomyVersion(version)
    data = json.loads(resource.read_text(encoding="utf-8"))
    if data.get("version") != version:
        raise InvalidTaxonomy(f"v{version}.json declares version {data.get('version')!r}")
    items = {item.code: item for item in _items(data["modules"])}
    hotline = {str(name): str(code) for name, code in data.get("hotline", {}).items()}
    unknown = sorted(code for code in hotline.values() if code not in items)
    if unknown:
        raise InvalidTaxonomy(f"hotline mapping targets unknown items {unknown}")
    return Taxonomy(version=version, items=items, hotline=hotline)


def _items(modules: list[dict[str, Any]]) -> list[Item]:
    items: list[Item] = []
    for module in modules:
        _check_code(module, parent="", length=2)
        for klass in module["classes"]:
            _check_code(klass, parent=module["code"], length=4)
            for subclass in klass["subclasses"]:
                _check_code(subclass, parent=klass["code"], length=6)
                for raw in subclass["items"]:
                    _check_code(raw, parent=subclass["code"], length=8)
                    names = {"module_name": module["name"], "class_name": klass["name"]}
                    items.append(_item(raw, subclass_name=subclass["name"], **names))
    codes = [item.code for item in items]
    if len(set(codes)) != len(codes):
        raise InvalidTaxonomy("duplicate item codes")
    return items


def _item(raw: dict[str, Any], *, module_name: str, class_name: str, subclass_name: str) -> Item:
    code = raw["code"]
    authority = {str(level): str(function) for level, function in raw["authority"].items()}
    level = _check_authority(code, authority)
    if raw.get("level") != level:
        raise InvalidTaxonomy(f"{code}: level {raw.get('level')!r} is not the lowest level in its authority")
    limits = {name: _limit(code, raw["limits"][name]) for name in LIMIT_NAMES}
    return Item(
        code=code,
        name=raw["name"],
        module_code=code[:2],
        module_name=module_name,
        class_code=code[:4],
        class_name=class_name,
        subclass_code=code[:6],
        subclass_name=subclass_name,
        kind=cast(Kind, _one_of(code, raw.get("kind"), KINDS)),
        level=level,
        authority=authority,
        priority=cast(Priority, _one_of(code, raw.get("priority"), PRIORITIES)),
        sign_off=limits["sign_off"],
        handling=limits["handling"],
        verification=limits["verification"],
    )


def _check_authority(code: str, authority: dict[str, str]) -> HandlingLevel:
    if not authority:
        raise InvalidTaxonomy(f"{code}: empty authority")
    for level, function in authority.items():
        if level not in HANDLING_LEVELS or function not in FUNCTIONS or FUNCTION_LEVEL[function] != level:
            raise InvalidTaxonomy(f"{code}: {function!r} cannot handle at level {level!r}")
    return min((cast(HandlingLevel, level) for level in authority), key=HANDLING_LEVELS.index)


def _limit(code: str, raw: dict[str, Any]) -> Limit:
    amount = float(raw["amount"])
    if amount <= 0:
        raise InvalidTaxonomy(f"{code}: limit amount must be positive")
    return Limit(amount=amount, unit=cast(LimitUnit, _one_of(code, raw.get("unit"), LIMIT_UNITS)))


def _one_of(code: str, value: object, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise InvalidTaxonomy(f"{code}: {value!r} is not one of {allowed}")
    return value


def _check_code(node: dict[str, Any], *, parent: str, length: int) -> None:
    code = node.get("code", "")
    if not (isinstance(code, str) and len(code) == length and code.isdigit() and code.startswith(parent)):
        raise InvalidTaxonomy(f"code {code!r} is not {length} digits under {parent!r}")
