"""Bench (a): ticket events into the read models through the real consumer, against raw aiokafka consume."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from services.analytics import handlers, store
from shared import topics
from shared.bus.consumer import Consumer, Subscription
from shared.bus.envelope import Envelope, encode_data, new_event_id, source_for, to_headers
from shared.bus.kafka import bootstrap, ensure_topics, make_producer, start_client
from shared.db import Database, make_engine
from shared.migrations import migrate
from shared.events import ticket as ev
from shared.settings import CommonSettings

CHINA = timezone(timedelta(hours=8))
DAY0 = datetime(2026, 3, 2, 9, 0, tzinfo=CHINA)
CATEGORIES = ("01010101", "01010102", "02060201", "03010101")
CHANNELS = ("hotline", "rest", "grid_worker", "open311")


def grid_of(i: int) -> str:
    """Spread tickets over 4 streets × 4 communities × 4 grids of district 330903."""
    return f"330903{1 + i % 4:03d}{1 + i // 4 % 4:03d}{1 + i // 16 % 4:03d}"


def ticket_life(i: int, *, now: datetime | None = None) -> list[ev.TicketEvent]:
    """Seven events of one ticket: received, routed, signed, resolved, verified, closed, evaluated."""
    tid, grid, t0 = f"330903-20260302-{i:06d}", grid_of(i), now or DAY0 + timedelta(days=i % 60, minutes=i % 600)
    community = grid[:12]

    def base(hours: float) -> dict[str, Any]:
        return {"ticket_id": tid, "occurred_at": t0 + timedelta(hours=hours), "jurisdiction": grid}

    assignment = ev.Assignment(unit_code=f"{community}-community", unit_name="社区两委", level="community",
                               unit_jurisdiction=community, due_at=t0 + timedelta(days=3))
    return [
        ev.TicketReceived(**base(0), channel=CHANNELS[i % 4], category=CATEGORIES[i % 4], grid_code=grid),  # type: ignore[arg-type]
        ev.TicketRouted(**base(0.1), category=CATEGORIES[i % 4], assignment=assignment, reason="initial",
                        rule_version="v1"),
        ev.TicketSigned(**base(0.5), unit_code=assignment.unit_code, actor="op"),
        ev.TicketResolved(**base(10), unit_code=assignment.unit_code, actor="op"),
        ev.TicketVerified(**base(11), passed=True, actor="gw"),
        ev.TicketClosed(**base(12), actor="op"),
        ev.TicketEvaluated(**base(13), rating="满意" if i % 3 else "基本满意", actor="citizen"),  # type: ignore[arg-type]
    ]


def record_of(event: ev.TicketEvent) -> tuple[bytes, list[tuple[str, bytes]], bytes]:
    """Key, CloudEvents headers and body exactly as the relay sends them."""
    envelope = Envelope(id=new_event_id(), source=source_for("bench", "330903"), type=event.ce_type,
                        time=datetime.now(UTC), subject=event.ticket_id, jurisdiction=event.jurisdiction, data=event)
    return event.ticket_id.encode(), to_headers(envelope), encode_data(event)


async def produce(common: CommonSettings, events: list[ev.TicketEvent]) -> None:
    await ensure_topics(common)
    producer = make_producer(common)
    await start_client(producer, common)
    topic = topics.qualified(topics.TICKETS, common.topic_prefix)
    try:
        futures = []
        for event in events:
            key, headers, value = record_of(event)
            futures.append(await producer.send(topic, value=value, key=key, headers=headers))
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def raw_consume(common: CommonSettings, n: int) -> dict[str, float]:
    """Baseline: bare aiokafka reads the same n events from the same topic."""
    topic = topics.qualified(topics.TICKETS, common.topic_prefix)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap(common), auto_offset_reset="earliest",
                                enable_auto_commit=False, fetch_max_wait_ms=common.fetch_max_wait_ms,
                                max_poll_records=1000)
    await consumer.start()
    try:
        await consumer.topics()
        consumer.assign([TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())])
        started, got = time.perf_counter(), 0
        while got < n:
            batch = await consumer.getmany(timeout_ms=200, max_records=1000)
            got += sum(len(records) for records in batch.values())
        elapsed = time.perf_counter() - started
    finally:
        await consumer.stop()
    return {"events": n, "seconds": round(elapsed, 3), "events_per_s": round(n / elapsed, 1)}


async def through_consumer(common: CommonSettings, url: str, n: int, *, schema: str | None = None) -> dict[str, Any]:
    """The analytics read-model consumer (facts, counters, warnings) on the same events, into a fresh database."""
    db = Database(make_engine(url, schema=schema), store.Base.metadata, service="analytics", district="330903",
                  topic_prefix=common.topic_prefix)
    await migrate(db, service="analytics")
    producer = make_producer(common)
    await start_client(producer, common)
    # A group of its own per run: the committed offsets of an earlier run must not skip the events.
    sub = Subscription(name=f"analytics-{uuid.uuid4().hex[:6]}", topics=[topics.TICKETS], handlers=dict(handlers.SUBSCRIPTIONS))
    consumer = Consumer(db, common, sub, dlq_producer=producer)
    await consumer.start()
    started = time.perf_counter()
    task = asyncio.create_task(consumer.run())
    try:
        while consumer.handled < n:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        elapsed = time.perf_counter() - started
        rows = await _counter_rows(db)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await consumer.stop()
        await producer.stop()
        await db.dispose()
    return {"events": n, "seconds": round(elapsed, 3), "events_per_s": round(n / elapsed, 1), "counter_rows": rows}


async def _counter_rows(db: Database) -> int:
    from sqlalchemy import func, select

    async with db.uow() as uow:
        return int((await uow.session.execute(select(func.count()).select_from(store.CounterRow.__table__))).scalar_one())


def new_common(broker_url: str) -> CommonSettings:
    return CommonSettings(broker_url=broker_url, topic_prefix=f"b{uuid.uuid4().hex[:8]}.", log_json=False)
