"""`gridgov bench analytics`: ingest rate, 总览 query latency and SSE fan-out, each beside a raw baseline.

(a) ticket events into the read models through the real consumer on the embedded broker, vs bare aiokafka;
(b) the 总览 figures over counters generated for 10,000,000 tickets (quick: 200,000), vs the same SQL raw;
(c) the live tail to 200 SSE clients at 500 events/s for 10 s (quick: 50 clients, 3 s), vs the broker's own lag:
    once from a process serving the API and live tail only (read-model consumers elsewhere), once from a
    single process that also runs the read-model consumers on the same events.
"""

from __future__ import annotations

import tempfile
import uuid
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from rich.console import Console

from services.analytics import bench_ingest, bench_query, bench_stream
from shared.broker import EmbeddedBroker

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
QUICK_SCALE = bench_query.Scale(tickets=200_000, streets=4, communities=5, days=90)
FULL_SCALE = bench_query.Scale(tickets=10_000_000, streets=10, communities=12, days=365)


async def _create_pg() -> str:
    name = f"gridgov_bench_analytics_{uuid.uuid4().hex[:6]}"
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return name


async def _drop_pg(name: str) -> None:
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def ingest(broker: EmbeddedBroker, tmp: str, *, tickets: int, console: Console) -> dict[str, Any]:
    """The same events, consumed raw, then through the consumer on SQLite and on PostgreSQL."""
    common = bench_ingest.new_common(broker.url)
    events = [event for i in range(tickets) for event in bench_ingest.ticket_life(i)]
    console.print(f"(a) producing {len(events)} ticket events ({tickets} tickets) …")
    await bench_ingest.produce(common, events)
    figures: dict[str, Any] = {"raw_kafka": await bench_ingest.raw_consume(common, len(events))}
    console.print("(a) analytics consumer on SQLite …")
    figures["sqlite"] = await bench_ingest.through_consumer(common, f"sqlite+aiosqlite:///{tmp}/ingest.db", len(events))
    name = await _create_pg()
    try:
        console.print("(a) analytics consumer on PostgreSQL …")
        figures["postgres"] = await bench_ingest.through_consumer(
            common, f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}", len(events))
    finally:
        await _drop_pg(name)
    raw = figures["raw_kafka"]["events_per_s"]
    for backend in ("sqlite", "postgres"):
        figures[f"ratio_{backend}_to_raw"] = round(figures[backend]["events_per_s"] / raw, 4)
    return figures


async def query(tmp: str, *, scale: bench_query.Scale, loads: int, console: Console) -> dict[str, Any]:
    requests = bench_query.sample_requests(scale, loads)
    console.print(f"(b) 总览 over {scale.tickets:,} tickets on SQLite …")
    figures: dict[str, Any] = {"tickets": scale.tickets, "days": scale.days,
                               "prefixes": len(scale.prefixes()), "sqlite": await bench_query.bench_sqlite(
                                   f"{tmp}/query.db", scale, requests)}
    name = await _create_pg()
    try:
        console.print(f"(b) 总览 over {scale.tickets:,} tickets on PostgreSQL …")
        figures["postgres"] = await bench_query.bench_postgres(
            f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}", f"postgresql://postgres@127.0.0.1:5432/{name}",
            scale, requests)
    finally:
        await _drop_pg(name)
    return figures


async def run(*, quick: bool, console: Console) -> dict[str, Any]:
    """Run (a), (b) and (c); figures per backend with their raw baselines, and the targets."""
    figures: dict[str, Any] = {}
    with EmbeddedBroker() as broker, tempfile.TemporaryDirectory() as tmp:
        figures["ingest"] = await ingest(broker, tmp, tickets=500 if quick else 10_000, console=console)
        figures["overview_query"] = await query(tmp, scale=QUICK_SCALE if quick else FULL_SCALE,
                                                loads=200 if quick else 500, console=console)
        clients, seconds = (50, 3.0) if quick else (200, 10.0)
        console.print(f"(c) SSE fan-out: {clients} clients at 500 events/s for {seconds:.0f} s …")
        figures["sse_fanout"] = await bench_stream.fan_out(
            bench_ingest.new_common(broker.url), f"sqlite+aiosqlite:///{tmp}/stream.db",
            clients=clients, rate=500, seconds=seconds, read_model=False)
        console.print("(c) the same with the read-model consumers in the serving process …")
        figures["sse_fanout_with_read_model"] = await bench_stream.fan_out(
            bench_ingest.new_common(broker.url), f"sqlite+aiosqlite:///{tmp}/stream2.db",
            clients=clients, rate=500, seconds=seconds, read_model=True)
    targets = {"overview_load_p99_ms_max": 200, "sse_lag_p99_ms_max": 1000}
    figures["met"] = {
        "overview_p99": all(figures["overview_query"][b]["service"]["p99_ms"] < 200 for b in ("sqlite", "postgres")),
        **{f"{name}_lag_p99": (figures[name]["lag_ms"]["p99"] or 1e9) < 1000 and figures[name]["complete"]
           for name in ("sse_fanout", "sse_fanout_with_read_model")},
    }
    return {"figures": figures, "targets": targets}
