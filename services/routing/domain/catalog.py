"""Handling functions: which level each function key lives at, and its Chinese unit name."""

from __future__ import annotations

from typing import Final, Literal

RouteLevel = Literal["community", "street", "district"]

# "小事不出村、大事不出镇、矛盾不上交": levels walked from the bottom up.
LEVELS: Final[tuple[RouteLevel, ...]] = ("community", "street", "district")
LEVEL_RANK: Final[dict[str, int]] = {"grid": 0, "community": 1, "street": 2, "district": 3, "city": 4}
LEVEL_ZH: Final[dict[str, str]] = {"community": "社区/村", "street": "街道/镇", "district": "区/县", "grid": "网格", "city": "市"}

COMMUNITY_FUNCTIONS: Final[dict[str, str]] = {"community": "社区两委"}
STREET_FUNCTIONS: Final[dict[str, str]] = {
    "governance": "综治工作平台",
    "market": "市场监管平台",
    "enforcement": "综合执法平台",
    "services": "便民服务平台",
    "park_office": "园区管委会",
}
DISTRICT_FUNCTIONS: Final[dict[str, str]] = {
    "emergency": "区应急管理局",
    "housing": "区住房和城乡建设局",
    "urban_management": "区综合行政执法局",
    "environment": "生态环境分局",
    "market_regulation": "区市场监督管理局",
    "police": "公安分局",
    "health": "区卫生健康局",
    "civil_affairs": "区民政局",
    "fisheries": "区海洋与渔业局",
    "transport": "区交通运输局",
    "water": "区水利局",
    "education": "区教育局",
    "human_resources": "区人力资源和社会保障局",
    "natural_resources": "自然资源和规划分局",
    "fire": "消防救援大队",
    "maritime": "海事处",
    "center": "区社会治理中心",
}

FUNCTION_LEVEL: Final[dict[str, RouteLevel]] = {
    **{key: "community" for key in COMMUNITY_FUNCTIONS},
    **{key: "street" for key in STREET_FUNCTIONS},
    **{key: "district" for key in DISTRICT_FUNCTIONS},
}
FUNCTION_NAME: Final[dict[str, str]] = {**COMMUNITY_FUNCTIONS, **STREET_FUNCTIONS, **DISTRICT_FUNCTIONS}
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
