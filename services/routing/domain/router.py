"""One routing decision: pick the lead unit from the plan and say who, at which level, by when and why."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from services.routing.domain.catalog import FUNCTION_NAME, LEVEL_RANK, LEVEL_ZH, center_code, level_at_least
from services.routing.domain.place import TicketFacts
from services.routing.domain.plan import Plan, RoutingContext, plan_candidates
from services.routing.domain.replica import Unit
from shared.events.ticket import Assignment, TicketRouted


def route_ticket(ticket: TicketFacts, ctx: RoutingContext, *, now: datetime, sequence: int = 1) -> TicketRouted:
    """The first routing of a ticket: the lowest capable unit, or the district center when nothing covers it."""
    plan = plan_candidates(ticket, ctx)
    lead = choose(plan, exclude=(), min_level="community")
    if lead is None:
        return to_center(ticket, ctx, plan=plan, now=now, reason="unroutable", sequence=sequence)
    return routed(ticket, ctx, plan=plan, unit=lead, now=now, reason="initial", sequence=sequence)


def choose(plan: Plan, *, exclude: Collection[str], min_level: str) -> Unit | None:
    """The first candidate not yet tried at or above ``min_level``; the skips are explained."""
    for unit in plan.candidates:
        if unit.code in exclude:
            plan.explanation.add("already_tried", False, level=unit.level, unit_code=unit.code,
                                 en=f"{unit.name} already had this ticket", zh=f"{unit.name}已办理过（已退回或上报）")
        elif not level_at_least(unit.level, min_level):
            plan.explanation.add("below_target_level", False, level=unit.level, unit_code=unit.code,
                                 en=f"{unit.name} is below {min_level} level", zh=f"{unit.name}低于{LEVEL_ZH[min_level]}层级")
        else:
            return unit
    return None


def center_unit(ctx: RoutingContext, district: str) -> Unit:
    code = center_code(district)
    known = ctx.replica.units.get(code)
    if known is not None:
        return known
    return Unit(code=code, name=FUNCTION_NAME["center"], level="district", division_code=district, function="center")


def to_center(
    ticket: TicketFacts, ctx: RoutingContext, *, plan: Plan, now: datetime, reason: str, sequence: int
) -> TicketRouted:
    """Nothing else can take the ticket: the district social-governance center does, never dropped."""
    unit = center_unit(ctx, plan.place.district)
    zh = {"unroutable": "无规则覆盖，转区社会治理中心", "arbitration": "退回次数已达上限，由区社会治理中心裁定"}
    plan.explanation.add(reason, True, level="district", unit_code=unit.code,
                         en=f"{reason}: the district center takes the ticket",
                         zh=zh.get(reason, "转区社会治理中心统筹"))
    return routed(ticket, ctx, plan=plan, unit=unit, now=now, reason=reason, sequence=sequence)


def routed(
    ticket: TicketFacts, ctx: RoutingContext, *, plan: Plan, unit: Unit, now: datetime, reason: str, sequence: int,
    co_units: list[Assignment] | None = None,
) -> TicketRouted:
    _explain_lead(ticket, plan, unit=unit)
    assignment = Assignment(
        unit_code=unit.code, unit_name=unit.name, level=unit.level,
        unit_jurisdiction=unit.division_code, role="lead", due_at=sign_off_due(plan, ctx, now=now),
    )
    return TicketRouted(
        ticket_id=ticket.ticket_id, occurred_at=now, jurisdiction=ticket.jurisdiction, category=ticket.category,
        assignment=assignment, co_units=co_units or [], reason=reason,
        rule_version=ctx.version.version, explanation=plan.explanation.as_list(), sequence=sequence,
    )


def sign_off_due(plan: Plan, ctx: RoutingContext, *, now: datetime) -> datetime | None:
    """Sign-off (签收) deadline from the item's limit, on the working calendar when one is given."""
    if ctx.deadline is None:
        return None
    if plan.item is not None:
        return ctx.deadline(now, plan.item.sign_off.amount, plan.item.sign_off.unit)
    amount, unit = ctx.version.fallback_sign_off
    return ctx.deadline(now, amount, unit)


def _explain_lead(ticket: TicketFacts, plan: Plan, *, unit: Unit) -> None:
    plan.explanation.add("lead", True, level=unit.level, unit_code=unit.code,
                         en=f"lead unit: {unit.name} ({unit.code})", zh=f"主办单位：{unit.name}（{unit.code}）")
    entry = ticket.entry_level
    if entry in LEVEL_RANK and LEVEL_RANK[entry] > LEVEL_RANK.get(unit.level, 3):
        plan.explanation.add("dispatch_down", True, level=unit.level, unit_code=unit.code,
                             en=f"entered at {entry} level, dispatched down to {unit.level} where the problem is",
                             zh=f"从{LEVEL_ZH.get(entry, entry)}受理，向下派遣至问题所在的{LEVEL_ZH[unit.level]}")
    elif entry in ("district", "city"):
        plan.explanation.add("dispatch_down", False, level=unit.level, unit_code=unit.code,
                             en="entered at the district and stays there", zh="区级受理，由区级办理")
