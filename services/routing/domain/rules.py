"""The authority list (权责清单) as versioned data: item × level → function key, with overrides."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from shared.taxonomy.model import Item

# (start, amount, unit) -> deadline: ``shared.workcal.WorkCalendar.add`` fits.
Deadline = Callable[[datetime, float, str], datetime]

# Severity may skip levels: 较大 skips the community, 重大/特别重大 go to the district straight away.
DEFAULT_SEVERITY_FLOOR: dict[str, str] = {"一般": "community", "较大": "street", "重大": "district", "特别重大": "district"}
# 吹哨报到: co-units report within a limit that depends on their level.
DEFAULT_JOINT_LIMITS: dict[str, tuple[float, str]] = {
    "community": (1.0, "working_hours"), "street": (2.0, "working_hours"), "district": (4.0, "working_hours"),
}


class NoRuleVersionInForce(LookupError):
    """No authority-list version of the district was in force at the ticket's time."""


@dataclass(frozen=True, slots=True)
class Override:
    """Changes the authority map where it matches: an item (code or code prefix), a place, a grid kind.

    ``authority`` is merged over the item's map; a level mapped to None is removed.
    """

    authority: Mapping[str, str | None]
    item: str = ""
    division: str = ""
    grid_kind: str = ""
    note: str = ""

    def matches(self, item_code: str, *, place: str, grid_kind: str | None) -> bool:
        return (
            item_code.startswith(self.item)
            and place.startswith(self.division)
            and (not self.grid_kind or self.grid_kind == grid_kind)
        )

    def specificity(self) -> tuple[int, int, int]:
        return (1 if self.grid_kind else 0, len(self.division), len(self.item))


@dataclass(frozen=True)
class RuleVersion:
    """One version of a district's authority list; tickets keep the version they were routed under."""

    version: str
    district: str
    effective_from: datetime
    authority: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    owners: Mapping[str, str] = field(default_factory=dict)
    overrides: tuple[Override, ...] = ()
    max_returns: int = 3
    skip_community_grid_classes: frozenset[str] = frozenset()
    severity_floor: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_SEVERITY_FLOOR))
    joint_limits: Mapping[str, tuple[float, str]] = field(default_factory=lambda: dict(DEFAULT_JOINT_LIMITS))
    fallback_sign_off: tuple[float, str] = (4.0, "working_hours")
    note: str = ""

    def base_authority(self, item_code: str, item: Item | None) -> dict[str, str]:
        """The version's own entry for the item, else the taxonomy's default ``Item.authority``."""
        if item_code in self.authority:
            return dict(self.authority[item_code])
        return dict(item.authority) if item is not None else {}

    def matching_overrides(self, item_code: str, *, place: str, grid_kind: str | None) -> list[Override]:
        found = [o for o in self.overrides if o.matches(item_code, place=place, grid_kind=grid_kind)]
        return sorted(found, key=Override.specificity)


def apply_overrides(base: Mapping[str, str], overrides: Iterable[Override]) -> dict[str, str]:
    """Merge each override over ``base`` in order (the most specific last, so it wins)."""
    merged = dict(base)
    for override in overrides:
        for level, function in override.authority.items():
            if function is None:
                merged.pop(level, None)
            else:
                merged[level] = function
    return merged


def version_in_force(versions: Iterable[RuleVersion], at: datetime) -> RuleVersion:
    """The version with the latest ``effective_from`` not after ``at``."""
    eligible = [v for v in versions if v.effective_from <= at]
    if not eligible:
        raise NoRuleVersionInForce(f"no authority-list version in force at {at.isoformat()}")
    return max(eligible, key=lambda v: v.effective_from)


def standard_overrides(items: Mapping[str, Item]) -> tuple[Override, ...]:
    """Grid-kind overrides a district starts with: sea grids go to the district fisheries unit (maritime items
    to the maritime office), park grids to the street's park office."""
    sea = [Override(authority={"community": None, "street": None, "district": "fisheries"}, grid_kind="sea",
                    note="海上网格由区海洋与渔业局处置")]
    sea += [
        Override(authority={"community": None, "street": None, "district": "maritime"}, grid_kind="sea", item=code,
                 note="海上网格水上安全事项由海事处处置")
        for code, item in sorted(items.items()) if item.authority.get("district") == "maritime"
    ]
    park = Override(authority={"community": None, "street": "park_office"}, grid_kind="park", note="园区网格由园区管委会处置")
    return (*sea, park)


def default_version(district: str, items: Mapping[str, Item], *, effective_from: datetime,
                    version: str = "default") -> RuleVersion:
    """The taxonomy's own authority with the standard grid-kind overrides: what a new district starts with."""
    return RuleVersion(version=version, district=district, effective_from=effective_from,
                       overrides=standard_overrides(items), note="由分类目录默认权责生成")


def owner_of(version: RuleVersion, item_code: str, *, item: Item | None) -> str | None:
    """A component's owner (权属单位): the version's entry, else the department the taxonomy names at the district.

    An empty entry in the version means the item has no owner.
    """
    if item_code in version.owners:
        return version.owners[item_code] or None
    if item is not None and item.kind == "component":
        return item.authority.get("district")
    return None
