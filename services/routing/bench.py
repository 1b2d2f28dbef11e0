"""`gridgov bench routing`: in-process routing decisions per second and their latency percentiles."""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from services.routing.domain.catalog import DISTRICT_FUNCTIONS, STREET_FUNCTIONS
from services.routing.domain.place import TicketFacts
from services.routing.domain.plan import RoutingContext
from services.routing.domain.replica import Grid, Replica, Unit
from services.routing.domain.router import route_ticket
from services.routing.domain.rules import default_version
from shared.taxonomy import load_taxonomy
from shared.workcal import WorkCalendar

_CST = timezone(timedelta(hours=8))
_KINDS = ("comprehensive",) * 8 + ("sea", "park")
_SEVERITIES = ("一般",) * 7 + ("较大", "重大", "特别重大")


def _district(district: str, *, streets: int, communities: int, grids: int) -> Replica:
    """A synthetic district: every street with its four platforms, every community with its 两委."""
    units = [Unit(f"{district}-{f}", name, "district", district, f) for f, name in DISTRICT_FUNCTIONS.items()]
    grid_rows: list[Grid] = []
    for s in range(1, streets + 1):
        street = f"{district}{s:03d}"
        units += [Unit(f"{street}-{f}", name, "street", street, f) for f, name in STREET_FUNCTIONS.items()]
        for c in range(1, communities + 1):
            community = f"{street}{c:03d}"
            units.append(Unit(f"{community}-community", "社区两委", "community", community, "community"))
            grid_rows += [Grid(f"{community}{g:03d}", f"网格{g}", _KINDS[g % len(_KINDS)], "ABC"[g % 3], community)
                          for g in range(1, grids + 1)]
    return Replica.of(grids=grid_rows, units=units)


def _tickets(replica: Replica, items: list[str], *, count: int, now: datetime) -> list[TicketFacts]:
    chooser = random.Random(7)
    grids = sorted(replica.grids)
    return [
        TicketFacts(ticket_id=f"330903-20261124-{n:06d}", category=chooser.choice(items), jurisdiction=grid,
                    occurred_at=now, severity=chooser.choice(_SEVERITIES), grid_code=grid,
                    entry_level=chooser.choice(("grid", "district")))
        for n in range(count) for grid in [chooser.choice(grids)]
    ]


def run_routing_bench(*, decisions: int = 20000, with_calendar: bool = True) -> dict[str, Any]:
    """Route ``decisions`` synthetic tickets in process; decisions per second and p50/p99 latency in ms."""
    taxonomy = load_taxonomy()
    replica = _district("330903", streets=10, communities=10, grids=6)
    version = default_version("330903", taxonomy.items, effective_from=datetime(2000, 1, 1, tzinfo=_CST))
    deadline = WorkCalendar().add if with_calendar else None
    ctx = RoutingContext(version=version, items=taxonomy.items, replica=replica, deadline=deadline)
    now = datetime(2026, 11, 24, 9, 30, tzinfo=_CST)
    tickets = _tickets(replica, sorted(taxonomy.items), count=decisions, now=now)
    latencies: list[float] = []
    started = time.perf_counter()
    for ticket in tickets:
        begin = time.perf_counter()
        route_ticket(ticket, ctx, now=now)
        latencies.append(time.perf_counter() - begin)
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "decisions": decisions,
        "decisions_per_second": round(decisions / elapsed, 1),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 4),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000, 4),
        "max_ms": round(latencies[-1] * 1000, 4),
        "target_p99_ms": 1.0,
        "units": len(replica.units),
        "grids": len(replica.grids),
        "with_calendar": with_calendar,
    }


def run(*, quick: bool = False, console: Any = None) -> dict[str, Any]:
    """Entry point for `gridgov bench routing`."""
    figures = run_routing_bench(decisions=2000 if quick else 20000)
    return {"figures": {"in_process": figures}}
