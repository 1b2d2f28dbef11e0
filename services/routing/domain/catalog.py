"""Handling functions: which level each function key lives at, and its Chinese unit name."""

from __future__ import annotations

from typing import Final

from shared.taxonomy import model as taxonomy

RouteLevel = taxonomy.HandlingLevel

# "小事不出村、大事不出镇、矛盾不上交": levels walked from the bottom up.
LEVELS: Final[tuple[RouteLevel, ...]] = taxonomy.HANDLING_LEVELS
LEVEL_RANK: Final[dict[str, int]] = {"grid": 0, "community": 1, "street": 2, "district": 3, "city": 4}
LEVEL_ZH: Final[dict[str, str]] = {"community": "社区/村", "street": "街道/镇", "district": "区/县", "grid": "网格", "city": "市"}

# The functions and the level their units live at are the taxonomy's (``shared.taxonomy.model``), written once.
FUNCTION_LEVEL: Final[dict[str, RouteLevel]] = taxonomy.FUNCTION_LEVEL
FUNCTION_NAME: Final[dict[str, str]] = taxonomy.FUNCTIONS
STREET_FUNCTIONS: Final[dict[str, str]] = {k: name for k, name in FUNCTION_NAME.items() if FUNCTION_LEVEL[k] == "street"}
DISTRICT_FUNCTIONS: Final[dict[str, str]] = {
    k: name for k, name in FUNCTION_NAME.items() if FUNCTION_LEVEL[k] == "district"}
CENTER: Final = "center"


def is_known_function(function: str) -> bool:
    return function in FUNCTION_LEVEL


def function_level(function: str) -> RouteLevel | None:
    """The level a function key's units live at (a park office at the street), None when unknown."""
    return FUNCTION_LEVEL.get(function)


def unit_code(division_code: str, function: str) -> str:
    return f"{division_code}-{function}"


def split_unit_code(code: str) -> tuple[str, str]:
    """("330903001", "enforcement") for "330903001-enforcement"."""
    division, _, function = code.partition("-")
    return division, function


def center_code(district: str) -> str:
    return unit_code(district, CENTER)


def level_at_least(level: str, floor: str) -> bool:
    return LEVEL_RANK[level] >= LEVEL_RANK[floor]
