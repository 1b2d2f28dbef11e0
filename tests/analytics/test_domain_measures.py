"""Measures on a hand-computed example of seven tickets (see docs/metrics.md for the formulas)."""

from __future__ import annotations

from dataclasses import replace
from functools import reduce

import pytest

from services.analytics.domain import histogram
from services.analytics.domain.facts import TicketFact, apply
from services.analytics.domain.measures import contributions, measures, summed
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
    resolved,
    returned,
    routed,
    signed,
)


def fold(events: list[ev.TicketEvent]) -> TicketFact:
    return reduce(lambda fact, e: apply(fact, e), events, None)  # type: ignore[arg-type]


def tid(n: int) -> str:
    return f"330903-20260302-{n:06d}"


def seven_tickets() -> list[TicketFact]:
    t2, t3 = tid(2), tid(3)
    street = {"unit": STREET_UNIT, "level": "street"}
    return [
        fold(life(tid(1), rating="满意")),
        fold([received(t2), routed(t2, **street), overdue(t2, clock="sign_off", hours=0.3), signed(t2, hours=0.6),
              overdue(t2, clock="handling", hours=15), resolved(t2, hours=20, unit=STREET_UNIT), closed(t2, hours=21),
              evaluated(t2, rating="基本满意")]),
        fold([received(t3), routed(t3), returned(t3), routed(t3, hours=1.5, sequence=2, reason="returned", **street),
              signed(t3, hours=2), resolved(t3, hours=30, unit=STREET_UNIT), closed(t3, hours=31),
              evaluated(t3, hours=32, rating="不满意")]),
        fold([received(tid(4)), routed(tid(4)), signed(tid(4)), closed(tid(4))]),
        fold([received(tid(5)), ev.TicketNotAccepted(ticket_id=tid(5), occurred_at=at(1), jurisdiction=GRID,
                                                     reason="无效", actor="op")]),
        fold([received(tid(6), channel="grid_worker", self_resolved=True), closed(tid(6), hours=0.5, self_resolved=True)]),
        replace(fold([received(tid(7)), routed(tid(7))]), repeat_of=tid(1)),
    ]


def test_three_rates_and_closure_figures_match_the_hand_computation() -> None:
    m = measures(summed(contributions(f) for f in seven_tickets()))
    assert (m.received, m.accepted) == (7, 6)
    assert m.response_rate == 0.6  # T1, T3, T4 signed in time / T1, T2, T3, T4, T7 dispatched
    assert m.resolution_rate == 0.8  # T1, T2, T3, T6 solved / T1, T2, T3, T4, T6 closed
    assert m.satisfaction_rate == pytest.approx(0.6667)  # 满意 + 基本满意 / 3 evaluated
    assert m.closure_rate == pytest.approx(0.8333)  # 5 closed / 6 accepted
    assert m.on_time_rate == 0.8  # T2 was overdue in handling
    assert m.local_resolution_share == 0.5  # T1 (community) and T6 (grid worker) of 4 solved
    assert m.first_time_resolution_rate == 0.75  # T3 was returned once
    assert m.repeat_rate == pytest.approx(0.1429)  # T7 repeats T1
    assert (m.overdue, m.grid_reports, m.self_resolved) == (1, 1, 1)


def test_handling_time_mean_and_p90_come_from_counters() -> None:
    m = measures(summed(contributions(f) for f in seven_tickets()))
    assert m.mean_handling_hours == 15.0  # (600 + 1200 + 1800 + 0) / 4 minutes
    assert m.p90_handling_hours == round(2048 / 60, 2)  # 1800 min lies in bucket [2^10.75, 2^11)


def test_rates_without_denominator_are_none() -> None:
    m = measures({})
    assert m.response_rate is None and m.satisfaction_rate is None and m.p90_handling_hours is None
    assert m.received == 0


def test_ticket_without_receipt_contributes_nothing() -> None:
    assert contributions(fold([signed()])) == {}


def test_histogram_quantile_is_within_one_bucket_of_exact() -> None:
    values = [5, 30, 90, 240, 600, 1500, 4000, 9000, 20000, 60000]
    counts = [0] * histogram.BUCKETS
    for v in values:
        counts[histogram.bucket_of(v)] += 1
    p90 = histogram.quantile(counts, 0.9)
    assert p90 is not None and 20000 <= p90 <= 20000 * 2 ** 0.25
    assert histogram.bucket_of(0) == 0 and histogram.bucket_of(10 ** 9) == histogram.BUCKETS - 1
