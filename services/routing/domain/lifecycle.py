"""A ticket's routing over its life: first routing, returns, reports up, escalations, joint handling, reopening."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from services.routing.domain.catalog import LEVEL_RANK, LEVEL_ZH, LEVELS, split_unit_code
from services.routing.domain.place import TicketFacts
from services.routing.domain.plan import Plan, RoutingContext, plan_candidates
from services.routing.domain.replica import Unit
from services.routing.domain.router import center_unit, choose, route_ticket, routed, to_center
from shared.events.base import Event
from shared.events.ticket import Assignment, TicketArbitrationRequested, TicketRouted


@dataclass(frozen=True)
class TicketRouting:
    """Routing state of one ticket; the rule version is pinned at the first routing."""

    ticket: TicketFacts
    rule_version: str
    lead: Assignment
    co_units: tuple[Assignment, ...] = ()
    tried: tuple[str, ...] = ()
    returns: int = 0
    first_unit_code: str = ""
    sequence: int = 1
    arbitration: bool = False


@dataclass(frozen=True)
class Transition:
    state: TicketRouting
    events: list[Event]

    @property
    def routed(self) -> TicketRouted | None:
        return next((e for e in self.events if isinstance(e, TicketRouted)), None)


def start(ticket: TicketFacts, ctx: RoutingContext, *, now: datetime) -> Transition:
    """Route a ticket for the first time; the first unit is recorded as first responsible (首接负责)."""
    event = route_ticket(ticket, ctx, now=now)
    lead = event.assignment
    state = TicketRouting(ticket=ticket, rule_version=ctx.version.version, lead=lead, tried=(lead.unit_code,),
                          first_unit_code=lead.unit_code)
    return Transition(state, [event])


def return_ticket(state: TicketRouting, ctx: RoutingContext, *, unit_code: str, reason: str, now: datetime) -> Transition:
    """A unit sends the ticket back: the next candidate takes it, or the center arbitrates after N returns."""
    if state.arbitration or unit_code != state.lead.unit_code:
        return Transition(state, [])
    returns = state.returns + 1
    plan = plan_candidates(state.ticket, ctx)
    plan.explanation.add("returned", True, level=state.lead.level, unit_code=unit_code,
                         en=f"return {returns} of {ctx.version.max_returns} by {unit_code}: {reason}",
                         zh=f"第{returns}次退回（上限{ctx.version.max_returns}次），退回单位 {unit_code}：{reason}")
    lead = choose(plan, exclude=state.tried, min_level="community") if returns < ctx.version.max_returns else None
    if lead is None:
        return _arbitrate(replace(state, returns=returns), ctx, plan=plan, now=now)
    _first_responsible(state, plan)
    event = routed(state.ticket, ctx, plan=plan, unit=lead, now=now, reason="returned", sequence=state.sequence + 1)
    return Transition(_moved(state, event, returns=returns), [event])


def report_up(state: TicketRouting, ctx: RoutingContext, *, unit_code: str, reason: str, now: datetime) -> Transition:
    """Beyond the unit's authority (上报): the next capable level up takes it; above the district, the center."""
    if _at_top(state, ctx) or unit_code != state.lead.unit_code:
        return Transition(state, [])
    plan = plan_candidates(state.ticket, ctx)
    plan.explanation.add("reported_up", True, level=state.lead.level, unit_code=unit_code,
                         en=f"reported up by {unit_code}: {reason}", zh=f"{unit_code} 上报：{reason}")
    return _move_up(state, ctx, plan=plan, target=_level_above(state.lead.level), reason="reported_up", now=now)


def escalate(state: TicketRouting, ctx: RoutingContext, *, to_level: str, now: datetime) -> Transition:
    """Overdue or repeated (升级): up to ``to_level``, and always at least one level above the current lead."""
    if _at_top(state, ctx):
        return Transition(state, [])
    above = _level_above(state.lead.level)
    wanted = to_level in LEVELS and LEVEL_RANK[to_level] > LEVEL_RANK.get(state.lead.level, 3)
    target = to_level if wanted else above
    plan = plan_candidates(state.ticket, ctx)
    where = target or "center"
    plan.explanation.add("escalated", True, level=target or "district", en=f"escalated to {where}",
                         zh=f"升级至{LEVEL_ZH.get(where, '区社会治理中心')}")
    return _move_up(state, ctx, plan=plan, target=target, reason="escalated", now=now)


def _at_top(state: TicketRouting, ctx: RoutingContext) -> bool:
    return state.arbitration or state.lead.unit_code == center_unit(ctx, state.lead.unit_jurisdiction[:6]).code


def _level_above(level: str) -> str | None:
    index = LEVELS.index(level) if level in LEVELS else len(LEVELS) - 1
    return LEVELS[index + 1] if index + 1 < len(LEVELS) else None


def _move_up(
    state: TicketRouting, ctx: RoutingContext, *, plan: Plan, target: str | None, reason: str, now: datetime
) -> Transition:
    """The first candidate at or above ``target`` other than the current lead; none, or no target: the center."""
    lead: Unit | None = choose(plan, exclude=(state.lead.unit_code,), min_level=target) if target else None
    if lead is None:
        event = to_center(state.ticket, ctx, plan=plan, now=now, reason=reason, sequence=state.sequence + 1)
    else:
        event = routed(state.ticket, ctx, plan=plan, unit=lead, now=now, reason=reason, sequence=state.sequence + 1)
    return Transition(_moved(state, event), [event])


def _arbitrate(state: TicketRouting, ctx: RoutingContext, *, plan: Plan, now: datetime) -> Transition:
    _first_responsible(state, plan)
    event = to_center(state.ticket, ctx, plan=plan, now=now, reason="arbitration", sequence=state.sequence + 1)
    request = TicketArbitrationRequested(
        ticket_id=state.ticket.ticket_id, occurred_at=now, jurisdiction=state.ticket.jurisdiction,
        returns=state.returns, first_unit_code=state.first_unit_code,
    )
    return Transition(replace(_moved(state, event), arbitration=True), [request, event])


def _first_responsible(state: TicketRouting, plan: Plan) -> None:
    plan.explanation.add("first_responsible", True, unit_code=state.first_unit_code,
                         en=f"{state.first_unit_code} received it first and stays responsible until arbitration",
                         zh=f"首接负责：{state.first_unit_code} 在裁定前继续负责")


def _moved(state: TicketRouting, event: TicketRouted, *, returns: int | None = None) -> TicketRouting:
    code = event.assignment.unit_code
    tried = state.tried if code in state.tried else (*state.tried, code)
    return replace(state, lead=event.assignment, co_units=tuple(event.co_units), tried=tried,
                   returns=state.returns if returns is None else returns, sequence=event.sequence)


def reopen(state: TicketRouting, ctx: RoutingContext, *, reason: str, now: datetime) -> Transition:
    """Reopened after an unsatisfied evaluation (重办): back to the unit that handled it, with a new time limit."""
    plan = plan_candidates(state.ticket, ctx)
    plan.explanation.add("reopened", True, level=state.lead.level, unit_code=state.lead.unit_code,
                         en=f"reopened: {reason}", zh=f"重办：{reason}")
    unit = ctx.replica.units.get(state.lead.unit_code) or unit_of(state.lead)
    event = routed(state.ticket, ctx, plan=plan, unit=unit, now=now, reason="reopened", sequence=state.sequence + 1)
    return Transition(_moved(state, event), [event])


def unit_of(assignment: Assignment) -> Unit:
    """The unit an earlier assignment named, even if the replica no longer lists it."""
    return Unit(code=assignment.unit_code, name=assignment.unit_name, level=assignment.level,
                division_code=assignment.unit_jurisdiction, function=split_unit_code(assignment.unit_code)[1])
