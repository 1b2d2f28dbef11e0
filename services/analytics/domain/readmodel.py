"""The pre-aggregated read model: counter buckets and the deltas one event makes to them.

A ticket belongs to one bucket per (jurisdiction prefix in its code chain) × (stored period) × (dimension).
Its counters land in the period of its *receipt* (a cohort), so later events (signed, closed, evaluated)
update the bucket the ticket was counted in. The answer for any prefix and date range is a sum over the
few buckets returned by :func:`cover`, never a scan of tickets.

Buckets are stored per day and per month only: a week is the sum of its days and a quarter of its months,
summed when read. Storing weeks and quarters too cost every ticket event twice the counter rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Literal, NamedTuple

from services.analytics.domain.facts import TicketFact
from services.analytics.domain.measures import Counter, add, contributions
from shared.codes import InvalidCode, ancestry

Period = Literal["day", "week", "month", "quarter"]
Dimension = Literal["all", "unit", "category", "channel", "class"]

PERIODS: tuple[Period, ...] = ("day", "week", "month", "quarter")  # what a series may be asked by
STORED_PERIODS: tuple[Period, ...] = ("day", "month")  # what buckets are kept for
DIMENSIONS: tuple[Dimension, ...] = ("all", "unit", "category", "channel", "class")
_LARGEST_FIRST: tuple[Period, ...] = ("month", "day")
_STORED_AS: dict[Period, Period] = {"day": "day", "week": "day", "month": "month", "quarter": "month"}
NONE_VALUE = "-"
CHINA = timezone(timedelta(hours=8))


class BucketKey(NamedTuple):
    prefix: str
    period: Period
    start: date
    dim: Dimension
    value: str


def local_day(moment: datetime) -> date:
    """The Asia/Shanghai calendar day of an instant (China keeps UTC+8 all year)."""
    return moment.astimezone(CHINA).date()


def period_start(day: date, period: Period) -> date:
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def stored_period(period: Period) -> Period:
    """The stored period a ``period`` series is summed from (itself when it is stored)."""
    return _STORED_AS[period]


def period_end(start: date, period: Period) -> date:
    """The last day (inclusive) of the period that begins on ``start``."""
    if period == "day":
        return start
    if period == "week":
        return start + timedelta(days=6)
    months = 1 if period == "month" else 3
    month0 = start.month - 1 + months
    return date(start.year + month0 // 12, month0 % 12 + 1, 1) - timedelta(days=1)


def prefixes(jurisdiction: str) -> list[str]:
    """The code chain of a jurisdiction from the district down (the code itself if it is not a code)."""
    try:
        return ancestry(jurisdiction)
    except InvalidCode:
        return [jurisdiction]


def dimension_values(fact: TicketFact) -> dict[Dimension, str]:
    return {
        "all": "", "unit": fact.unit_code or NONE_VALUE, "category": fact.category or NONE_VALUE,
        "channel": fact.channel or NONE_VALUE, "class": fact.community_class or NONE_VALUE,
    }


def keys_for(fact: TicketFact) -> tuple[BucketKey, ...]:
    """Every bucket the ticket counts in; none until its receipt is known."""
    if fact.received_at is None:
        return ()
    values = dimension_values(fact)
    return _keys(fact.jurisdiction, local_day(fact.received_at), tuple(values[dim] for dim in DIMENSIONS))


@lru_cache(maxsize=4096)
def _keys(jurisdiction: str, day: date, values: tuple[str, ...]) -> tuple[BucketKey, ...]:
    """The ~40 keys of one (jurisdiction, receipt day, dimension values): every event of a ticket asks for the same
    ones, and tickets of one grid and day share them (building them each time was ~8 % of the analytics consumer)."""
    starts = [(period, period_start(day, period)) for period in STORED_PERIODS]
    return tuple(
        BucketKey(prefix, period, start, dim, value)
        for prefix in prefixes(jurisdiction) for period, start in starts for dim, value in zip(DIMENSIONS, values)
    )


def deltas(old: TicketFact | None, new: TicketFact) -> dict[BucketKey, Counter]:
    """Counter changes (non-zero only) turning the read model for ``old`` into the one for ``new``.

    Keys with the same change share one counter: callers read the counters and must not change them."""
    old_keys = keys_for(old) if old is not None else ()
    old_counter = contributions(old) if old is not None else {}
    new_keys, new_counter = keys_for(new), contributions(new)
    if old_keys == new_keys:
        change = add(dict(new_counter), old_counter, sign=-1)
        return dict.fromkeys(new_keys, change) if change else {}
    # Usually most keys stay (a routing changes only the unit's): the change of a key kept is the same for all.
    kept = set(old_keys).intersection(new_keys)
    change, removed, added = add(dict(new_counter), old_counter, sign=-1), add({}, old_counter, sign=-1), add({}, new_counter)
    result: dict[BucketKey, Counter] = {}
    for key in old_keys:
        if key not in kept and removed:
            result[key] = removed
    for key in new_keys:
        if key in kept:
            if change:
                result[key] = change
        elif added:
            result[key] = added
    return result


def cover(since: date, until: date) -> list[tuple[Period, date]]:
    """Whole stored buckets that exactly partition the days ``since``..``until`` (inclusive): months, then days."""
    return list(_cover(since, until))


def _cover(since: date, until: date) -> Iterator[tuple[Period, date]]:
    day = since
    while day <= until:
        for period in _LARGEST_FIRST:
            if period_start(day, period) == day and period_end(day, period) <= until:
                yield period, day
                day = period_end(day, period) + timedelta(days=1)
                break
