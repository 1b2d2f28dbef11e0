"""Residency that stays true: expired floating records leave the live counts and become verification tasks.

Jianye: migrants who moved out were never deregistered, so 13 grids showed 1,500+ residents where 5 lived.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from services.registry.domain.people import Person
from services.registry.domain.places import Building
from shared.events.alert import AlertRaised

JUMP_RATIO = 2.0
JUMP_MINIMUM = 20
STALE_SHARE = 0.5
STALE_MINIMUM = 20


@dataclass(frozen=True, slots=True)
class VerificationTask:
    person_id: str
    grid_code: str
    expired_at: datetime
    worker_id: str | None


@dataclass(frozen=True, slots=True)
class GridAnomaly:
    grid_code: str
    reasons: tuple[str, ...]
    recorded: int
    live: int
    capacity: int
    previous: int | None


def is_live(person: Person, *, now: datetime) -> bool:
    """Counted as living here: not moved out, and (for 流动/境外) verified within the validity period."""
    if person.moved_out_at is not None and person.moved_out_at <= now:
        return False
    return person.expires_at is None or person.expires_at > now


def is_expired(person: Person, *, now: datetime) -> bool:
    return person.moved_out_at is None and person.expires_at is not None and person.expires_at <= now


def live_counts(persons: Iterable[Person], *, now: datetime) -> dict[str, int]:
    return dict(Counter(p.grid_code for p in persons if is_live(p, now=now)))


def verification_tasks(
    persons: Iterable[Person], *, now: datetime, workers_by_grid: Mapping[str, tuple[str, ...]] | None = None,
) -> list[VerificationTask]:
    """One task per expired record, for the grid's first worker (None when the grid has none)."""
    workers = workers_by_grid or {}
    tasks = [
        VerificationTask(p.id, p.grid_code, p.expires_at, (workers.get(p.grid_code) or (None,))[0])
        for p in persons if is_expired(p, now=now) and p.expires_at is not None
    ]
    return sorted(tasks, key=lambda t: (t.grid_code, t.expired_at, t.person_id))


def _reasons(*, recorded: int, live: int, capacity: int, previous: int | None) -> tuple[str, ...]:
    reasons = []
    if capacity and recorded > capacity:
        reasons.append("recorded_over_capacity")
    if capacity and live > capacity:
        reasons.append("live_over_capacity")
    stale = recorded - live
    if stale >= STALE_MINIMUM and stale > STALE_SHARE * recorded:
        reasons.append("mostly_unverified")
    if previous is not None and abs(live - previous) >= JUMP_MINIMUM and (
        live > JUMP_RATIO * previous or previous > JUMP_RATIO * live
    ):
        reasons.append("count_jump")
    return tuple(reasons)


def anomaly_report(
    persons: Iterable[Person], buildings: Iterable[Building], *, now: datetime,
    previous: Mapping[str, int] | None = None,
) -> list[GridAnomaly]:
    """Grids whose counts jump against ``previous`` live counts or exceed what their buildings can hold."""
    recorded: Counter[str] = Counter()
    live: Counter[str] = Counter()
    for person in persons:
        if person.moved_out_at is None or person.moved_out_at > now:
            recorded[person.grid_code] += 1
            live[person.grid_code] += is_live(person, now=now)
    capacity: defaultdict[str, int] = defaultdict(int)
    for building in buildings:
        capacity[building.grid_code] += building.capacity
    found = []
    for grid in sorted(set(recorded) | set(previous or {})):
        before = (previous or {}).get(grid)
        reasons = _reasons(recorded=recorded[grid], live=live[grid], capacity=capacity[grid], previous=before)
        if reasons:
            found.append(GridAnomaly(grid, reasons, recorded[grid], live[grid], capacity[grid], before))
    return found


def anomaly_alerts(anomalies: Iterable[GridAnomaly], *, now: datetime) -> list[AlertRaised]:
    return [
        AlertRaised(
            alert_id=f"residency-{a.grid_code}-{now:%Y%m%d}", occurred_at=now, jurisdiction=a.grid_code,
            kind="residency_anomaly",
            title=f"网格 {a.grid_code} 实有人口数据异常：登记 {a.recorded} 人，核实在住 {a.live} 人",
            evidence={"reasons": list(a.reasons), "recorded": a.recorded, "live": a.live, "capacity": a.capacity,
                      "previous": a.previous},
        )
        for a in anomalies
    ]
