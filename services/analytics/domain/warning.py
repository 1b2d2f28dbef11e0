"""Early warning: spikes per area × category, and clusters of repeat complaints at one place.

Spike test: today's count ``k`` in one series (a grid or community × category) against a rolling
baseline ``λ`` = mean daily count over the previous ``window_days`` (floored at ``min_rate``). The day is
a spike when ``k ≥ min_count`` and the Poisson upper tail P(X ≥ k | λ) < ``alpha``.
Repeat complaints: tickets of the same category at the same place (within ``radius_m`` when both have
coordinates, else the same grid) inside a time window. Several of them call for root-cause handling
(源头治理, DOMAIN.md: "repeated complaints about the same place → escalate").
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from shared.events.alert import AlertRaised

GRID_CODE_LENGTH = 15
EARTH_RADIUS_M = 6_371_000.0


@dataclass(frozen=True, slots=True)
class SpikeParams:
    window_days: int = 28
    alpha: float = 0.001
    min_count: int = 3
    min_rate: float = 0.1


DEFAULT_SPIKE_PARAMS = SpikeParams()


@dataclass(frozen=True, slots=True)
class SpikeTest:
    count: int
    baseline: float
    p_value: float
    spike: bool


def poisson_tail(k: int, lam: float) -> float:
    """P(X ≥ k) for X ~ Poisson(lam), summed upward from k so tiny tails keep their precision."""
    if k <= 0:
        return 1.0
    if lam <= 0:
        return 0.0
    total, i = 0.0, k
    limit = k + 60 + int(12 * math.sqrt(lam) + lam)
    while i <= limit:
        term = math.exp(-lam + i * math.log(lam) - math.lgamma(i + 1))
        total += term
        if i > lam and term < total * 1e-15:
            break
        i += 1
    return min(1.0, total)


def spike_test(history: Sequence[int], count: int, *, params: SpikeParams = DEFAULT_SPIKE_PARAMS) -> SpikeTest:
    """Test today's ``count`` against the last ``window_days`` of ``history`` (oldest first)."""
    window = list(history)[-params.window_days:]
    baseline = max(params.min_rate, sum(window) / len(window)) if window else params.min_rate
    p_value = poisson_tail(count, baseline)
    return SpikeTest(count, round(baseline, 4), p_value, count >= params.min_count and p_value < params.alpha)


def spike_alert(
    test: SpikeTest, area: str, *, category: str, day: date, now: datetime, category_name: str = "",
) -> AlertRaised:
    """The ``AlertRaised`` for one spiking series; its id is stable per series and day (raised once)."""
    label = category_name or category
    return AlertRaised(
        alert_id=f"spike-{area}-{category}-{day:%Y%m%d}", occurred_at=now, jurisdiction=area, kind="spike",
        category=category, title=f"{label}工单激增：{day:%m月%d日} {test.count} 件，近期日均 {test.baseline:.1f} 件",
        evidence={"day": day.isoformat(), "count": test.count, "baseline": test.baseline,
                  "p_value": test.p_value, "test": "poisson_tail"},
    )


@dataclass(frozen=True, slots=True)
class Complaint:
    ticket_id: str
    received_at: datetime
    category: str
    jurisdiction: str
    lon: float | None = None
    lat: float | None = None


def distance_m(a: Complaint, b: Complaint) -> float:
    """Great-circle distance in metres (haversine); both complaints must have coordinates."""
    assert a.lon is not None and a.lat is not None and b.lon is not None and b.lat is not None
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def same_place(a: Complaint, b: Complaint, *, radius_m: float) -> bool:
    if None not in (a.lon, a.lat, b.lon, b.lat):
        return distance_m(a, b) <= radius_m
    return a.jurisdiction == b.jurisdiction and len(a.jurisdiction) >= GRID_CODE_LENGTH


def is_repeat(a: Complaint, b: Complaint, *, window: timedelta, radius_m: float = 100.0) -> bool:
    """Same category, same place, within ``window`` of each other, and not the same ticket."""
    return (
        a.ticket_id != b.ticket_id and a.category == b.category
        and abs(a.received_at - b.received_at) <= window and same_place(a, b, radius_m=radius_m)
    )


def repeat_of(
    new: Complaint, earlier: Iterable[Complaint], *, window: timedelta = timedelta(days=30), radius_m: float = 100.0,
) -> str | None:
    """The most recent earlier complaint ``new`` repeats, if any (counts in the repeat-complaint rate)."""
    matches = [c for c in earlier if c.received_at <= new.received_at
               and is_repeat(new, c, window=window, radius_m=radius_m)]
    return max(matches, key=lambda c: (c.received_at, c.ticket_id)).ticket_id if matches else None


def repeat_cluster(
    new: Complaint, recent: Iterable[Complaint], *, window: timedelta = timedelta(days=7),
    radius_m: float = 100.0, min_size: int = 3,
) -> list[Complaint] | None:
    """``new`` with the complaints it repeats inside ``window``, when they are at least ``min_size``.

    Complaints received after ``new`` count too: tickets of different ids may be consumed out of order.
    """
    members = [c for c in recent if is_repeat(new, c, window=window, radius_m=radius_m)]
    cluster = sorted([*members, new], key=lambda c: (c.received_at, c.ticket_id))
    return cluster if len(cluster) >= min_size else None


def cluster_alert(cluster: Sequence[Complaint], *, now: datetime, category_name: str = "") -> AlertRaised:
    """The ``AlertRaised`` for a repeat cluster; its id is its first ticket, so it is raised once."""
    first, last = cluster[0], cluster[-1]
    label = category_name or first.category
    return AlertRaised(
        alert_id=f"repeat-{first.ticket_id}", occurred_at=now, jurisdiction=last.jurisdiction,
        kind="repeat_cluster", category=first.category,
        title=f"同一地点重复投诉：{label} {len(cluster)} 件，建议源头治理",
        evidence={"ticket_ids": [c.ticket_id for c in cluster], "count": len(cluster),
                  "first_at": first.received_at.isoformat(), "last_at": last.received_at.isoformat(),
                  "location": {"lon": last.lon, "lat": last.lat} if last.lon is not None else None},
    )
