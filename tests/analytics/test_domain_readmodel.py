"""Pre-aggregated counter buckets: keys, incremental deltas and the covering of a date range."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from services.analytics.domain.facts import TicketFact, apply
from services.analytics.domain.measures import Counter, add, contributions
from services.analytics.domain.readmodel import (
    BucketKey,
    cover,
    deltas,
    keys_for,
    local_day,
    period_end,
    period_start,
)
from shared.events import ticket as ev

from .builders import COMMUNITY_UNIT, GRID, at, life, received, signed


def test_ticket_counts_once_per_prefix_period_and_dimension() -> None:
    fact = apply(None, received())
    keys = keys_for(fact)
    assert len(keys) == 4 * 2 * 5  # district/street/community/grid × day/month (weeks, quarters summed) × 5 dims
    assert BucketKey("330903001", "month", date(2026, 3, 1), "channel", "hotline") in keys
    assert BucketKey("330903001001001", "day", date(2026, 3, 2), "all", "") in keys
    assert not any(key.period in ("week", "quarter") for key in keys)


def test_first_event_delta_is_the_full_contribution_everywhere() -> None:
    fact = apply(None, received())
    change = deltas(None, fact)
    assert set(change) == set(keys_for(fact))
    assert all(c == {"received": 1, "accepted": 1} for c in change.values())


def test_signing_adds_only_the_signature_counters() -> None:
    before = apply(apply(None, received()), life()[1])
    after = apply(before, signed())
    change = deltas(before, after)
    assert set(next(iter(change.values()))) == {"signed", "responded_on_time"}
    assert len(change) == 40


def test_routing_moves_the_ticket_between_unit_buckets() -> None:
    before = apply(None, received())
    after = apply(before, life()[1])
    change = deltas(before, after)
    old = BucketKey("330903", "day", date(2026, 3, 2), "unit", "-")
    new = BucketKey("330903", "day", date(2026, 3, 2), "unit", COMMUNITY_UNIT)
    assert change[old] == {"received": -1, "accepted": -1}
    assert change[new] == {"received": 1, "accepted": 1, "dispatched": 1}
    assert change[BucketKey("330903", "day", date(2026, 3, 2), "all", "")] == {"dispatched": 1}


def test_geocoding_moves_counts_from_district_to_grid_keeping_district_net_zero_changes() -> None:
    before = apply(None, received(jurisdiction="330903", grid_code=None))
    after = apply(before, ev.TicketLocated(ticket_id=before.ticket_id, occurred_at=at(1), jurisdiction=GRID,
                                           grid_code=GRID, inside=True))
    change = deltas(before, after)
    assert not any(k.prefix == "330903" for k in change)
    assert change[BucketKey(GRID, "day", date(2026, 3, 2), "all", "")] == {"received": 1, "accepted": 1}


def test_replaying_deltas_equals_contributions_of_the_final_fact() -> None:
    model: dict[BucketKey, Counter] = {}
    fact: TicketFact | None = None
    for event in life():
        new = apply(fact, event)
        for key, counter in deltas(fact, new).items():
            add(model.setdefault(key, {}), counter)
        fact = new
    assert fact is not None
    expected = contributions(fact)
    assert {k: v for k, v in model.items() if v} == {k: expected for k in keys_for(fact)}


def test_local_day_uses_china_time() -> None:
    late_utc = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)
    assert local_day(late_utc) == date(2026, 3, 2)


def test_period_boundaries() -> None:
    day = date(2026, 5, 20)  # a Wednesday
    assert period_start(day, "week") == date(2026, 5, 18)
    assert period_start(day, "quarter") == date(2026, 4, 1)
    assert period_end(date(2026, 10, 1), "quarter") == date(2026, 12, 31)
    assert period_end(date(2026, 2, 1), "month") == date(2026, 2, 28)


def test_cover_uses_whole_months_then_days() -> None:
    assert cover(date(2026, 1, 1), date(2026, 3, 31)) == [("month", date(2026, m, 1)) for m in (1, 2, 3)]
    assert cover(date(2026, 1, 30), date(2026, 3, 2)) == [("day", date(2026, 1, 30)), ("day", date(2026, 1, 31)),
                                                          ("month", date(2026, 2, 1)), ("day", date(2026, 3, 1)),
                                                          ("day", date(2026, 3, 2))]
    assert cover(date(2026, 3, 2), date(2026, 3, 4)) == [("day", date(2026, 3, 2 + i)) for i in range(3)]


def test_cover_partitions_any_range_exactly() -> None:
    rng = random.Random(7)
    for _ in range(300):
        since = date(2025, 1, 1) + timedelta(days=rng.randrange(700))
        until = since + timedelta(days=rng.randrange(400))
        days: list[date] = []
        for period, start in cover(since, until):
            days += [start + timedelta(days=i) for i in range((period_end(start, period) - start).days + 1)]
        assert days == [since + timedelta(days=i) for i in range((until - since).days + 1)]
