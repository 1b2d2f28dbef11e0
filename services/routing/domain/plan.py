"""Which units could handle a ticket, in order: the lowest capable level first, owner before or after territory."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.routing.domain.catalog import LEVEL_ZH, LEVELS, function_level, level_at_least
from services.routing.domain.explain import Explanation
from services.routing.domain.place import Place, TicketFacts, locate
from services.routing.domain.replica import Replica, Unit
from services.routing.domain.rules import Deadline, ItemLike, RuleVersion, apply_overrides, owner_of


@dataclass(frozen=True)
class RoutingContext:
    """Everything a decision reads besides the ticket: the pinned rule version, taxonomy and registry replica."""

    version: RuleVersion
    items: Mapping[str, ItemLike]
    replica: Replica
    deadline: Deadline | None = None


@dataclass(frozen=True)
class Plan:
    place: Place
    item: ItemLike | None
    candidates: tuple[Unit, ...]
    covered: bool
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
    item = ctx.items.get(ticket.category)
    place = locate(ticket, ctx.replica, district=version.district, explanation=explanation)
    authority = _authority(ticket, item, place, version, explanation)
    floor = _floor(ticket, place, version, explanation)
    territory = _territory(authority, place, floor, ctx.replica, explanation)
    owner = _owner(ticket, item, place, floor, ctx, explanation)
    ordered = _order(item, territory, owner, explanation)
    return Plan(place, item, tuple(dict.fromkeys(ordered)), bool(authority) or bool(owner), explanation)


def _authority(
    ticket: TicketFacts, item: ItemLike | None, place: Place, version: RuleVersion, explanation: Explanation
) -> dict[str, str]:
    base = version.base_authority(ticket.category, item)
    if item is None and not base:
        explanation.add("category", False, en=f"category {ticket.category} is not in the taxonomy",
                        zh=f"事项编码 {ticket.category} 不在分类目录中")
        return {}
    source = "authority list" if ticket.category in version.authority else "taxonomy default"
    name = item.name if item is not None else ticket.category
    explanation.add("category", True, en=f"{name} ({ticket.category}): {source} {base}",
                    zh=f"事项 {name}（{ticket.category}）权责：{base}")
    overrides = version.matching_overrides(ticket.category, place=place.most_precise, grid_kind=place.grid_kind)
    for override in overrides:
        where = override.grid_kind or override.division or "all places"
        explanation.add("override", True, en=f"override for {where} ({override.item or 'all items'}): "
                        f"{dict(override.authority)}", zh=f"特别规定（{where}）：{override.note or dict(override.authority)}")
    return apply_overrides(base, overrides)


def _floor(ticket: TicketFacts, place: Place, version: RuleVersion, explanation: Explanation) -> str:
    floor = version.severity_floor.get(ticket.severity, "community")
    if floor != "community":
        explanation.add("severity", True, level=floor, en=f"severity {ticket.severity}: start at {floor} level",
                        zh=f"事件等级{ticket.severity}，起始层级为{LEVEL_ZH[floor]}")
    grid = place.grid
    if grid is not None and grid.grid_class in version.skip_community_grid_classes and floor == "community":
        explanation.add("grid_class", True, level="street", en=f"class-{grid.grid_class} grid skips the community",
                        zh=f"{grid.grid_class}类重点网格越过社区层级")
        return "street"
    return floor


def _territory(
    authority: Mapping[str, str], place: Place, floor: str, replica: Replica, explanation: Explanation
) -> list[Unit]:
    """Walk community → street → district; every level with authority and a unit is a candidate."""
    found: list[Unit] = []
    for level in LEVELS:
        unit = _unit_at(level, authority.get(level), place, floor, replica, explanation)
        if unit is not None:
            found.append(unit)
    return found


def _unit_at(
    level: str, function: str | None, place: Place, floor: str, replica: Replica, explanation: Explanation
) -> Unit | None:
    division = place.division_at(level)
    why: tuple[str, str] | None = None
    if function is None:
        why = ("no authority at this level", "该层级无处置权责")
    elif not level_at_least(level, floor):
        why = (f"below the starting level {floor}", f"低于起始层级{LEVEL_ZH[floor]}")
    elif division is None:
        why = ("the place is not known down to this level", "问题位置未精确到该层级")
    unit = replica.unit_for(division, function) if why is None and division and function else None
    code = f"{division}-{function}" if division and function else None
    if why is None and unit is None:
        why = (f"no active unit {code} in the registry", f"登记中无在用单位 {code}")
    if why is not None:
        explanation.add(f"territory:{level}", False, level=level, unit_code=code, en=why[0], zh=why[1])
        return None
    assert unit is not None
    explanation.add(f"territory:{level}", True, level=level, unit_code=unit.code,
                    en=f"{unit.name} has authority at {level} level", zh=f"{unit.name}在{LEVEL_ZH[level]}层级具有处置权责")
    return unit


def _owner(
    ticket: TicketFacts, item: ItemLike | None, place: Place, floor: str, ctx: RoutingContext, explanation: Explanation
) -> list[Unit]:
    function = owner_of(ctx.version, ticket.category, item)
    if function is None:
        return []
    level = function_level(function) or "district"
    unit = _unit_at(level, function, place, floor, ctx.replica, Explanation())
    division = place.division_at(level)
    if unit is None:
        explanation.add("owner", False, level=level, unit_code=f"{division}-{function}",
                        en=f"owner {function} has no reachable unit here", zh=f"权属单位（{function}）在此无可用单位")
        return []
    explanation.add("owner", True, level=level, unit_code=unit.code, en=f"owner of the component: {unit.name}",
                    zh=f"部件权属单位：{unit.name}")
    return [unit]


def _order(item: ItemLike | None, territory: list[Unit], owner: list[Unit], explanation: Explanation) -> list[Unit]:
    if item is not None and item.kind == "component":
        explanation.add("responsibility", True, en="component: owner first, then territory",
                        zh="部件问题：先属主后属地")
        return owner + territory
    explanation.add("responsibility", True, en="event: territory first, then owner", zh="事件问题：先属地后属主")
    return territory + owner
