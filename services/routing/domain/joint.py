"""Joint handling (吹哨报到): a street blows the whistle, departments report as co-units, one unit leads."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from services.routing.domain.lifecycle import TicketRouting, Transition, unit_of
from services.routing.domain.plan import Plan, RoutingContext, plan_candidates
from services.routing.domain.replica import Unit
from services.routing.domain.router import routed
from shared.events.ticket import Assignment


def joint(
    state: TicketRouting, ctx: RoutingContext, *, lead_unit_code: str, co_unit_codes: list[str], now: datetime
) -> Transition:
    """Assign a lead and co-units; each co-unit gets its own time limit to report (报到) by its level."""
    plan = plan_candidates(state.ticket, ctx)
    plan.explanation.add("joint", True, unit_code=lead_unit_code,
                         en=f"joint handling requested: lead {lead_unit_code}, co-units {', '.join(co_unit_codes)}",
                         zh=f"吹哨报到：主办 {lead_unit_code}，协办 {'、'.join(co_unit_codes)}")
    lead = _known_unit(lead_unit_code, ctx, plan=plan) or unit_of(state.lead)
    co_units = [
        _co_assignment(unit, ctx, now=now)
        for code in dict.fromkeys(co_unit_codes)
        if code != lead.code and (unit := _known_unit(code, ctx, plan=plan)) is not None
    ]
    event = routed(state.ticket, ctx, plan=plan, unit=lead, now=now, reason="joint", sequence=state.sequence + 1,
                   co_units=co_units)
    tried = state.tried if lead.code in state.tried else (*state.tried, lead.code)
    moved = replace(state, lead=event.assignment, co_units=tuple(co_units), tried=tried, sequence=event.sequence)
    return Transition(moved, [event])


def _known_unit(code: str, ctx: RoutingContext, *, plan: Plan) -> Unit | None:
    unit = ctx.replica.units.get(code)
    if unit is None or not unit.active:
        plan.explanation.add("joint_unit", False, unit_code=code, en=f"{code} is not an active unit in the registry",
                             zh=f"{code} 不是登记在用的单位，未纳入")
        return None
    return unit


def _co_assignment(unit: Unit, ctx: RoutingContext, *, now: datetime) -> Assignment:
    amount, limit_unit = ctx.version.joint_limits.get(unit.level, (4.0, "working_hours"))
    due = ctx.deadline(now, amount, limit_unit) if ctx.deadline is not None else None
    return Assignment(unit_code=unit.code, unit_name=unit.name, level=unit.level,
                      unit_jurisdiction=unit.division_code, role="co", due_at=due)
