"""Bench (b): latency of the 总览 figures over pre-aggregated counters generated for many tickets.

The counter rows are generated directly (not by replaying events): for each district/street/community
prefix, each stored (day and month) bucket and each dimension value, the counters a ticket population of
the requested size would sum to. One sample is one 总览 page load: the four summary calls app.js makes
(series by day, by category, by channel, by class). The baseline replays the very SQL statements of that
load on a bare driver connection (asyncpg / sqlite3).
"""

from __future__ import annotations

import random
import sqlite3
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import event as sa_event

from services.analytics import queries, store
from services.analytics.domain.readmodel import STORED_PERIODS, period_end, period_start
from shared.db import Database, make_engine
from shared.migrations import migrate

FIRST_DAY = date(2025, 1, 1)
NAMES = {"received": 1.0, "accepted": 0.97, "dispatched": 0.93, "signed": 0.92, "responded_on_time": 0.88,
         "closed": 0.85, "solved": 0.8, "closed_on_time": 0.78, "solved_locally": 0.5, "first_time_solved": 0.7,
         "evaluated": 0.6, "satisfied": 0.45, "basically_satisfied": 0.1, "handled": 0.8,
         "handling_minutes": 0.8 * 900, "h36": 0.8}
CHANNELS = {"hotline": 0.5, "rest": 0.1, "grid_worker": 0.3, "open311": 0.05, "import": 0.05}
CLASSES = {"A": 0.2, "B": 0.3, "C": 0.5}
CATEGORIES = {f"0{1 + i // 5}0{1 + i % 5}0101": 1 / 20 for i in range(20)}
LOADS = [{"period": "day", "by": None}, {"period": None, "by": "category"}, {"period": None, "by": "channel"},
         {"period": None, "by": "class"}]


@dataclass(frozen=True)
class Scale:
    tickets: int
    streets: int
    communities: int  # per street
    days: int

    def prefixes(self) -> list[tuple[str, float, str | None]]:
        """(code, share of tickets, community class) for the district, its streets and communities."""
        out: list[tuple[str, float, str | None]] = [("330903", 1.0, None)]
        for s in range(1, self.streets + 1):
            out.append((f"330903{s:03d}", 1 / self.streets, None))
            out += [(f"330903{s:03d}{c:03d}", 1 / (self.streets * self.communities), "ABC"[c % 3])
                    for c in range(1, self.communities + 1)]
        return out

    def buckets(self) -> list[tuple[str, date, int]]:
        """(period, start, days of it inside the generated range) for every bucket touching the range."""
        last = FIRST_DAY + timedelta(days=self.days - 1)
        seen: dict[tuple[str, date], int] = {}
        for offset in range(self.days):
            day = FIRST_DAY + timedelta(days=offset)
            for period in STORED_PERIODS:
                key = (period, period_start(day, period))
                seen[key] = seen.get(key, 0) + 1
        return [(p, s, n) for (p, s), n in seen.items() if s <= last]


def _values(level: int, klass: str | None, prefix: str) -> dict[str, dict[str, float]]:
    units = {f"{prefix}-community": 0.7, "-": 0.3} if level == 12 else {
        f"{prefix}-{f}": 1 / (6 if level == 9 else 12) for f in range(6 if level == 9 else 12)}
    return {"all": {"": 1.0}, "channel": CHANNELS, "category": CATEGORIES, "unit": units,
            "class": {klass: 1.0} if klass else CLASSES}


def rows(scale: Scale, *, seed: int = 7) -> Iterator[tuple[str, str, str, date, str, str, int]]:
    """Counter rows (prefix, dim, period, start, value, name, amount) for ``scale.tickets`` tickets."""
    rng = random.Random(seed)
    per_day = scale.tickets / scale.days
    buckets = scale.buckets()
    for prefix, share, klass in scale.prefixes():
        values = _values(len(prefix), klass, prefix)
        for period, start, days in buckets:
            received = per_day * share * days * rng.uniform(0.8, 1.2)
            for dim, shares in values.items():
                for value, part in shares.items():
                    base = received * part
                    for name, ratio in NAMES.items():
                        if amount := int(base * ratio):
                            yield prefix, dim, period, start, value, name, amount


async def fill_postgres(dsn: str, scale: Scale) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        batch: list[tuple[Any, ...]] = []
        total = 0
        for row in rows(scale):
            batch.append(row)
            if len(batch) >= 200_000:
                total += await _copy(connection, batch)
        total += await _copy(connection, batch)
        await connection.execute("ANALYZE counters")
    finally:
        await connection.close()
    return total


async def _copy(connection: asyncpg.Connection, batch: list[tuple[Any, ...]]) -> int:
    columns = ["prefix", "dim", "period", "start", "value", "name", "amount"]
    await connection.copy_records_to_table("counters", records=batch, columns=columns)
    count = len(batch)
    batch.clear()
    return count


def fill_sqlite(path: str, scale: Scale) -> int:
    connection = sqlite3.connect(path)
    try:
        cursor = connection.executemany(
            "INSERT INTO counters (prefix, dim, period, start, value, name, amount) VALUES (?, ?, ?, ?, ?, ?, ?)",
            ((p, d, per, s.isoformat(), v, n, a) for p, d, per, s, v, n, a in rows(scale)))
        connection.commit()
        count = cursor.rowcount
        connection.execute("ANALYZE")
    finally:
        connection.close()
    return count


def sample_requests(scale: Scale, n: int, *, seed: int = 11) -> list[tuple[str, date, date]]:
    """n random (prefix, since, until): a district/street/community and a whole month or quarter."""
    rng = random.Random(seed)
    prefixes = [code for code, _, _ in scale.prefixes()]
    starts = sorted({s for p, s, _ in scale.buckets() if p in ("month", "quarter") and s >= FIRST_DAY})
    out = []
    for _ in range(n):
        start = rng.choice(starts)
        period = "quarter" if start.month % 3 == 1 and rng.random() < 0.5 else "month"
        until = min(period_end(start, period), FIRST_DAY + timedelta(days=scale.days - 1))  # type: ignore[arg-type]
        out.append((rng.choice(prefixes), start, until))
    return out


class Capture:
    """Collects the statements a database engine runs, to replay them on a bare driver."""

    def __init__(self, db: Database) -> None:
        self.statements: list[tuple[str, Any]] = []
        sa_event.listen(db.engine.sync_engine, "before_cursor_execute", self._record)

    def _record(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        self.statements.append((statement, parameters))

    def take(self) -> list[tuple[str, Any]]:
        taken, self.statements = self.statements, []
        return [s for s in taken if s[0].lstrip().upper().startswith("SELECT")]


async def overview_load(db: Database, prefix: str, since: date, until: date) -> None:
    """The four summary calls of the 总览 page, each in its own unit of work as the API does."""
    for load in LOADS:
        async with db.uow() as uow:
            await queries.summary(uow, prefix=prefix, since=since, until=until, period=load["period"],  # type: ignore[arg-type]
                                  by=load["by"])  # type: ignore[arg-type]


async def measure(db: Database, requests: list[tuple[str, date, date]], replay: Any) -> dict[str, Any]:
    """p50/p99 of whole 总览 loads through the service code, and of the same SQL on the bare driver."""
    capture = Capture(db)
    service, raw = [], []
    await overview_load(db, *requests[0])  # warm the pool and the statement caches
    capture.take()
    for request in requests:
        begin = time.perf_counter()
        await overview_load(db, *request)
        service.append((time.perf_counter() - begin) * 1000)
        statements = capture.take()
        begin = time.perf_counter()
        await replay(statements)
        raw.append((time.perf_counter() - begin) * 1000)
    return {"loads": len(requests), "calls_per_load": len(LOADS), "service": _stats(service), "raw_sql": _stats(raw)}


def _stats(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"p50_ms": round(statistics.median(ordered), 2), "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1], 2),
            "max_ms": round(ordered[-1], 2)}


async def bench_sqlite(path: str, scale: Scale, requests: list[tuple[str, date, date]]) -> dict[str, Any]:
    db = Database(make_engine(f"sqlite+aiosqlite:///{path}"), store.Base.metadata, service="analytics",
                  district="330903")
    await migrate(db, service="analytics")
    begin = time.perf_counter()
    count = fill_sqlite(path, scale)
    filled = time.perf_counter() - begin
    connection = sqlite3.connect(path)

    async def replay(statements: list[tuple[str, Any]]) -> None:
        for statement, parameters in statements:
            connection.execute(statement, parameters).fetchall()

    try:
        result = await measure(db, requests, replay)
    finally:
        connection.close()
        await db.dispose()
    return {"counter_rows": count, "fill_seconds": round(filled, 1), **result}


async def bench_postgres(url: str, dsn: str, scale: Scale, requests: list[tuple[str, date, date]]) -> dict[str, Any]:
    db = Database(make_engine(url), store.Base.metadata, service="analytics", district="330903")
    await migrate(db, service="analytics")
    begin = time.perf_counter()
    count = await fill_postgres(dsn, scale)
    filled = time.perf_counter() - begin
    connection = await asyncpg.connect(dsn)

    async def replay(statements: list[tuple[str, Any]]) -> None:
        for statement, parameters in statements:
            await connection.fetch(statement, *parameters)

    try:
        result = await measure(db, requests, replay)
    finally:
        await connection.close()
        await db.dispose()
    return {"counter_rows": count, "fill_seconds": round(filled, 1), **result}
