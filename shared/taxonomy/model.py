"""Taxonomy values: functions (handling units by level), limits, items and the loaded taxonomy."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["event", "component"]
HandlingLevel = Literal["community", "street", "district"]
Priority = Literal["urgent", "high", "normal", "low"]
LimitUnit = Literal["working_hours", "working_days", "hours"]

HANDLING_LEVELS: tuple[HandlingLevel, ...] = ("community", "street", "district")
KINDS: tuple[Kind, ...] = ("event", "component")
PRIORITIES: tuple[Priority, ...] = ("urgent", "high", "normal", "low")
LIMIT_UNITS: tuple[LimitUnit, ...] = ("working_hours", "working_days", "hours")
LIMIT_NAMES: tuple[str, ...] = ("sign_off", "handling", "verification")

FUNCTIONS: dict[str, str] = {
    "community": "社区两委",
    "governance": "综治工作平台",
    "market": "市场监管平台",
    "enforcement": "综合执法平台",
    "services": "便民服务平台",
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
    "park_office": "园区管委会",
    "center": "区社会治理中心",
}

_STREET_FUNCTIONS = ("governance", "market", "enforcement", "services", "park_office")
FUNCTION_LEVEL: dict[str, HandlingLevel] = {
    key: "community" if key == "community" else "street" if key in _STREET_FUNCTIONS else "district"
    for key in FUNCTIONS
}


class UnknownCategory(LookupError):
    """A category code that the taxonomy does not contain."""


class UnknownTaxonomyVersion(LookupError):
    """A taxonomy version with no data file."""


class InvalidTaxonomy(ValueError):
    """A taxonomy data file that breaks the taxonomy's rules."""


@dataclass(frozen=True)
class Limit:
    amount: float
    unit: LimitUnit

    def as_dict(self) -> dict[str, Any]:
        return {"amount": self.amount, "unit": self.unit}


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    module_code: str
    module_name: str
    class_code: str
    class_name: str
    subclass_code: str
    subclass_name: str
    kind: Kind
    level: HandlingLevel
    authority: dict[str, str] = field(hash=False)
    priority: Priority
    sign_off: Limit
    handling: Limit
    verification: Limit

    def limits(self) -> dict[str, Limit]:
        return {"sign_off": self.sign_off, "handling": self.handling, "verification": self.verification}

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "kind": self.kind,
            "level": self.level,
            "authority": dict(self.authority),
            "priority": self.priority,
            "limits": {name: limit.as_dict() for name, limit in self.limits().items()},
        }


@dataclass(frozen=True)
class Taxonomy:
    version: str
    items: dict[str, Item] = field(hash=False)
    hotline: dict[str, str] = field(hash=False, repr=False)

    def item(self, code: str) -> Item:
        try:
            return self.items[code]
        except KeyError:
            raise UnknownCategory(code) from None

    def family(self, code: str) -> str:
        """The class code (first 4 digits) of a known item, subclass or class code."""
        if len(code) >= 4 and any(item_code.startswith(code) for item_code in self.items):
            return code[:4]
        raise UnknownCategory(code)

    def tree(self) -> list[dict[str, Any]]:
        modules: dict[str, dict[str, Any]] = {}
        classes: dict[str, dict[str, Any]] = {}
        subclasses: dict[str, dict[str, Any]] = {}
        for item in sorted(self.items.values(), key=lambda i: i.code):
            if item.module_code not in modules:
                modules[item.module_code] = {
                    "code": item.module_code,
                    "name": item.module_name,
                    "classes": [],
                }
            if item.class_code not in classes:
                classes[item.class_code] = {
                    "code": item.class_code,
                    "name": item.class_name,
                    "subclasses": [],
                }
                modules[item.module_code]["classes"].append(classes[item.class_code])
            if item.subclass_code not in subclasses:
                subclasses[item.subclass_code] = {
                    "code": item.subclass_code,
                    "name": item.subclass_name,
                    "items": [],
                }
                classes[item.class_code]["subclasses"].append(subclasses[item.subclass_code])
            subclasses[item.subclass_code]["items"].append(item.as_dict())
        return list(modules.values())
