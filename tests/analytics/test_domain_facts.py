"""The per-ticket fact record folded from ticket events."""

from __future__ import annotations

from functools import reduce

from services.analytics.domain.facts import TicketFact, apply
from shared.events import ticket as ev

from .builders import (
    GRID,
    STREET_UNIT,
    at,
    closed,
    evaluated,
    life,
    overdue,
    received,
    reopened,
    resolved,
    returned,
    routed,
    signed,
    verified,
)


def fold(events: list[ev.TicketEvent], *, community_class: str | None = None) -> TicketFact:
    return reduce(lambda fact, e: apply(fact, e, community_class=community_class), events, None)  # type: ignore[arg-type]


def test_clean_life_is_solved_first_time_locally_and_on_time() -> None:
    fact = fold(life(), community_class="A")
    assert (fact.channel, fact.jurisdiction, fact.community_class) == ("hotline", GRID, "A")
    assert fact.routed_at == at(0.1) and fact.signed_at == at(0.5) and fact.closed_at == at(12)
    assert fact.unit_level == "community" and fact.rating == "满意"
    assert fact.solved and fact.first_time_solved and fact.solved_locally and fact.closed_on_time
    assert fact.responded_on_time and fact.handling_minutes == 600


def test_sign_off_overdue_before_signing_means_late_response() -> None:
    fact = fold([received(), routed(), overdue(clock="sign_off", hours=0.3), signed()])
    assert fact.sign_off_overdue and not fact.responded_on_time and fact.overdue


def test_signing_after_known_sign_off_due_is_late_even_without_overdue_event() -> None:
    fact = fold([received(), routed(), ev.TicketReminded(ticket_id="330903-20260302-000001", occurred_at=at(0.2),
                 jurisdiction=GRID, clock="sign_off", percent=80, unit_code="u", due_at=at(0.4), reason="r"),
                 signed(hours=0.5)])
    assert fact.sign_off_due == at(0.4) and not fact.responded_on_time


def test_resolution_after_handling_due_is_not_on_time() -> None:
    fact = fold([received(), routed(due=at(8)), signed(), resolved(hours=10), verified(), closed()])
    assert fact.closed and not fact.closed_on_time
    assert fold([received(), routed(due=at(8)), signed(), resolved(hours=7), closed()]).closed_on_time


def test_return_and_reroute_keep_the_final_handler_and_lose_first_time_resolution() -> None:
    events = [received(), routed(), returned(), routed(hours=1.5, unit=STREET_UNIT, level="street", sequence=2,
              reason="returned"), signed(hours=2, unit=STREET_UNIT), resolved(unit=STREET_UNIT), closed()]
    fact = fold(events)
    assert fact.unit_code == STREET_UNIT and fact.unit_level == "street" and fact.returns == 1
    assert fact.routed_at == at(0.1)
    assert fact.solved and not fact.first_time_solved and not fact.solved_locally


def test_reopen_clears_closure_and_rating_until_closed_again() -> None:
    fact = fold([*life(rating="不满意"), reopened()])
    assert fact.reopens == 1 and not fact.closed and fact.rating is None and not fact.solved
    again = fold([*life(rating="不满意"), reopened(), resolved(hours=20), closed(hours=21), evaluated(hours=22)])
    assert again.solved and not again.first_time_solved and again.handling_minutes == 20 * 60


def test_failed_verification_unsets_resolution() -> None:
    fact = fold([received(), routed(), signed(), resolved(), verified(passed=False)])
    assert fact.resolved_at is None and fact.verification_failures == 1


def test_grid_worker_self_resolution_counts_as_local_and_takes_no_time() -> None:
    fact = fold([received(channel="grid_worker", self_resolved=True), closed(hours=0.5, self_resolved=True)])
    assert fact.self_resolved and fact.solved_locally and fact.unit_level == "grid"
    assert fact.handling_minutes == 0 and not fact.dispatched


def test_closure_without_resolution_is_closed_but_not_solved() -> None:
    fact = fold([received(), routed(), signed(), closed()])
    assert fact.closed and not fact.solved and fact.handling_minutes is None


def test_not_accepted_and_merged_tickets_are_not_accepted() -> None:
    no = ev.TicketNotAccepted(ticket_id="330903-20260302-000001", occurred_at=at(1), jurisdiction=GRID,
                              reason="无效", actor="op")
    merged = ev.TicketMerged(ticket_id="330903-20260302-000001", occurred_at=at(1), jurisdiction=GRID,
                             master_id="330903-20260301-000009", confidence=0.9, actor="op")
    assert not fold([received(), no]).accepted
    assert fold([received(), merged]).merged_into == "330903-20260301-000009"
    assert not fold([received(), merged]).accepted


def test_event_before_receipt_builds_a_skeleton_and_receipt_fills_it() -> None:
    early = fold([signed()])
    assert early.received_at is None and early.signed_at == at(0.5)
    full = apply(early, received(hours=0))
    assert full.received_at == at(0) and full.signed_at == at(0.5) and full.channel == "hotline"


def test_located_moves_the_ticket_to_its_grid() -> None:
    located = ev.TicketLocated(ticket_id="330903-20260302-000001", occurred_at=at(1), jurisdiction=GRID,
                               grid_code=GRID, inside=True)
    fact = fold([received(jurisdiction="330903", grid_code=None), located])
    assert fact.jurisdiction == GRID
