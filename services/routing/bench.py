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


def run(*, quick: bool = False, console: Any = None) -> Any:
    """Entry point for `gridgov bench routing` (a coroutine: the runner awaits it)."""
    return run_all(quick=quick)


def _snapshot_items(replica: Replica) -> dict[str, list[dict[str, Any]]]:
    grids = [{"code": g.code, "name": g.name, "kind": g.kind, "grid_class": g.grid_class,
              "community_code": g.community_code} for g in replica.grids.values()]
    units = [{"code": u.code, "name": u.name, "level": u.level, "division_code": u.division_code,
              "function": u.function} for u in replica.units.values()]
    return {"grids": grids, "units": units}


def _received_records(count: int, *, grids: list[str], items: list[str]) -> list[tuple[bytes, bytes, list[Any]]]:
    from shared.bus.envelope import Envelope, encode_data, new_event_id, source_for, to_headers
    from shared.events.ticket import TicketReceived

    chooser, now, records = random.Random(11), datetime.now(timezone.utc), []
    for n in range(count):
        grid = chooser.choice(grids)
        event = TicketReceived(ticket_id=f"330903-20261125-{n:06d}", occurred_at=now, jurisdiction=grid,
                               channel="rest", category=chooser.choice(items), grid_code=grid, description="bench")
        envelope = Envelope(id=new_event_id(), source=source_for("bench", "330903"), type=event.ce_type, time=now,
                            subject=event.ticket_id, jurisdiction=grid, data=event)
        records.append((event.ticket_id.encode(), encode_data(event), to_headers(envelope)))
    return records


async def _produce(common: Any, records: list[tuple[bytes, bytes, list[Any]]]) -> None:
    from shared import topics
    from shared.bus.kafka import ensure_topics, make_producer, start_client

    await ensure_topics(common)
    producer = make_producer(common)
    await start_client(producer, common)
    topic = topics.qualified(topics.TICKETS, common.topic_prefix)
    futures = [await producer.send(topic, value=value, key=key, headers=headers) for key, value, headers in records]
    import asyncio

    await asyncio.gather(*futures)
    await producer.stop()


async def _raw_consume(common: Any, count: int) -> float:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    from shared import topics
    from shared.bus.kafka import bootstrap

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap(common), enable_auto_commit=False, fetch_max_wait_ms=5,
                                auto_offset_reset="earliest", max_poll_records=1000)
    await consumer.start()
    topic = topics.qualified(topics.TICKETS, common.topic_prefix)
    await consumer.topics()
    consumer.assign([TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()])
    started, got = time.perf_counter(), 0
    while got < count:
        batch = await consumer.getmany(timeout_ms=100, max_records=1000)
        got += sum(len(records) for records in batch.values())
    elapsed = time.perf_counter() - started
    await consumer.stop()
    return count / elapsed


async def _through_routing(common: Any, url: str, records: list[Any], replica: Replica) -> float:
    import asyncio

    from sqlalchemy import func, select

    from services.routing import handlers, store
    from services.routing.app import create_app
    from services.routing.settings import Settings

    app = create_app(Settings(database_url=url, common=common, registry_url="http://127.0.0.1:9"))
    async with app.router.lifespan_context(app):
        db = app.state.db
        for kind, items in _snapshot_items(replica).items():
            async with db.uow() as uow:
                await handlers.apply_snapshot(uow, kind, items)
        started = time.perf_counter()
        await _produce(common, records)
        table = store.Base.metadata.tables["decisions"]
        while True:
            async with db.engine.connect() as connection:
                done = (await connection.execute(select(func.count()).select_from(table))).scalar_one()
            if done >= len(records):
                break
            await asyncio.sleep(0.05)
        return len(records) / (time.perf_counter() - started)


async def run_consumer_bench(*, count: int) -> dict[str, Any]:
    """Tickets/s through routing's real consumer (decode, inbox, route, outbox) vs raw consume on the same broker."""
    import tempfile
    import uuid

    from shared.broker import EmbeddedBroker
    from shared.settings import CommonSettings

    taxonomy = load_taxonomy()
    replica = _district("330903", streets=10, communities=10, grids=6)
    records = _received_records(count, grids=sorted(replica.grids), items=sorted(taxonomy.items))
    with EmbeddedBroker() as broker, tempfile.TemporaryDirectory() as tmp:
        def common() -> CommonSettings:
            return CommonSettings(broker_url=broker.url, topic_prefix=f"r{uuid.uuid4().hex[:6]}.", log_json=False,
                                  log_level="WARNING")

        raw_common = common()
        await _produce(raw_common, records)
        raw = await _raw_consume(raw_common, count)
        routed = await _through_routing(common(), f"sqlite+aiosqlite:///{tmp}/routing.db", records, replica)
    return {"tickets": count, "raw_consume_per_s": round(raw, 1), "routing_consumer_per_s": round(routed, 1),
            "ratio": round(routed / raw, 3), "target_ratio": 0.5}


async def run_all(*, quick: bool) -> dict[str, Any]:
    return {"figures": {"in_process": run_routing_bench(decisions=2000 if quick else 20000),
                        "consumer": await run_consumer_bench(count=2000 if quick else 10000)}}
