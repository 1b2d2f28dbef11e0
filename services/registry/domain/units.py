"""Handling units: community 两委, the street's platforms, district departments and the district center."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from services.registry.domain.errors import InvalidDivisionCode, UnknownParentCode
from services.registry.domain.tree import Division, JurisdictionTree
from shared.events.registry import UnitKind, UnitUpserted

UnitLevel = Literal["community", "street", "district", "city"]

STREET_PLATFORMS: dict[str, str] = {
    "governance": "综治工作平台", "market": "市场监管平台", "enforcement": "综合执法平台", "services": "便民服务平台",
}
DISTRICT_DEPARTMENTS: dict[str, str] = {
    "emergency": "区应急管理局", "housing": "区住房和城乡建设局", "urban_management": "区综合行政执法局",
    "environment": "生态环境分局", "market_regulation": "区市场监督管理局", "police": "公安分局",
    "health": "区卫生健康局", "civil_affairs": "区民政局", "fisheries": "区海洋与渔业局",
    "transport": "区交通运输局", "water": "区水利局", "education": "区教育局",
    "human_resources": "区人力资源和社会保障局", "natural_resources": "自然资源和规划分局",
    "fire": "消防救援大队", "maritime": "海事处",
}
CENTER_NAME = "区社会治理中心"
PARK_OFFICE_NAME = "园区管委会"


@dataclass(frozen=True, slots=True)
class Unit:
    code: str
    name: str
    kind: UnitKind
    level: UnitLevel
    division_code: str
    function: str
    contact: str = ""
    webhook_url: str | None = None
    active: bool = True


def unit_code(division_code: str, function: str) -> str:
    return f"{division_code}-{function}"


def _kind_and_level(division: Division, function: str) -> tuple[UnitKind, UnitLevel]:
    level = division.level
    if level == "community" and function == "community":
        return "community_committee", "community"
    if level == "street" and function in STREET_PLATFORMS:
        return "street_platform", "street"
    if level == "street" and function == "park_office":
        return "park_office", "street"
    if level == "district" and function in DISTRICT_DEPARTMENTS:
        return "district_department", "district"
    if level == "district" and function == "center":
        return "district_center", "district"
    raise InvalidDivisionCode(f"no '{function}' unit exists at {level} level ({division.code})")


def _default_name(division: Division, function: str) -> str:
    if function == "community":
        return division.name + ("村两委" if division.kind == "village" else "社区两委")
    if function in STREET_PLATFORMS:
        return division.name + STREET_PLATFORMS[function]
    if function == "park_office":
        return division.name + PARK_OFFICE_NAME
    district = division.name.removesuffix("区")
    if function == "center":
        return district + CENTER_NAME
    return district + DISTRICT_DEPARTMENTS[function]


def make_unit(
    tree: JurisdictionTree, division_code: str, *, function: str, name: str = "", contact: str = "",
    webhook_url: str | None = None, active: bool = True,
) -> Unit:
    """A unit for ``function`` at ``division_code``; the code follows ``<division>-<function>``."""
    if division_code not in tree:
        raise UnknownParentCode(f"division '{division_code}' of unit '{function}' is not in the registry")
    division = tree.get(division_code)
    kind, level = _kind_and_level(division, function)
    return Unit(
        code=unit_code(division_code, function), name=name or _default_name(division, function), kind=kind,
        level=level, division_code=division_code, function=function, contact=contact,
        webhook_url=webhook_url, active=active,
    )


def standard_units(tree: JurisdictionTree, division: Division) -> list[Unit]:
    """The units every division of this level has (a park office is added only where there is a park)."""
    functions = {
        "community": ["community"], "street": list(STREET_PLATFORMS),
        "district": [*DISTRICT_DEPARTMENTS, "center"],
    }.get(division.level, [])
    return [make_unit(tree, division.code, function=function) for function in functions]


def unit_upserted(unit: Unit, *, now: datetime) -> UnitUpserted:
    return UnitUpserted(
        occurred_at=now, jurisdiction=unit.division_code, code=unit.code, name=unit.name, kind=unit.kind,
        level=unit.level, division_code=unit.division_code, function=unit.function,
        webhook_url=unit.webhook_url, active=unit.active,
    )
