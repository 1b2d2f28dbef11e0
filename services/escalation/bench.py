"""`gridgov bench timers`: durable timers under load, on PostgreSQL and SQLite.

Per backend: bulk-load ``pending`` future timers plus a wave of due ones, then run the real scheduler
(claim → domain → outbox, at the configured interval and batch) and measure
- ``burst``: the whole wave already due at once — fires per second while draining it;
- ``paced``: a second wave coming due at ``PACED_RATE`` per second from now — lateness (commit time − due time);
- ``raw_claim``: the bare ``UPDATE … WHERE key IN (SELECT … [FOR UPDATE SKIP LOCKED] LIMIT n) RETURNING`` loop
  on the same rows, no domain work and no outbox: the ceiling the scheduler is compared with.
"""

from __future__ import annotations

import asyncio
import resource
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import asyncpg
from sqlalchemy import DateTime, bindparam, text

from services.escalation import benchdata, store
from services.escalation.domain.workhours import parse_work_periods
from services.escalation.scheduler import run_scheduler
from services.escalation.settings import Settings
from shared.db import Database, UnitOfWork, create_schema, make_engine

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PACED_RATE = 2_500.0  # timers coming due per second in the paced wave
Loader = Callable[[str, tuple[str, ...], Iterable[tuple[Any, ...]]], Awaitable[int]]
_DUE = "SELECT ticket_id, clock_seq, step FROM timers WHERE status = 'pending' AND fire_at <= :now " \
       "ORDER BY fire_at LIMIT :n{lock}"
CLAIMS = {  # the scheduler's shape (join by primary key), and the textbook row-value IN (subquery)
    "join": "WITH due AS (" + _DUE + ") UPDATE timers SET status = 'fired', claim = :claim, fired_at = :now "
            "FROM due WHERE timers.ticket_id = due.ticket_id AND timers.clock_seq = due.clock_seq "
            "AND timers.step = due.step RETURNING timers.ticket_id",
    "in_subquery": "UPDATE timers SET status = 'fired', claim = :claim, fired_at = :now "
                   "WHERE (ticket_id, clock_seq, step) IN (" + _DUE + ") RETURNING ticket_id",
}
IN_SUBQUERY_BATCHES = 20  # it scans the table per batch: a bounded sample is enough


@dataclass(frozen=True)
class Backend:
    name: str
    url: str
    load: Loader


class FireStamps:
    """The commit time of every event the scheduler publishes, by ticket: the one probe on the real path."""

    def __init__(self, db: Database) -> None:
        self.at: dict[str, datetime] = {}
        self._open = db.uow
        db.uow = self._uow  # type: ignore[method-assign]

    def _uow(self) -> UnitOfWork:
        unit = self._open()
        commit = unit.commit

        async def stamped() -> None:
            keys = unit.queued_keys()
            await commit()
            stamp = datetime.now(UTC)
            for key in keys:
                self.at.setdefault(key, stamp)

        unit.commit = stamped  # type: ignore[method-assign]
        return unit


async def run(*, quick: bool, console: Any) -> dict[str, Any]:
    """Both backends; the full run is 1,000,000 pending timers and waves of 100,000 (quick: 100,000 / 10,000)."""
    pending, wave = (100_000, 10_000) if quick else (1_000_000, 100_000)
    figures: dict[str, Any] = {"pending_timers": pending, "wave": wave, "paced_due_per_s": PACED_RATE}
    name = f"gridgov_bench_{uuid.uuid4().hex[:6]}"
    dsn = await _create_pg(name)
    try:
        console.print(f"PostgreSQL: {pending:,} pending timers, waves of {wave:,} …")
        pg = Backend("postgres", dsn.replace("postgresql://", "postgresql+asyncpg://"), partial(benchdata.copy_pg, dsn))
        figures["postgres"] = await bench_backend(pg, pending=pending, wave=wave)
    finally:
        await _drop_pg(name)
    with tempfile.TemporaryDirectory() as tmp:
        console.print(f"SQLite: {pending:,} pending timers, waves of {wave:,} …")
        path = f"{tmp}/timers.db"
        sqlite = Backend("sqlite", f"sqlite+aiosqlite:///{path}", partial(_sqlite_load, path))
        figures["sqlite"] = await bench_backend(sqlite, pending=pending, wave=wave)
    figures["peak_rss_mib"] = _peak_rss_mib()
    targets = {"lateness_p99_s_max": 1.0, "postgres_fires_per_s_min": 5_000, "peak_rss_mib_max": 1_024}
    return {"figures": figures, "targets": targets}


async def bench_backend(backend: Backend, *, pending: int, wave: int) -> dict[str, Any]:
    """Load, then burst, paced and raw-claim phases against one database."""
    settings = Settings()
    db = Database(make_engine(backend.url), store.Base.metadata, service="escalation", district="330903",
                  topic_prefix="bench.")
    await create_schema(db.engine, db.metadata)
    out: dict[str, Any] = {}
    try:
        began = time.perf_counter()
        await backend.load("timers", benchdata.TIMER_COLUMNS, benchdata.background_timers(pending, start=_now()))
        await _load_wave(backend, "B", [_now() - timedelta(seconds=1)] * wave)
        await _analyze(db)
        out["load_s"] = round(time.perf_counter() - began, 2)
        out |= await _scheduled(backend, db, settings=settings, wave=wave)
        burst = "330903-20261125-B"
        out["raw_claim"] = await raw_claim(db, prefix=burst, batch=settings.scheduler_batch, shape="join")
        out["raw_claim_in_subquery"] = await raw_claim(db, prefix=burst, batch=settings.scheduler_batch,
                                                       shape="in_subquery", batches=IN_SUBQUERY_BATCHES)
        out["fires_to_raw_claim"] = round(out["burst"]["fires_per_s"] / out["raw_claim"]["claims_per_s"], 3)
        out["peak_rss_mib"] = _peak_rss_mib()
    finally:
        await db.dispose()
    return out


async def _scheduled(backend: Backend, db: Database, *, settings: Settings, wave: int) -> dict[str, Any]:
    """The real scheduler at the configured interval and batch, through the burst and then the paced wave."""
    stamps = FireStamps(db)
    scheduler = asyncio.create_task(run_scheduler(
        db, periods=parse_work_periods(settings.work_periods), interval=settings.scheduler_interval,
        batch=settings.scheduler_batch))
    try:
        return {"burst": await _burst(stamps, wave=wave), "paced": await _paced(backend, stamps, wave=wave)}
    finally:
        scheduler.cancel()
        await asyncio.gather(scheduler, return_exceptions=True)


async def _burst(stamps: FireStamps, *, wave: int) -> dict[str, Any]:
    """The whole wave is already due: how fast the scheduler drains it."""
    began = datetime.now(UTC)
    fired = await _wait_fired(stamps, count=wave, timeout=max(60.0, wave / 500))
    last = max(stamps.at.values(), default=began)
    seconds = (last - began).total_seconds()
    return {"fired": fired, "seconds": round(seconds, 3), "fires_per_s": round(fired / seconds, 1) if seconds else 0.0}


async def _paced(backend: Backend, stamps: FireStamps, *, wave: int) -> dict[str, Any]:
    """A second wave coming due at ``PACED_RATE``/s from shortly after it is loaded: lateness per timer."""
    first = _now() + timedelta(seconds=1.5 + wave / 10_000)
    due = [first + timedelta(seconds=n / PACED_RATE) for n in range(wave)]
    await _load_wave(backend, "P", due)
    margin = (first - _now()).total_seconds()
    await _wait_fired(stamps, count=len(stamps.at) + wave, timeout=wave / PACED_RATE + 60)
    ids = [f"330903-20261125-P{n:06d}" for n in range(wave)]
    late = sorted((stamps.at[t] - d).total_seconds() for t, d in zip(ids, due) if t in stamps.at)
    if not late:
        return {"fired": 0, "loaded_before_first_due_s": round(margin, 3)}
    return {"fired": len(late), "loaded_before_first_due_s": round(margin, 3),
            "lateness_p50_s": round(statistics.median(late), 4), "lateness_p99_s": round(_p99(late), 4),
            "lateness_max_s": round(late[-1], 4)}


async def raw_claim(db: Database, *, prefix: str, batch: int, shape: str, batches: int | None = None) -> dict[str, Any]:
    """The bare claim loop on the burst wave (set pending again): claims per second with no domain work."""
    async with db.engine.begin() as connection:
        await connection.execute(text("UPDATE timers SET status = 'pending', claim = NULL, fired_at = NULL "
                                      "WHERE ticket_id LIKE :p"), {"p": f"{prefix}%"})
    lock = " FOR UPDATE SKIP LOCKED" if db.engine.dialect.name == "postgresql" else ""
    claim = text(CLAIMS[shape].format(lock=lock)).bindparams(bindparam("now", type_=DateTime(timezone=True)))
    claimed, rounds, began = 0, 0, time.perf_counter()
    while batches is None or rounds < batches:
        async with db.engine.begin() as connection:
            rows = (await connection.execute(claim, {"claim": uuid.uuid4().hex, "now": _now(), "n": batch})).all()
        if not rows:
            break
        claimed, rounds = claimed + len(rows), rounds + 1
    seconds = time.perf_counter() - began
    return {"claimed": claimed, "seconds": round(seconds, 3), "claims_per_s": round(claimed / seconds, 1)}


async def _wait_fired(stamps: FireStamps, *, count: int, timeout: float) -> int:
    """Wait until ``count`` events in all were published (or the timeout); how many of them were."""
    deadline = time.perf_counter() + timeout
    while len(stamps.at) < count and time.perf_counter() < deadline:
        await asyncio.sleep(0.02)
    return min(len(stamps.at), count)


async def _load_wave(backend: Backend, prefix: str, due: list[datetime]) -> None:
    clocks, timers = benchdata.wave(prefix, due)
    await backend.load("clocks", benchdata.CLOCK_COLUMNS, clocks)
    await backend.load("timers", benchdata.TIMER_COLUMNS, timers)


async def _sqlite_load(path: str, table: str, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> int:
    return await asyncio.to_thread(benchdata.insert_sqlite, path, table, columns, rows)


async def _analyze(db: Database) -> None:
    async with db.engine.begin() as connection:
        await connection.execute(text("ANALYZE"))


async def _create_pg(name: str) -> str:
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


async def _drop_pg(name: str) -> None:
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def _now() -> datetime:
    return datetime.now(UTC)


def _p99(values: list[float]) -> float:
    return values[min(len(values) - 1, int(len(values) * 0.99))]


def _peak_rss_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
