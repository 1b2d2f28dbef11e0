"""Bench the bus: outbox → relay → Kafka → consumer → inbox against raw aiokafka on the same broker."""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from rich.console import Console

from shared import topics
from shared.broker import EmbeddedBroker
from shared.bus.consumer import Consumer, Subscription
from shared.bus.kafka import bootstrap, ensure_topics, make_producer, start_client
from shared.bus.relay import OutboxRelay
from shared.db import Database, create_schema, make_engine, new_base
from shared.events.ticket import TicketReceived
from shared.settings import CommonSettings

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PAD = "占" * 300  # ~1 KB payload like a real ticket


def _key(i: int) -> str:
    return f"330903-20261125-{i:06d}"


def _event(i: int) -> TicketReceived:
    return TicketReceived(ticket_id=_key(i), occurred_at=datetime.now(UTC),
                          jurisdiction="330903001001001", channel="rest", category="02060201", description=PAD)


async def raw_kafka(common: CommonSettings, n: int) -> dict[str, float]:
    """Baseline: produce n ~1 KB messages and consume them back with bare aiokafka."""
    await ensure_topics(common)
    topic = topics.qualified(topics.TICKETS, common.topic_prefix)
    producer = make_producer(common)
    await start_client(producer, common)
    value = _event(0).model_dump_json().encode()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap(common), fetch_max_wait_ms=5, auto_offset_reset="earliest",
                                enable_auto_commit=False, max_poll_records=2000)
    await consumer.start()
    await consumer.topics()
    consumer.assign([TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()])
    started = time.perf_counter()
    futures = [await producer.send(topic, value=value, key=f"k{i}".encode()) for i in range(n)]
    await asyncio.gather(*futures)
    got = 0
    while got < n:
        batch = await consumer.getmany(timeout_ms=100, max_records=2000)
        got += sum(len(records) for records in batch.values())
    elapsed = time.perf_counter() - started
    await consumer.stop()
    await producer.stop()
    return {"events": n, "seconds": elapsed, "events_per_s": n / elapsed}


class _Probe:
    """Stamps each consumed event: when the relay sent it (the record's Kafka timestamp), when the consumer's poll
    returned it and when its batch's inbox commit finished. The producer stamps the outbox commit; together they
    give commit → inbox commit and its three stages."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, float, float, float]] = []  # (key, sent, received, done), epoch seconds
        self.done = 0
        self.last_commit = 0.0

    def wrap(self, consumer: Consumer) -> None:
        original = consumer.handle_batch

        async def handle_batch(batch: Any) -> None:
            received = time.time()
            await original(batch)
            now = self.last_commit = time.time()
            for records in batch.values():
                self.seen += [(record.key.decode(), record.timestamp / 1000, received, now) for record in records]
            self.done += sum(len(r) for r in batch.values())

        consumer.handle_batch = handle_batch  # type: ignore[method-assign]


async def _noop(event: Any, uow: Any) -> None:
    return None


def _consumer_process(common: CommonSettings, url: str, schema: str | None, n: int, queue: Any) -> None:
    """The consuming service, in its own process with its own database, as in a real deployment."""
    asyncio.run(_consume(common, url, schema, n, queue))


async def _consume(common: CommonSettings, url: str, schema: str | None, n: int, queue: Any) -> None:
    base = new_base()
    db = Database(make_engine(url, schema=schema), base.metadata, service="bench-consumer", district="330903",
                  topic_prefix=common.topic_prefix)
    await create_schema(db.engine, db.metadata)
    producer = make_producer(common)
    await start_client(producer, common)
    consumer = Consumer(db, common, Subscription(name="bench", topics=[topics.TICKETS], handlers={TicketReceived: _noop}),
                        dlq_producer=producer)
    await consumer.start()
    probe = _Probe()
    probe.wrap(consumer)
    task = asyncio.create_task(consumer.run())
    queue.put("ready")
    cpu = time.process_time()
    while probe.done < n:
        await asyncio.sleep(0.005)
    cpu = time.process_time() - cpu
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await consumer.stop()
    await producer.stop()
    await db.dispose()
    queue.put({"seen": probe.seen, "last_commit": probe.last_commit, "cpu": cpu})


async def through_outbox(common: CommonSettings, url: str, *, n: int, rate: float | None, schema: str | None,
                         consumer_url: str) -> dict[str, Any]:
    """Write n events via the unit of work (batches of 100, or one per transaction at ``rate``/s) in this process;
    a second process consumes them into its own database's inbox."""
    import multiprocessing

    await ensure_topics(common)
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_consumer_process, args=(common, consumer_url, None, n, queue))
    child.start()
    await asyncio.to_thread(queue.get, True, 60)
    base = new_base()
    db = Database(make_engine(url, schema=schema), base.metadata, service="bench", district="330903",
                  topic_prefix=common.topic_prefix)
    await create_schema(db.engine, db.metadata)
    producer = make_producer(common)
    await start_client(producer, common)
    relay = asyncio.create_task(OutboxRelay(db, producer, common).run())
    # In bulk the events exist before the clock starts, as the raw baseline's message does: what is measured is the
    # bus (serializing, the outbox, the relay, the consumer and its inbox), not the making of the events.
    events = [] if rate else [_event(i) for i in range(n)]
    started, cpu = time.time(), time.process_time()
    committed: dict[str, float] = {}
    await (_paced(db, n, rate, committed) if rate else _batched(db, events, committed))
    result = await asyncio.to_thread(queue.get, True, 300)
    cpu = time.process_time() - cpu
    child.join(30)
    relay.cancel()
    await asyncio.gather(relay, return_exceptions=True)
    await producer.stop()
    await db.dispose()
    elapsed = result["last_commit"] - started
    stages: dict[str, list[float]] = {"latency": [], "to_relay_send": [], "kafka_hop": [], "handle_and_commit": []}
    for key, sent, received, done in result["seen"]:
        at = committed[key]
        for stage, value in (("latency", done - at), ("to_relay_send", sent - at), ("kafka_hop", received - sent),
                             ("handle_and_commit", done - received)):
            stages[stage].append(value * 1000)
    latency = _percentiles(stages.pop("latency"))
    return {"events": n, "seconds": elapsed, "events_per_s": n / elapsed, "p50_ms": latency["p50"],
            "p99_ms": latency["p99"],
            **{f"{stage}_{name}_ms": value for stage, values in stages.items()
               for name, value in _percentiles(values).items()},
            "producer_cpu_ms_per_event": cpu * 1000 / n, "consumer_cpu_ms_per_event": result["cpu"] * 1000 / n}


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"p50": statistics.median(ordered), "p99": ordered[int(len(ordered) * 0.99) - 1]}


async def _batched(db: Database, events: list[TicketReceived], committed: dict[str, float], size: int = 100) -> None:
    for start in range(0, len(events), size):
        batch = events[start:start + size]
        keys = [event.ticket_id for event in batch]
        async with db.uow() as uow:
            for event in batch:
                uow.publish(event, key=event.ticket_id)
            await uow.commit()
            committed.update(dict.fromkeys(keys, time.time()))


async def _paced(db: Database, n: int, rate: float, committed: dict[str, float]) -> None:
    """One event per transaction, started at ``rate`` per second whether or not earlier ones have committed (as
    independent requests arrive): a writer that waited for each commit fell behind the rate on PostgreSQL."""
    begin = time.perf_counter()
    running: set[asyncio.Task[None]] = set()
    for i in range(n):
        delay = begin + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(_write_one(db, i, committed))
        running.add(task)
        task.add_done_callback(running.discard)
    await asyncio.gather(*running)


async def _write_one(db: Database, i: int, committed: dict[str, float]) -> None:
    key = _key(i)
    async with db.uow() as uow:
        uow.publish(_event(i), key=key)
        await uow.commit()
        committed[key] = time.time()


async def _pg_url() -> tuple[str, str]:
    name = f"gridgov_bench_{uuid.uuid4().hex[:6]}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}", name


async def _drop_pg(name: str) -> None:
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


async def run(*, quick: bool, console: Console) -> dict[str, Any]:
    n = 5_000 if quick else 30_000
    paced_n = 2_500 if quick else 10_000
    figures: dict[str, Any] = {}
    with EmbeddedBroker() as broker:
        def common() -> CommonSettings:
            return CommonSettings(broker_url=broker.url, topic_prefix=f"b{uuid.uuid4().hex[:6]}.", log_json=False)

        console.print(f"raw aiokafka produce+consume of {n} × 1 KB …")
        figures["raw_kafka"] = await raw_kafka(common(), n)
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            def sqlite(name: str) -> str:
                return f"sqlite+aiosqlite:///{tmp}/{name}-{uuid.uuid4().hex[:4]}.db"

            console.print("outbox → inbox on SQLite …")
            figures["sqlite"] = await through_outbox(common(), sqlite("p"), n=n, rate=None, schema=None,
                                                     consumer_url=sqlite("c"))
            figures["sqlite_500_per_s"] = await through_outbox(common(), sqlite("p"), n=paced_n, rate=500, schema=None,
                                                               consumer_url=sqlite("c"))
        for label, rate, count in (("postgres", None, n), ("postgres_500_per_s", 500, paced_n)):
            (pg, name), (pg2, name2) = await _pg_url(), await _pg_url()
            try:
                console.print(f"outbox → inbox on PostgreSQL ({label}) …")
                figures[label] = await through_outbox(common(), pg, n=count, rate=rate, schema=None, consumer_url=pg2)
            finally:
                await _drop_pg(name)
                await _drop_pg(name2)
    raw = figures["raw_kafka"]["events_per_s"]
    figures["ratio_sqlite_to_raw"] = figures["sqlite"]["events_per_s"] / raw
    figures["ratio_postgres_to_raw"] = figures["postgres"]["events_per_s"] / raw
    targets = {"ratio_min": 0.5, "p99_ms_at_500_per_s_max": 30}
    notes = ("producer (unit of work + relay) and consumer (inbox) in separate processes with separate databases, "
             "as two services are deployed; raw baseline = bare aiokafka produce+consume in one process")
    return {"figures": figures, "targets": targets, "notes": notes}
