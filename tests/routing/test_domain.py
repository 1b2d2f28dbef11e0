"""Routing decisions over realistic cases: who handles a ticket, at which level, and why."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from services.routing.domain.joint import joint
from services.routing.domain.lifecycle import escalate, reopen, report_up, return_ticket, start
from services.routing.domain.router import route_ticket
from shared.events.ticket import TicketArbitrationRequested, TicketRouted
from tests.routing.routing_world import (
    FISHING_DISPUTE,
    GAS_LEAK,
    GRID_A,
    ILLEGAL_FISHING,
    MAN_OVERBOARD,
    MANHOLE_COVER,
    NEIGHBOUR_DISPUTE,
    NOW,
    PARK_GRID,
    ROADSIDE_VENDING,
    SEA_GRID,
    V1,
    context,
    ticket,
)

CASES = [
    pytest.param(ticket(ROADSIDE_VENDING), "330903001-enforcement", "street", id="占道经营 → street enforcement"),
    pytest.param(ticket(NEIGHBOUR_DISPUTE), "330903001001-community", "community", id="邻里纠纷 → community"),
    pytest.param(ticket(GAS_LEAK, severity="重大"), "330903-emergency", "district", id="燃气泄漏 重大 → district emergency"),
    pytest.param(ticket(NEIGHBOUR_DISPUTE, severity="较大"), "330903001-governance", "street", id="较大 skips community"),
    pytest.param(ticket(NEIGHBOUR_DISPUTE, severity="特别重大"), "330903-civil_affairs", "district",
                 id="特别重大 → district"),
    pytest.param(ticket(FISHING_DISPUTE, SEA_GRID), "330903-fisheries", "district", id="渔事纠纷 on a sea grid → fisheries"),
    pytest.param(ticket(NEIGHBOUR_DISPUTE, SEA_GRID), "330903-fisheries", "district", id="any sea-grid event → fisheries"),
    pytest.param(ticket(MAN_OVERBOARD, SEA_GRID), "330903-maritime", "district", id="船员落水 on a sea grid → maritime"),
    pytest.param(ticket(ILLEGAL_FISHING, SEA_GRID), "330903-fisheries", "district", id="非法捕捞 → fisheries"),
    pytest.param(ticket(ROADSIDE_VENDING, PARK_GRID), "330903002-park_office", "street", id="park grid → park office"),
    pytest.param(ticket(MANHOLE_COVER), "330903-water", "district", id="component → owner first"),
    pytest.param(ticket(ROADSIDE_VENDING, None, jurisdiction="330903002"), "330903002-enforcement", "street",
                 id="street known, no grid"),
    pytest.param(ticket("99999999"), "330903-center", "district", id="unknown category → center"),
]


@pytest.mark.parametrize(("facts", "unit_code", "level"), CASES)
def test_ticket_goes_to_the_lowest_capable_unit(facts, unit_code: str, level: str) -> None:
    routed = route_ticket(facts, context(), now=NOW)
    assert (routed.assignment.unit_code, routed.assignment.level) == (unit_code, level)
    assert routed.rule_version == "2026.1"
    assert routed.assignment.unit_jurisdiction == unit_code.split("-")[0]


def test_sign_off_due_comes_from_the_items_limit() -> None:
    routed = route_ticket(ticket(GAS_LEAK, severity="重大"), context(), now=NOW)
    assert routed.assignment.unit_code == "330903-emergency"
    assert routed.assignment.due_at == NOW + timedelta(hours=0.5)


def test_explanation_steps_carry_both_languages_and_the_level_walk() -> None:
    routed = route_ticket(ticket(ROADSIDE_VENDING), context(), now=NOW)
    steps = {step["rule"]: step for step in routed.explanation}
    assert steps["territory:community"]["taken"] is False
    assert steps["territory:street"]["taken"] is True
    assert steps["lead"]["unit_code"] == "330903001-enforcement"
    assert all({"step", "rule", "taken", "why_en", "why_zh", "level", "unit_code"} <= set(s) for s in routed.explanation)
    assert [s["step"] for s in routed.explanation] == list(range(1, len(routed.explanation) + 1))


def test_unknown_category_is_never_dropped_but_sent_to_the_center_as_unroutable() -> None:
    routed = route_ticket(ticket("99999999"), context(), now=NOW)
    assert routed.reason == "unroutable"
    assert routed.assignment.due_at == NOW + timedelta(hours=4)


def test_hotline_ticket_entering_at_the_district_is_dispatched_down() -> None:
    facts = ticket(ROADSIDE_VENDING, entry_level="district", channel="hotline")
    routed = route_ticket(facts, context(), now=NOW)
    step = next(s for s in routed.explanation if s["rule"] == "dispatch_down")
    assert routed.assignment.unit_code == "330903001-enforcement"
    assert step["taken"] is True


def test_class_a_grid_skips_the_community_when_configured() -> None:
    facts = ticket(NEIGHBOUR_DISPUTE, GRID_A)
    assert route_ticket(facts, context(), now=NOW).assignment.level == "community"
    skipping = replace(V1, skip_community_grid_classes=frozenset({"A"}))
    assert route_ticket(facts, context(skipping), now=NOW).assignment.unit_code == "330903001-governance"


def test_three_returns_send_the_ticket_to_the_center_for_arbitration() -> None:
    ctx = context()
    step = start(ticket(NEIGHBOUR_DISPUTE), ctx, now=NOW)
    walked = [step.state.lead.unit_code]
    for _ in range(3):
        step = return_ticket(step.state, ctx, unit_code=step.state.lead.unit_code, reason="不属于本单位职责", now=NOW)
        walked.append(step.state.lead.unit_code)
    assert walked == ["330903001001-community", "330903001-governance", "330903-civil_affairs", "330903-center"]
    request, routed = step.events
    assert isinstance(request, TicketArbitrationRequested) and isinstance(routed, TicketRouted)
    assert (request.returns, request.first_unit_code) == (3, "330903001001-community")
    assert routed.reason == "arbitration" and routed.sequence == 4
    assert any(s["rule"] == "first_responsible" for s in routed.explanation)


def test_return_with_no_further_candidate_goes_to_arbitration_early() -> None:
    ctx = context()
    first = start(ticket(ILLEGAL_FISHING, SEA_GRID), ctx, now=NOW)
    assert first.state.lead.unit_code == "330903-fisheries"
    step = return_ticket(first.state, ctx, unit_code="330903-fisheries", reason="非本单位", now=NOW)
    assert step.routed is not None and step.routed.reason == "arbitration"
    assert step.state.arbitration is True


def test_return_from_a_unit_that_no_longer_holds_the_ticket_changes_nothing() -> None:
    ctx = context()
    first = start(ticket(NEIGHBOUR_DISPUTE), ctx, now=NOW)
    step = return_ticket(first.state, ctx, unit_code="330903001-market", reason="x", now=NOW)
    assert step.events == [] and step.state == first.state


def test_component_goes_to_its_owner_first_then_the_territory() -> None:
    ctx = context()
    first = start(ticket(MANHOLE_COVER), ctx, now=NOW)
    second = return_ticket(first.state, ctx, unit_code="330903-water", reason="非本单位权属", now=NOW)
    assert first.state.lead.unit_code == "330903-water"
    assert second.state.lead.unit_code == "330903001-enforcement"
    assert next(s for s in first.events[0].explanation if s["rule"] == "responsibility")["why_zh"] == "部件问题：先属主后属地"


def test_event_with_an_owner_goes_to_the_territory_first() -> None:
    ctx = context(replace(V1, owners={ROADSIDE_VENDING: "market_regulation"}))
    assert route_ticket(ticket(ROADSIDE_VENDING), ctx, now=NOW).assignment.unit_code == "330903001-enforcement"


def test_reported_up_goes_to_the_next_capable_level() -> None:
    ctx = context()
    first = start(ticket(NEIGHBOUR_DISPUTE), ctx, now=NOW)
    up = report_up(first.state, ctx, unit_code="330903001001-community", reason="超出权限", now=NOW)
    assert up.routed is not None and up.routed.reason == "reported_up"
    assert up.state.lead.unit_code == "330903001-governance"


def test_reported_up_past_the_last_capable_level_reaches_the_center() -> None:
    ctx = context()
    first = start(ticket(ROADSIDE_VENDING, PARK_GRID), ctx, now=NOW)
    up = report_up(first.state, ctx, unit_code="330903002-park_office", reason="超出权限", now=NOW)
    assert up.state.lead.unit_code == "330903-urban_management"


def test_escalation_moves_the_ticket_to_the_requested_level() -> None:
    ctx = context()
    first = start(ticket(ROADSIDE_VENDING), ctx, now=NOW)
    up = escalate(first.state, ctx, to_level="district", now=NOW)
    assert up.routed is not None and up.routed.reason == "escalated" and up.routed.sequence == 2
    assert up.state.lead.unit_code == "330903-urban_management"


def test_joint_handling_assigns_co_units_each_with_its_own_due_time() -> None:
    ctx = context()
    first = start(ticket(ROADSIDE_VENDING), ctx, now=NOW)
    step = joint(first.state, ctx, lead_unit_code="330903001-enforcement",
                 co_unit_codes=["330903-urban_management", "330903001001-community", "330903-nowhere"], now=NOW)
    routed = step.routed
    assert routed is not None and routed.reason == "joint"
    assert routed.assignment.unit_code == "330903001-enforcement"
    due = {co.unit_code: co.due_at for co in routed.co_units}
    assert due == {"330903-urban_management": NOW + timedelta(hours=4), "330903001001-community": NOW + timedelta(hours=1)}
    assert all(co.role == "co" for co in routed.co_units)


def test_reopened_ticket_returns_to_its_last_lead_with_a_new_sequence() -> None:
    ctx = context()
    first = start(ticket(ROADSIDE_VENDING), ctx, now=NOW)
    again = reopen(first.state, ctx, reason="群众不满意", now=NOW + timedelta(days=2))
    assert again.routed is not None and again.routed.reason == "reopened"
    assert (again.state.lead.unit_code, again.state.sequence) == ("330903001-enforcement", 2)


def test_district_department_reporting_up_hands_the_ticket_to_the_center() -> None:
    ctx = context()
    first = start(ticket(GAS_LEAK), ctx, now=NOW)
    up = report_up(first.state, ctx, unit_code="330903-emergency", reason="需多部门统筹", now=NOW)
    assert (up.state.lead.unit_code, up.routed.reason if up.routed else None) == ("330903-center", "reported_up")
    again = report_up(up.state, ctx, unit_code="330903-center", reason="x", now=NOW)
    assert again.events == []


def test_escalation_to_a_level_below_the_lead_still_moves_up_one_level() -> None:
    ctx = context()
    first = start(ticket(NEIGHBOUR_DISPUTE), ctx, now=NOW)
    street = escalate(first.state, ctx, to_level="community", now=NOW)
    district = escalate(street.state, ctx, to_level="street", now=NOW)
    top = escalate(district.state, ctx, to_level="district", now=NOW)
    assert [s.state.lead.unit_code for s in (street, district, top)] == [
        "330903001-governance", "330903-civil_affairs", "330903-center"]
    assert escalate(top.state, ctx, to_level="district", now=NOW).events == []
