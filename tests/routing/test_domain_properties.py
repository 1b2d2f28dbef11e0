"""Properties over generated tickets: one lead, always inside the ticket's place, never dropped."""

from __future__ import annotations

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from services.routing.domain.lifecycle import Transition, escalate, reopen, report_up, return_ticket, start
from services.routing.domain.place import TicketFacts
from services.routing.domain.plan import RoutingContext
from services.routing.domain.router import route_ticket
from services.routing.store import facts_from_dict, facts_to_dict
from tests.routing.routing_world import COMMUNITIES, ITEMS, NOW, REPLICA, context

KNOWN_GRIDS = sorted(REPLICA.grids)
UNKNOWN_GRIDS = st.builds(lambda c, n: f"{c}{n:03d}", st.sampled_from(COMMUNITIES),
                          st.integers(100, 999))

tickets = st.builds(
    lambda category, grid, severity, entry: TicketFacts(
        ticket_id="330903-20261124-000001", category=category, jurisdiction=grid, occurred_at=NOW,
        severity=severity, grid_code=grid, entry_level=entry),
    category=st.sampled_from([*ITEMS, "99999999"]),
    grid=st.one_of(st.sampled_from(KNOWN_GRIDS), UNKNOWN_GRIDS),
    severity=st.sampled_from(["一般", "较大", "重大", "特别重大"]),
    entry=st.sampled_from(["grid", "community", "street", "district"]),
)


@settings(max_examples=300, deadline=None)
@given(tickets)
def test_every_ticket_gets_exactly_one_lead_whose_jurisdiction_contains_its_grid(facts: TicketFacts) -> None:
    routed = route_ticket(facts, context(), now=NOW)
    assert routed.assignment.role == "lead" and routed.co_units == []
    assert facts.grid_code is not None and facts.grid_code.startswith(routed.assignment.unit_jurisdiction)
    assert routed.assignment.unit_code.startswith(routed.assignment.unit_jurisdiction + "-")


ACTIONS = st.lists(st.sampled_from(["return", "report_up", "escalate_street", "escalate_district", "reopen"]),
                   max_size=8)


def _act(step: Transition, action: str, ctx: RoutingContext) -> Transition:
    lead = step.state.lead.unit_code
    if action == "return":
        return return_ticket(step.state, ctx, unit_code=lead, reason="x", now=NOW)
    if action == "report_up":
        return report_up(step.state, ctx, unit_code=lead, reason="x", now=NOW)
    if action == "reopen":
        return reopen(step.state, ctx, reason="x", now=NOW)
    return escalate(step.state, ctx, to_level=action.removeprefix("escalate_"), now=NOW)


@settings(max_examples=150, deadline=None)
@given(tickets, ACTIONS)
def test_any_course_of_returns_and_escalations_keeps_one_lead_inside_the_place(facts: TicketFacts,
                                                                              actions: list[str]) -> None:
    ctx = context()
    step = start(facts, ctx, now=NOW)
    for action in actions:
        before = step.state.sequence
        step = _act(step, action, ctx)
        assert step.state.sequence in (before, before + 1)
    assert facts.grid_code is not None and facts.grid_code.startswith(step.state.lead.unit_jurisdiction)
    assert step.state.returns <= ctx.version.max_returns
    assert step.state.first_unit_code == step.state.tried[0]


@settings(deadline=None)
@given(tickets)
def test_stored_facts_read_back_as_the_same_facts(facts: TicketFacts) -> None:
    """A ticket's facts survive the JSON column routing keeps them in (re-routing reads them back)."""
    assert facts_from_dict(orjson.loads(orjson.dumps(facts_to_dict(facts)))) == facts
