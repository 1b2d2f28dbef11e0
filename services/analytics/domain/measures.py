"""Counters one ticket contributes, and the assessment measures computed from summed counters.

Every measure is a ratio or statistic of additive integer counters, so the figure for any jurisdiction
prefix and period is computed from a sum of pre-aggregated buckets. Formulas: ``docs/metrics.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

from services.analytics.domain import histogram
from services.analytics.domain.facts import TicketFact

Counter = dict[str, int]

SATISFIED, BASICALLY, UNSATISFIED = "满意", "基本满意", "不满意"


def contributions(fact: TicketFact) -> Counter:
    """The counters this ticket adds to every bucket it belongs to (zeros left out)."""
    if fact.received_at is None:
        return {}
    flags = {
        "received": True, "accepted": fact.accepted, "not_accepted": fact.not_accepted,
        "merged": fact.merged_into is not None, "dispatched": fact.dispatched and fact.accepted,
        "signed": fact.signed_at is not None and fact.accepted,
        "responded_on_time": fact.responded_on_time and fact.dispatched and fact.accepted,
        "closed": fact.closed and fact.accepted, "solved": fact.solved and fact.accepted,
        "closed_on_time": fact.closed_on_time and fact.accepted,
        "solved_locally": fact.solved_locally and fact.accepted,
        "first_time_solved": fact.first_time_solved and fact.accepted,
        "evaluated": fact.rating is not None, "satisfied": fact.rating == SATISFIED,
        "basically_satisfied": fact.rating == BASICALLY, "unsatisfied": fact.rating == UNSATISFIED,
        "repeat": fact.repeat_of is not None or fact.merged_into is not None,
        "overdue": fact.overdue, "grid_reports": fact.channel == "grid_worker",
        "self_resolved": fact.self_resolved,
    }
    counter: Counter = {name: 1 for name, on in flags.items() if on}
    for name in ("returns", "reopens", "reports_up"):
        if value := getattr(fact, name):
            counter[name] = value
    minutes = fact.handling_minutes if fact.accepted else None
    if minutes is not None:
        counter["handled"] = 1
        counter["handling_minutes"] = minutes
        counter[histogram.counter_name(histogram.bucket_of(minutes))] = 1
    return counter


def add(total: Counter, part: Mapping[str, int], *, sign: int = 1) -> Counter:
    """Add ``part`` (times ``sign``) into ``total`` in place, dropping names that reach zero."""
    for name, value in part.items():
        new = total.get(name, 0) + sign * value
        if new:
            total[name] = new
        else:
            total.pop(name, None)
    return total


def summed(counters: Iterable[Mapping[str, int]]) -> Counter:
    total: Counter = {}
    for counter in counters:
        add(total, counter)
    return total


@dataclass(frozen=True, slots=True)
class Measures:
    received: int
    accepted: int
    response_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None
    closure_rate: float | None
    on_time_rate: float | None
    local_resolution_share: float | None
    first_time_resolution_rate: float | None
    repeat_rate: float | None
    mean_handling_hours: float | None
    p90_handling_hours: float | None
    overdue: int
    grid_reports: int
    self_resolved: int

    def as_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator > 0 else None


def measures(c: Mapping[str, int]) -> Measures:
    """Every assessment measure from one (summed) counter map; a rate with no denominator is None."""
    g = c.get
    p90 = histogram.quantile(histogram.counts_from(c), 0.9)
    handled = g("handled", 0)
    return Measures(
        received=g("received", 0), accepted=g("accepted", 0),
        response_rate=_ratio(g("responded_on_time", 0), g("dispatched", 0)),
        resolution_rate=_ratio(g("solved", 0), g("closed", 0)),
        satisfaction_rate=_ratio(g("satisfied", 0) + g("basically_satisfied", 0), g("evaluated", 0)),
        closure_rate=_ratio(g("closed", 0), g("accepted", 0)),
        on_time_rate=_ratio(g("closed_on_time", 0), g("closed", 0)),
        local_resolution_share=_ratio(g("solved_locally", 0), g("solved", 0)),
        first_time_resolution_rate=_ratio(g("first_time_solved", 0), g("solved", 0)),
        repeat_rate=_ratio(g("repeat", 0), g("received", 0)),
        mean_handling_hours=round(g("handling_minutes", 0) / handled / 60, 2) if handled else None,
        p90_handling_hours=round(p90 / 60, 2) if p90 is not None else None,
        overdue=g("overdue", 0), grid_reports=g("grid_reports", 0), self_resolved=g("self_resolved", 0),
    )
