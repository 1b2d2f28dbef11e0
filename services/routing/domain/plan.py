"""Which units could handle a ticket, in order: the lowest capable level first, owner before or after territory."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.routing.domain.catalog import LEVEL_ZH, LEVELS, function_level, level_at_least
from services.routing.domain.explain import Explanation
from services.routing.domain.place import Place, TicketFacts, locate
from services.routing.domain.replica import Replica, Unit
from services.routing.domain.rules import Deadline, RuleVersion, apply_overrides, owner_of
from shared.taxonomy.model import Item


@dataclass(frozen=True)
class RoutingContext:
    """Everything a decision reads besides the ticket: the pinned rule version, taxonomy and registry replica."""

    version: RuleVersion
    items: Mapping[str, Item]
    replica: Replica
    deadline: Deadline | None = None


@dataclass(frozen=True)
class Plan:
    place: Place
    item: Item | None
    candidates: tuple[Unit, ...]
    explanation: Explanation


def plan_candidates(ticket: TicketFacts, ctx: RoutingContext) -> Plan:
    """Candidate units for the ticket in the order they are tried, with the reasons."""
    explanation = Explanation()
    version = ctx.version
    explanation.add(
        "rule_version", True,
        en=f"authority list {version.version} in force since {version.effective_from.isoformat()}",
        zh=f"适用权责清单版本 {version.version}（{version.effective_from.isoformat()} 起施行）",
    )
    place = locate(ticket, ctx.replica, district=version.district, explanation=explanation)
    walk = _Walk(ticket, ctx, place=place, item=ctx.items.get(ticket.category), explanation=explanation)
    authority = walk.authority()
    floor = walk.floor()
    territory = [unit for level in LEVELS if (unit := walk.unit_at(level, authority.get(level), floor=floor))]
    owner = walk.owner(floor=floor)
    ordered = walk.order(territory, owner)
    return Plan(place, walk.item, tuple(dict.fromkeys(ordered)), explanation)


class _Walk:
    """One walk up the levels for one ticket: 小事不出村、大事不出镇、矛盾不上交."""

    def __init__(self, ticket: TicketFacts, ctx: RoutingContext, *, place: Place, item: Item | None,
                 explanation: Explanation) -> None:
        self.ticket, self.ctx, self.place, self.item, self.explanation = ticket, ctx, place, item, explanation

    def authority(self) -> dict[str, str]:
        code, version, explain = self.ticket.category, self.ctx.version, self.explanation
        base = version.base_authority(code, self.item)
        if self.item is None and not base:
            explain.add("category", False, en=f"category {code} is not in the taxonomy", zh=f"事项编码 {code} 不在分类目录中")
            return {}
        source = "authority list" if code in version.authority else "taxonomy default"
        name = self.item.name if self.item is not None else code
        explain.add("category", True, en=f"{name} ({code}): {source} {base}", zh=f"事项 {name}（{code}）权责：{base}")
        place = self.place
        overrides = version.matching_overrides(code, place=place.most_precise, grid_kind=place.grid_kind)
        for override in overrides:
            where = override.grid_kind or override.division or "all places"
            explain.add("override", True, en=f"override for {where} ({override.item or 'all items'}): "
                        f"{dict(override.authority)}", zh=f"特别规定（{where}）：{override.note or dict(override.authority)}")
        return apply_overrides(base, overrides)

    def floor(self) -> str:
        """The lowest level the ticket may start at: severity and grid class may skip levels."""
        severity, version = self.ticket.severity, self.ctx.version
        floor = version.severity_floor.get(severity, "community")
        if floor != "community":
            self.explanation.add("severity", True, level=floor, en=f"severity {severity}: start at {floor} level",
                                 zh=f"事件等级{severity}，起始层级为{LEVEL_ZH[floor]}")
        grid = self.place.grid
        if grid is not None and grid.grid_class in version.skip_community_grid_classes and floor == "community":
            self.explanation.add("grid_class", True, level="street", en=f"class-{grid.grid_class} grid skips the community",
                                 zh=f"{grid.grid_class}类重点网格越过社区层级")
            return "street"
        return floor

    def unit_at(self, level: str, function: str | None, *, floor: str, quiet: bool = False) -> Unit | None:
        """The unit with ``function`` at ``level`` above the ticket's place, if it may and can take it."""
        division = self.place.division_at(level)
        code = f"{division}-{function}" if division and function else None
        why: tuple[str, str] | None = None
        if function is None:
            why = ("no authority at this level", "该层级无处置权责")
        elif not level_at_least(level, floor):
            why = (f"below the starting level {floor}", f"低于起始层级{LEVEL_ZH[floor]}")
        elif division is None:
            why = ("the place is not known down to this level", "问题位置未精确到该层级")
        unit = self.ctx.replica.unit_for(division, function) if why is None and division and function else None
        if why is None and unit is None:
            why = (f"no active unit {code} in the registry", f"登记中无在用单位 {code}")
        if quiet:
            return unit
        if unit is None:
            assert why is not None
            self.explanation.add(f"territory:{level}", False, level=level, unit_code=code, en=why[0], zh=why[1])
            return None
        self.explanation.add(f"territory:{level}", True, level=level, unit_code=unit.code,
                             en=f"{unit.name} has authority at {level} level",
                             zh=f"{unit.name}在{LEVEL_ZH[level]}层级具有处置权责")
        return unit

    def owner(self, *, floor: str) -> list[Unit]:
        function = owner_of(self.ctx.version, self.ticket.category, item=self.item)
        if function is None:
            return []
        level = function_level(function) or "district"
        unit = self.unit_at(level, function, floor=floor, quiet=True)
        if unit is None:
            self.explanation.add("owner", False, level=level, unit_code=f"{self.place.division_at(level)}-{function}",
                                 en=f"owner {function} has no reachable unit here", zh=f"权属单位（{function}）在此无可用单位")
            return []
        self.explanation.add("owner", True, level=level, unit_code=unit.code, en=f"owner: {unit.name}",
                             zh=f"权属单位：{unit.name}")
        return [unit]

    def order(self, territory: list[Unit], owner: list[Unit]) -> list[Unit]:
        if self.item is not None and self.item.kind == "component":
            self.explanation.add("responsibility", True, en="component: owner first, then territory",
                                 zh="部件问题：先属主后属地")
            return owner + territory
        self.explanation.add("responsibility", True, en="event: territory first, then owner", zh="事件问题：先属地后属主")
        return territory + owner
