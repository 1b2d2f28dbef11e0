"""Authority-list versions: pinning, overrides, validation of uploads and what-if simulation."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from services.routing.domain.lifecycle import return_ticket, start
from services.routing.domain.router import route_ticket
from services.routing.domain.rule_data import RuleDataError, version_from_dict, version_to_dict
from services.routing.domain.rules import NoRuleVersionInForce, Override, version_in_force
from services.routing.domain.simulation import simulate
from services.routing.domain.validation import validate_version
from tests.routing.routing_world import (
    CST,
    GRID,
    ILLEGAL_FISHING,
    ITEMS,
    NEIGHBOUR_DISPUTE,
    NOW,
    REPLICA,
    ROADSIDE_VENDING,
    V1,
    context,
    ticket,
    without,
)

# v2: street 330903001 hands roadside vending to its market platform, from 1 December.
V2 = replace(V1, version="2026.2", effective_from=datetime(2026, 12, 1, tzinfo=CST),
             overrides=(*V1.overrides, Override(authority={"street": "market"}, item=ROADSIDE_VENDING,
                                                 division="330903001", note="沈家门街道由市场监管平台处置")))


def test_the_version_in_force_at_the_tickets_time_is_used() -> None:
    assert version_in_force([V1, V2], NOW).version == "2026.1"
    assert version_in_force([V1, V2], datetime(2026, 12, 1, tzinfo=CST)).version == "2026.2"
    with pytest.raises(NoRuleVersionInForce):
        version_in_force([V2], NOW)


def test_a_routed_ticket_keeps_its_version_when_a_new_one_takes_effect() -> None:
    first = start(ticket(ROADSIDE_VENDING), context(V1), now=NOW)
    later = datetime(2026, 12, 2, 9, tzinfo=CST)
    pinned = version_in_force([V1, V2], first.state.ticket.occurred_at)
    moved = return_ticket(first.state, context(pinned), unit_code="330903001-enforcement", reason="x", now=later)
    assert moved.routed is not None and moved.routed.rule_version == "2026.1"
    assert moved.state.lead.unit_code == "330903-urban_management"


def test_street_override_changes_the_platform_only_in_that_street() -> None:
    assert route_ticket(ticket(ROADSIDE_VENDING), context(V2), now=NOW).assignment.unit_code == "330903001-market"
    other = ticket(ROADSIDE_VENDING, "330903002001002")
    assert route_ticket(other, context(V2), now=NOW).assignment.unit_code == "330903002-enforcement"


def test_version_entry_replaces_the_taxonomy_default() -> None:
    version = replace(V1, authority={NEIGHBOUR_DISPUTE: {"street": "governance"}})
    routed = route_ticket(ticket(NEIGHBOUR_DISPUTE), context(version), now=NOW)
    assert routed.assignment.unit_code == "330903001-governance"


def test_version_round_trips_through_plain_data() -> None:
    assert version_from_dict(version_to_dict(V2)) == V2


def test_malformed_upload_lists_each_shape_problem() -> None:
    with pytest.raises(RuleDataError) as caught:
        version_from_dict({"version": "x", "effective_from": "2026-12-01T00:00:00", "overrides": [{"item": "01"}]})
    assert {p["field"] for p in caught.value.problems} == {"district", "effective_from", "overrides[0]"}


def test_a_clean_version_has_no_problems() -> None:
    assert validate_version(V2, items=ITEMS, replica=REPLICA) == []


def test_validation_lists_unknown_codes_functions_and_unreachable_units() -> None:
    bad = replace(
        V1,
        authority={"77777777": {"street": "enforcement"}, ROADSIDE_VENDING: {"street": "teleport"}},
        owners={NEIGHBOUR_DISPUTE: "housing"},
        overrides=(Override(authority={"district": "enforcement"}, division="330903009"),),
    )
    found = validate_version(bad, items=ITEMS, replica=without("housing"))
    problems = {(p["code"], p["field"]) for p in found}
    assert {
        ("unknown_item", "77777777"),
        ("unknown_function", f"authority.{ROADSIDE_VENDING}.street"),
        ("unreachable_unit", f"owners.{NEIGHBOUR_DISPUTE}"),
        ("wrong_level", "overrides[0].authority.district"),
        ("unknown_division", "overrides[0].division"),
        ("no_unit_for_item", ROADSIDE_VENDING),
    } <= problems
    assert all(p["detail"] for p in found)


def test_item_with_no_unit_in_the_registry_is_a_problem() -> None:
    problems = validate_version(V1, items=ITEMS, replica=without("fisheries"))
    uncovered = {p["field"] for p in problems if p["code"] == "no_unit_for_item"}
    assert ILLEGAL_FISHING in uncovered and ROADSIDE_VENDING not in uncovered
    assert ("unreachable_unit", "fisheries") in {(p["code"], p["detail"].split("'")[1]) for p in problems
                                                  if p["code"] == "unreachable_unit"}


def test_simulation_reports_who_gains_and_loses_tickets() -> None:
    tickets = [ticket(ROADSIDE_VENDING, occurred_at=NOW + timedelta(minutes=i)) for i in range(3)]
    tickets += [ticket(ROADSIDE_VENDING, "330903002001002"), ticket(NEIGHBOUR_DISPUTE, GRID)]
    draft = replace(V2, authority={NEIGHBOUR_DISPUTE: {"street": "governance"}})
    diff = simulate(tickets, current=context(V1), draft=context(draft))
    assert (diff["total"], diff["changed"]) == (5, 4)
    assert diff["changes"] == [
        {"from": "330903001-enforcement", "to": "330903001-market", "count": 3},
        {"from": "330903001001-community", "to": "330903001-governance", "count": 1},
    ]
    assert diff["levels_before"] == {"street": 4, "community": 1}
    assert diff["levels_after"] == {"street": 5}
    assert (diff["community_share_before"], diff["community_share_after"]) == (0.2, 0.0)
