"""The bus end to end on the real broker: outbox → relay → Kafka → consumer → inbox, DLQ, prefixes, redrive."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import Column, Integer, String, Table, func, select

from shared import telemetry, topics
from shared.broker import EmbeddedBroker
from shared.bus.consumer import Consumer, Subscription
from shared.bus.envelope import encode_data
from shared.bus.kafka import bootstrap, ensure_topics, make_producer, start_client
from shared.bus.relay import OutboxRelay, redrive
from shared.db import Database, create_schema, make_engine, new_base
from shared.events.ticket import TicketReceived, TicketSigned
from tests.harness import create_pg_schema, wait_for

Base = new_base()
effects = Table("effects", Base.metadata, Column("id", Integer, primary_key=True, autoincrement=True),
                Column("ticket_id", String(40)), Column("ce_id", String(36)))


def received(ticket_id: str, jurisdiction: str = "330903001001001") -> TicketReceived:
    return TicketReceived(ticket_id=ticket_id, occurred_at=datetime.now(UTC), jurisdiction=jurisdiction,
                          channel="rest", category="01010101", description="占道经营")


async def open_db(target, common) -> Database:
    if target.schema:
        await create_pg_schema(target.url, target.schema)
    db = Database(make_engine(target.url, schema=target.schema), Base.metadata, service="test",
                  district="330903", topic_prefix=common.topic_prefix)
    await create_schema(db.engine, db.metadata)
    return db


async def record_effect(event, uow) -> None:
    await uow.session.execute(effects.insert().values(ticket_id=event.ticket_id, ce_id=uow.envelope.id))


async def count_is(db: Database, expected: int) -> bool:
    return await effect_count(db) == expected


async def effect_count(db: Database) -> int:
    async with db.engine.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(effects))).scalar_one())


class Pipeline:
    """Relay and consumer of one test database, started and stopped together."""

    def __init__(self, db: Database, common, *, prefixes=("",), handler=record_effect, **options) -> None:
        self.db, self.common = db, common
        self.sub = Subscription(name="test", topics=[topics.TICKETS], prefixes=prefixes,
                                handlers={TicketReceived: handler, TicketSigned: handler}, backoff=0.01, **options)

    async def __aenter__(self) -> "Pipeline":
        await ensure_topics(self.common)
        self.producer = make_producer(self.common)
        await start_client(self.producer, self.common)
        self.relay = OutboxRelay(self.db, self.producer, self.common)
        self.consumer = Consumer(self.db, self.common, self.sub, dlq_producer=self.producer)
        await self.consumer.start()
        import asyncio

        self.tasks = [asyncio.create_task(self.relay.run()), asyncio.create_task(self.consumer.run())]
        return self

    async def __aexit__(self, *_) -> None:
        import asyncio

        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.consumer.stop()
        await self.producer.stop()


async def publish(db: Database, *events: TicketReceived) -> list[str]:
    async with db.uow() as uow:
        ids = [uow.publish(event, key=event.ticket_id) for event in events]
        await uow.commit()
    return ids


async def raw_records(common, topic: str) -> list:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap(common), enable_auto_commit=False,
                                auto_offset_reset="earliest", fetch_max_wait_ms=5)
    await consumer.start()
    name = topics.qualified(topic, common.topic_prefix)
    await consumer.topics()
    consumer.assign([TopicPartition(name, p) for p in consumer.partitions_for_topic(name) or ()])
    out = []
    for _ in range(10):
        batch = await consumer.getmany(timeout_ms=200)
        out += [r for recs in batch.values() for r in recs]
    await consumer.stop()
    return out


class OwnBroker:
    """A broker of the test's own, which it may stop and restart empty, and a test database on it."""

    def __init__(self, database, common) -> None:
        self.database, self.common = database, common

    async def __aenter__(self) -> "OwnBroker":
        self.broker = EmbeddedBroker().start()
        self.local = self.common.model_copy(update={"broker_url": self.broker.url})
        self.db = await open_db(self.database("bus"), self.local)
        return self

    def restart_empty(self) -> None:
        self.broker.stop()
        self.broker = EmbeddedBroker(port=self.broker.port).start()

    async def restart_with_fewer_partitions(self, name: str) -> None:
        """Restart empty; another client's metadata request then creates ``name`` with Tansu's default 4."""
        import asyncio

        await asyncio.to_thread(self.restart_empty)
        other = make_producer(self.local)
        await start_client(other, self.local)
        assert len(await other.partitions_for(name)) == 4
        await other.stop()

    async def __aexit__(self, *_) -> None:
        self.broker.stop()
        await self.db.dispose()


async def test_event_arrives_with_every_ce_header_and_the_trace(database, common):
    db = await open_db(database("bus"), common)
    consumer_traces: list[str] = []

    async def handler(event, uow):
        from opentelemetry import trace

        consumer_traces.append(f"{trace.get_current_span().get_span_context().trace_id:032x}")
        await record_effect(event, uow)

    async with Pipeline(db, common, handler=handler):
        with telemetry.span_from(None, "http request") as span:
            trace_id = f"{span.get_span_context().trace_id:032x}"
            await publish(db, received("330903-20261125-000001"))
        await wait_for(lambda: effect_count(db))
    record = (await raw_records(common, topics.TICKETS))[0]
    headers = {k: v.decode() for k, v in record.headers}
    for name in ("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject", "ce_jurisdiction"):
        assert headers.get(name), name
    assert headers["ce_type"] == "cn.gridgov.ticket.received.v1"
    assert uuid.UUID(headers["ce_id"]).version == 7  # time-ordered ids (docs/asyncapi.yaml)
    assert headers["ce_source"] == "/gridgov/test/330903" and headers["ce_jurisdiction"] == "330903001001001"
    assert headers["ce_traceparent"].split("-")[1] == trace_id
    assert record.key == b"330903-20261125-000001"
    assert consumer_traces == [trace_id]
    await db.dispose()


async def test_outbox_rows_keep_their_creation_time_as_redrive_compares_it(database, common):
    db = await open_db(database("bus"), common)
    async with db.uow() as uow:
        event_id = uow.publish(received("330903-20261125-000010"), key="330903-20261125-000010")
        await uow.commit()
    async with db.engine.connect() as connection:
        created_at, sent_at = (await connection.execute(
            select(db.outbox.c.created_at, db.outbox.c.sent_at).where(db.outbox.c.event_id == event_id))).one()
        stored = (await connection.exec_driver_sql("SELECT created_at FROM outbox")).scalar_one()
    assert sent_at is None
    if isinstance(stored, str):  # SQLite: text exactly as SQLAlchemy writes the column's values (and compares them)
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", stored), stored
    created_at = created_at if created_at.tzinfo else created_at.replace(tzinfo=UTC)  # SQLite keeps no zone
    assert abs(datetime.now(UTC) - created_at) < timedelta(minutes=1)
    async with db.engine.begin() as connection:
        await connection.execute(db.outbox.update().values(sent_at=datetime.now(UTC)))
    assert await redrive(db, since=created_at + timedelta(microseconds=1)) == 0
    assert await redrive(db, since=created_at) == 1
    await db.dispose()


async def test_redelivered_message_changes_nothing(database, common):
    db = await open_db(database("bus"), common)
    async with Pipeline(db, common) as pipeline:
        await publish(db, received("330903-20261125-000002"))
        await wait_for(lambda: effect_count(db))
        await redrive(db, since=datetime.now(UTC) - timedelta(minutes=5))
        handled_before = pipeline.consumer.handled
        await publish(db, received("330903-20261125-000003"))
        await wait_for(lambda: count_is(db, 2))
    assert await effect_count(db) == 2
    assert pipeline.consumer.handled == handled_before + 1
    await db.dispose()


async def test_poison_messages_go_to_dlq_with_reason_and_do_not_block(database, common):
    db = await open_db(database("bus"), common)
    failing = "330903-20261125-000666"

    async def handler(event, uow):
        if event.ticket_id == failing:
            raise ValueError("cannot handle this one")
        await record_effect(event, uow)

    async with Pipeline(db, common, handler=handler) as pipeline:
        name = topics.qualified(topics.TICKETS, common.topic_prefix)
        good = [(k.encode(), v.encode()) for k, v in [("ce_specversion", "1.0"), ("ce_id", str(uuid.uuid4())),
                ("ce_source", "/x"), ("ce_time", "2026-11-25T00:00:00Z"), ("ce_jurisdiction", "330903")]]
        key = b"330903-20261125-000009"
        await pipeline.producer.send_and_wait(name, b"{not json", key=key,
                                              headers=[(k.decode(), v) for k, v in good] + [("ce_type", received("x").ce_type.encode())])
        await pipeline.producer.send_and_wait(name, b"{}", key=key, headers=[(k.decode(), v) for k, v in good]
                                              + [("ce_type", b"cn.gridgov.nothing.v1")])
        await pipeline.producer.send_and_wait(name, b'{"ticket_id": 5}', key=key,
                                              headers=[(k.decode(), v) for k, v in good] + [("ce_type", received("x").ce_type.encode())])
        await publish(db, received(failing), received("330903-20261125-000010"))
        await wait_for(lambda: effect_count(db))
        dead = await wait_for(lambda: _dlq(common, 4), timeout=20)
    reasons = sorted(dict((k, v.decode()) for k, v in r.headers)["dlq_reason"] for r in dead)
    assert any("body is not JSON" in r for r in reasons)
    assert any("unknown event type" in r for r in reasons)
    assert any("schema violation" in r for r in reasons)
    assert any("cannot handle this one" in r for r in reasons)
    assert await effect_count(db) == 1
    await db.dispose()


async def _dlq(common, count: int):
    records = await raw_records(common, topics.DLQ)
    return records if len(records) >= count else None


async def test_prefix_consumer_never_sees_other_streets(database, common):
    db = await open_db(database("bus"), common)
    seen: list[str] = []

    async def handler(event, uow):
        seen.append(event.jurisdiction)
        await record_effect(event, uow)

    async with Pipeline(db, common, prefixes=("330903001",), handler=handler):
        await publish(db, received("330903-20261125-000020", "330903002001001"),
                      received("330903-20261125-000021", "330903001002003"),
                      received("330903-20261125-000022", "330903002"))
        await wait_for(lambda: effect_count(db))
        await publish(db, received("330903-20261125-000023", "330903001"))
        await wait_for(lambda: count_is(db, 2))
    assert seen == ["330903001002003", "330903001"]
    await db.dispose()


async def test_broker_restarted_empty_then_redrive_restores_delivery_without_doubles(database, common, tmp_path):
    async with OwnBroker(database, common) as own:
        db, local = own.db, own.local
        async with Pipeline(db, local):
            await publish(db, *[received(f"330903-20261125-{i:06d}") for i in range(100, 110)])
            await wait_for(lambda: count_is(db, 10))
        restart_at = datetime.now(UTC)
        own.restart_empty()
        async with Pipeline(db, local):
            moved = await redrive(db, since=restart_at - timedelta(minutes=5))
            assert moved == 10
            await publish(db, received("330903-20261125-000200"))
            await wait_for(lambda: count_is(db, 11))
            assert len(await raw_records(local, topics.TICKETS)) == 11
        assert await effect_count(db) == 11


@pytest.mark.parametrize("url", ["mysql://x/y", "sqlite:///plain.db"])
def test_unknown_database_scheme_is_refused_with_one_line(url):
    from pydantic import ValidationError

    from services.intake.settings import Settings

    with pytest.raises(ValidationError) as error:
        Settings(database_url=url)
    assert "is not supported" in str(error.value)


async def test_a_running_consumer_rereads_a_log_that_restarted_empty(database, common):
    async with OwnBroker(database, common) as own:
        db, local = own.db, own.local
        async with Pipeline(db, local):
            await publish(db, *[received(f"330903-20261125-{i:06d}") for i in range(300, 320)])
            await wait_for(lambda: count_is(db, 20))
            restart_at = datetime.now(UTC)
            own.restart_empty()
            await ensure_topics(local)
            await redrive(db, since=restart_at - timedelta(minutes=5))
            await publish(db, received("330903-20261125-000399"))
            await wait_for(lambda: count_is(db, 21), timeout=30)
        assert await effect_count(db) == 21


async def test_a_relay_publishes_into_the_partitions_a_restarted_broker_has(database, common, monkeypatch):
    """Tansu acknowledges records sent to partitions it does not have. After a restart, another client's metadata
    request creates ``gridgov.tickets`` anew with 4 partitions while the relay's producer still knows 6: without the
    relay noticing the new log, the events hashed to partitions 4 and 5 are acknowledged and never readable."""

    from shared.bus import consumer as consumer_module

    monkeypatch.setattr(consumer_module, "RESTART_CHECK_SECONDS", 0.2)
    async with OwnBroker(database, common) as own:
        db, local = own.db, own.local
        name = topics.qualified(topics.TICKETS, local.topic_prefix)
        async with Pipeline(db, local) as pipeline:
            await publish(db, *[received(f"330903-20261125-{i:06d}") for i in range(600, 630)])
            await wait_for(lambda: count_is(db, 30))
            assert len(pipeline.producer.client.cluster.partitions_for_topic(name)) == topics.PARTITIONS[topics.TICKETS]
            await own.restart_with_fewer_partitions(name)  # the relay's producer sees its connection break meanwhile
            await redrive(db, since=datetime.now(UTC) - timedelta(minutes=5))
            await publish(db, *[received(f"330903-20261125-{i:06d}") for i in range(700, 730)])
            await wait_for(lambda: count_is(db, 60), timeout=40)
            partitions = pipeline.producer.client.cluster.partitions_for_topic(name)
            kafka = pipeline.consumer.kafka
            assert kafka is not None

            async def follows_the_broker() -> bool:
                return {tp.partition for tp in kafka.assignment()} == {0, 1, 2, 3}

            await wait_for(follows_the_broker, timeout=10)  # the consumer (assign mode) dropped partitions 4 and 5
        readable = {record.key.decode() for record in await raw_records(local, topics.TICKETS)}
        assert len(readable) == 60  # read with the broker's own metadata, as a consumer that joins later reads
        assert partitions == {0, 1, 2, 3}


async def test_restart_checks_never_wait_on_a_partition_the_broker_no_longer_has(database, common, monkeypatch):
    """After a restart the topic came back with 4 partitions while the consumer has 6 assigned. Asking the end
    offsets of partition 4 or 5 retries until the request timeout, and the consumer's loop waited in it (its
    4-partition sibling above failed so about one run in ten; under CPU load 4 runs in 10 took 40 s more): the
    checks skip partitions without a leader and bound their wait, the broker's partitions are asked in the
    background, and the consumer goes on reading the others."""
    import asyncio

    from shared.bus import consumer as consumer_module

    monkeypatch.setattr(consumer_module, "RESTART_CHECK_SECONDS", 0.2)
    async with OwnBroker(database, common) as own:
        db, local = own.db, own.local
        name = topics.qualified(topics.TICKETS, local.topic_prefix)
        async with Pipeline(db, local) as pipeline:
            await publish(db, *[received(f"330903-20261125-{i:06d}") for i in range(800, 830)])
            await wait_for(lambda: count_is(db, 30))
            consumer, kafka = pipeline.consumer, pipeline.consumer.kafka
            assert kafka is not None
            await own.restart_with_fewer_partitions(name)
            await kafka._client.force_metadata_update()
            assert kafka._client.cluster.partitions_for_topic(name) == {0, 1, 2, 3}
            await asyncio.wait_for(consumer._rewind_if_log_restarted(), timeout=5)  # waited the request timeout
            await redrive(db, since=datetime.now(UTC) - timedelta(minutes=5))
            await publish(db, *[received(f"330903-20261125-{i:06d}") for i in range(900, 930)])
            await wait_for(lambda: count_is(db, 60), timeout=20)  # well below the consumer's request timeout (40 s)

            async def follows_the_broker() -> bool:
                return {tp.partition for tp in kafka.assignment()} == {0, 1, 2, 3}

            await wait_for(follows_the_broker, timeout=10)


async def test_a_quiet_log_read_to_its_end_is_not_mistaken_for_a_restarted_one(database, common, monkeypatch, caplog):
    """Tansu reports a log's end as the last record batch's base offset + 1: after a multi-record batch the
    consumer's position is past that "end" while nothing restarted, and must not read the log again."""
    import asyncio
    import logging

    from shared.bus import consumer as consumer_module

    monkeypatch.setattr(consumer_module, "RESTART_CHECK_SECONDS", 0.1)
    db = await open_db(database("bus"), common)
    try:
        async with Pipeline(db, common) as pipeline:
            await publish(db, *[received(f"330903-20261125-{i:06d}") for i in range(500, 540)])  # one relay batch
            await wait_for(lambda: count_is(db, 40))
            kafka = pipeline.consumer.kafka
            assert kafka is not None
            ends = await kafka.end_offsets(list(kafka.assignment()))
            positions = {tp: await kafka.position(tp) for tp in kafka.assignment()}
            assert any(positions[tp] > end for tp, end in ends.items()), "the broker no longer under-reports ends"
            with caplog.at_level(logging.WARNING, logger="shared.bus.consumer"):
                await asyncio.sleep(1.0)  # about ten restart checks
            assert "restarted" not in caplog.text
            assert {tp: await kafka.position(tp) for tp in kafka.assignment()} == positions
    finally:
        await db.dispose()


async def test_replicas_reading_each_from_the_last_records_see_every_partition_in_group_mode(database, common):
    """Serving replicas of the live tail must each see the whole stream, also where replicas share consumer groups
    (production's group mode): each reads every partition, from a few records before its end."""
    db = await open_db(database("bus"), common)
    grouped = common.model_copy(update={"consumer_mode": "group"})
    async with Pipeline(db, common):
        old = [received(f"330903-20261125-0001{n:02d}") for n in range(6)]
        for n, event in enumerate(old):  # one key: one partition, in order; one at a time: one record batch each
            async with db.uow() as uow:  # (Tansu counts a partition's end from its last batch's first record)
                uow.publish(event, key="same-partition")
                await uow.commit()
            await wait_for(lambda: count_is(db, n + 1))
        replicas = [await _replica(database("bus"), grouped) for _ in range(2)]
        try:
            assert replicas[0][0].group_id != replicas[1][0].group_id
            await wait_for(lambda: _all_assigned(replicas), timeout=60)
            new = [received(f"330903-20261125-0002{n:02d}") for n in range(8)]  # keys spread over the partitions
            await publish(db, *new)
            wanted = {event.ticket_id for event in new}
            await wait_for(lambda: _each_saw(replicas, wanted), timeout=30)
        finally:
            await _stop(replicas)
    for _, seen, _, _ in replicas:
        assert [t for t in seen if t not in wanted] == [old[4].ticket_id, old[5].ticket_id]
    await db.dispose()


async def _replica(target, common):
    import asyncio

    replica_db = await open_db(target, common)
    seen: list[str] = []

    async def remember(event, uow):
        seen.append(event.ticket_id)

    sub = Subscription(name="live-test", topics=[topics.TICKETS], handlers={TicketReceived: remember},
                       each_process_from_last=2)
    producer = make_producer(common)
    await start_client(producer, common)
    consumer = Consumer(replica_db, common, sub, dlq_producer=producer)
    await consumer.start()
    return consumer, seen, asyncio.create_task(consumer.run()), (replica_db, producer)


async def _all_assigned(replicas) -> bool:
    return all(len(consumer.kafka.assignment()) == topics.PARTITIONS[topics.TICKETS] for consumer, *_ in replicas)


async def _each_saw(replicas, wanted: set[str]) -> bool:
    return all(wanted <= set(seen) for _, seen, _, _ in replicas)


async def _stop(replicas) -> None:
    import asyncio

    for consumer, _, task, (replica_db, producer) in replicas:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await consumer.stop()
        await producer.stop()
        await replica_db.dispose()


async def test_the_relay_publishes_each_row_once_while_earlier_rows_are_still_being_marked(database, common):
    """On SQLite the relay marks rows sent in the background and goes on with the rows after them: a burst of
    commits reaches Kafka exactly once per row, and every row ends up marked."""
    db = await open_db(database("bus"), common)
    async with Pipeline(db, common):
        for start in range(0, 300, 10):
            await publish(db, *[received(f"330903-20261125-{300 + n:06d}") for n in range(start, start + 10)])
        await wait_for(lambda: count_is(db, 300), timeout=30)
        await wait_for(lambda: _unsent_is(db, 0))
    records = await raw_records(common, topics.TICKETS)
    assert len(records) == 300 and len({dict(r.headers)["ce_id"] for r in records}) == 300
    await db.dispose()


async def _unsent_is(db: Database, expected: int) -> bool:
    from shared.bus.relay import pending_count

    return await pending_count(db) == expected


async def test_a_consumer_rereads_a_restarted_log_that_grew_past_its_position_at_once(database, common):
    """The broker restarts empty and new events at once fill each partition beyond the consumer's old position:
    the consumer must start the new logs from their beginning, not skip their first records."""
    async with OwnBroker(database, common) as own:
        db, local = own.db, own.local
        async with Pipeline(db, local):
            await publish(db, *[received(f"330903-20261125-{i:06d}") for i in range(500, 560)])
            await wait_for(lambda: count_is(db, 60))
            own.restart_empty()
            await ensure_topics(local)
            await publish(db, *[received(f"330903-20261125-{i:06d}") for i in range(600, 690)])
            await wait_for(lambda: count_is(db, 150), timeout=40)


async def test_the_postgres_relay_takes_a_new_connection_when_its_own_is_killed(pg_database, common):
    """On PostgreSQL the relay keeps one connection (it no longer queues for the pool behind writers each round);
    a connection the server drops (a restart, an administrator) is replaced on the next round, nothing is lost."""
    if pg_database is None:
        pytest.skip("PostgreSQL is not among this run's test databases (GRIDGOV_TEST_DATABASES)")
    import asyncpg

    schema = f"t_relay_{uuid.uuid4().hex[:10]}"
    await create_pg_schema(pg_database, schema)
    db = Database(make_engine(pg_database, schema=schema), Base.metadata, service="test", district="330903",
                  topic_prefix=common.topic_prefix)
    await create_schema(db.engine, db.metadata)
    admin = await asyncpg.connect(pg_database.replace("+asyncpg", ""))
    try:
        async with Pipeline(db, common) as pipeline:
            await publish(db, received("330903-20261125-000001"))
            await wait_for(lambda: count_is(db, 1), timeout=30)
            own = pipeline.relay._connection
            assert own is not None
            pid = (await own.get_raw_connection()).driver_connection.get_server_pid()
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
            await publish(db, received("330903-20261125-000002"), received("330903-20261125-000003"))
            await wait_for(lambda: count_is(db, 3), timeout=30)
            replaced = pipeline.relay._connection
            assert replaced is not None and replaced is not own
            assert (await replaced.get_raw_connection()).driver_connection.get_server_pid() != pid
    finally:
        await db.dispose()
        await admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await admin.close()


def test_the_relay_picks_the_partition_aiokafkas_default_partitioner_picks():
    """Records sent as batches keep each key on the partition ``producer.send`` with aiokafka's default partitioner
    would have chosen (Kafka's murmur2), so a ticket's events stay in order on one partition whichever way they
    were sent, and a Java client would place them alike."""
    import os
    import random

    from aiokafka.partitioner import DefaultPartitioner

    from shared.bus.partitioning import partition_for, partitioner

    rng = random.Random(4)
    keys = [f"330903-20261125-{i:06d}".encode() for i in range(2000)]
    keys += [os.urandom(rng.randint(0, 40)) for _ in range(5000)] + ["网格-3309".encode()]
    for count in (1, 3, 6, 7):
        partitions = list(range(count))
        expected = [DefaultPartitioner()(k, partitions, partitions) for k in keys]
        assert [partition_for(k, partitions) for k in keys] == expected
        assert [partitioner(k, partitions, partitions) for k in keys] == expected
    assert len({partition_for(k, list(range(6))) for k in keys}) == 6
    assert {partitioner(None, [0, 1, 2], [2]) for _ in range(20)} == {2}  # no key: an available partition
    assert {partitioner(None, [0, 1, 2], []) for _ in range(200)} == {0, 1, 2}


async def test_a_relay_round_larger_than_one_record_batch_arrives_whole_and_in_order(database, common):
    """Rows of one partition that overflow the producer's batch size go out as several batches, one after the
    other: every event arrives once, and each key's events in the order they were committed."""
    db = await open_db(database("bus"), common)
    big = "占" * 120_000  # ~360 KB of UTF-8: three of them pass the 1 MB batch
    async with Pipeline(db, common):
        events = [received(f"330903-20261125-{900 + n % 2:06d}") for n in range(8)]
        events = [event.model_copy(update={"description": big}) for event in events]
        ids = await publish(db, *events)
        await wait_for(lambda: count_is(db, 8), timeout=30)
    records = await raw_records(common, topics.TICKETS)
    by_key: dict[bytes, list[str]] = {}
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        by_key.setdefault(record.key, []).append(dict(record.headers)["ce_id"].decode())
    assert sorted(by_key) == [b"330903-20261125-000900", b"330903-20261125-000901"]
    assert by_key[b"330903-20261125-000900"] == ids[0::2] and by_key[b"330903-20261125-000901"] == ids[1::2]
    await db.dispose()


async def test_a_batch_its_prepare_step_finds_nothing_to_write_for_opens_no_transaction(database, common):
    """``may_write`` declines every envelope of a batch: it is acknowledged without a handler call and without
    inbox rows; a batch with one envelope that may write is handled in full, its inbox written."""
    db = await open_db(database("bus"), common)

    async def prepare(db, envelopes):
        return {env.id: env.data.description == "write" for env in envelopes}

    async with Pipeline(db, common, prepare=prepare, may_write=lambda env, prepared: prepared[env.id]) as pipeline:
        await publish(db, *[received(f"330903-20261125-{n:06d}") for n in range(700, 705)])
        await wait_for(lambda: pipeline.consumer.handled == 5)
        assert await effect_count(db) == 0 and await _inbox_count(db) == 0
        await publish(db, received("330903-20261125-000705").model_copy(update={"description": "write"}))
        await wait_for(lambda: count_is(db, 1))
    assert await _inbox_count(db) == 1
    await db.dispose()


async def _inbox_count(db: Database) -> int:
    async with db.engine.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(db.inbox))).scalar_one())


async def test_a_lingering_consumer_gathers_events_arriving_apart_into_few_batches(database, common):
    """``linger_ms``: after a batch smaller than ``batch_size`` the consumer waits before its next poll, so events
    that arrive 10 ms apart are handled together (each round's transaction and offset commit shared)."""
    import asyncio

    db = await open_db(database("bus"), common)
    async with Pipeline(db, common, linger_ms=400) as pipeline:
        batches = []
        handle_batch = pipeline.consumer.handle_batch

        async def counting(batch):
            batches.append(sum(len(records) for records in batch.values()))
            await handle_batch(batch)

        pipeline.consumer.handle_batch = counting
        for n in range(12):
            await publish(db, received(f"330903-20261125-{n + 800:06d}"))
            await asyncio.sleep(0.01)
        await wait_for(lambda: count_is(db, 12))
    assert sum(batches) == 12 and len(batches) <= 3, batches  # without lingering: 5 or more
    await db.dispose()


def test_a_records_body_is_the_events_json_and_reads_back_as_the_same_event():
    """encode_data serializes with pydantic straight to bytes: the same JSON as dumping the model to JSON types
    and encoding them (Chinese text as UTF-8, UTC times with Z, floats, nulls), and it validates back unchanged."""
    import orjson

    from shared.bus.envelope import encode_data
    from shared.events.ticket import Point

    event = TicketReceived(ticket_id="330903-20261125-000001", occurred_at=datetime(2026, 11, 25, 8, 30, 1, 250, UTC),
                           jurisdiction="330903001001001", channel="hotline", category="02060201",
                           location=Point(lon=120.1234567, lat=30.5), address="岳麓街道 12 号", description="占道经营 “夜市”",
                           reporter_masked="张*", self_resolved=True)
    body = encode_data(event)
    assert body == orjson.dumps(event.model_dump(mode="json"))
    assert "占道经营".encode() in body and b'"2026-11-25T08:30:01.000250Z"' in body and b'"grid_code":null' in body
    assert TicketReceived.model_validate_json(body) == event


async def test_handled_offsets_are_committed_once_the_topic_goes_quiet_not_per_batch(database, common, monkeypatch):
    """Within COMMIT_INTERVAL_SECONDS of the last commit a handled batch's offsets are held, not committed; a poll
    that comes back empty commits them, so a quiet consumer's group offsets reach the end of what it handled."""
    import time

    from shared.bus import consumer as consumer_module

    monkeypatch.setattr(consumer_module, "COMMIT_INTERVAL_SECONDS", 3600.0)  # only quiet polls may commit
    db = await open_db(database("commits"), common)
    try:
        async with Pipeline(db, common) as pipeline:
            consumer = pipeline.consumer
            consumer._last_commit = time.monotonic()
            batches, commits, in_batch = [], [], []
            handle, commit = consumer.handle_batch, consumer._commit_offsets

            async def counted_batch(batch):
                batches.append(sum(map(len, batch.values())))
                in_batch.append(True)
                try:
                    await handle(batch)
                finally:
                    in_batch.pop()

            async def counted_commit(offsets):
                commits.append(bool(in_batch))
                await commit(offsets)

            monkeypatch.setattr(consumer, "handle_batch", counted_batch)
            monkeypatch.setattr(consumer, "_commit_offsets", counted_commit)
            for start in range(0, 30, 10):
                await publish(db, *[received(f"330903-20261125-{i:06d}") for i in range(start, start + 10)])
            await wait_for(lambda: count_is(db, 30))
            kafka = consumer.kafka
            ends = await kafka.end_offsets(list(kafka.assignment()))

            async def committed_to_the_end() -> bool:
                done = [(await kafka.committed(tp) or 0) >= end for tp, end in ends.items() if end]
                return bool(done) and all(done)

            await wait_for(committed_to_the_end)
        assert sum(batches) == 30 and commits and not any(commits)  # committed, never while handling a batch
    finally:
        await db.dispose()


@pytest.mark.parametrize(("linger_ms", "quiet", "expected"), [
    (0, 0.01, 5), (0, 0.5, 25), (0, 2.0, 100),      # on a latency path: short waits while records flow
    (50, 0.01, 50), (50, 0.5, 50), (50, 2.0, 100),  # lingering: never polls faster than it waits for a batch
    (500, 0.01, 100),                                # ... nor slower than an idle consumer
])
def test_a_lingering_consumer_polls_no_faster_between_records_than_it_lingers(linger_ms, quiet, expected):
    """Escalation and analytics linger 50 ms after a small batch, yet went back to 5 ms fetches after every empty
    poll: between sparse records (20 tickets/s) they and the broker paid for polls whose records would have waited
    for the linger anyway."""
    from shared.settings import CommonSettings

    common = CommonSettings(fetch_max_wait_ms=5, idle_fetch_max_wait_ms=100)
    consumer = Consumer(None, common, Subscription(name="t", topics=[topics.TICKETS], handlers={}, linger_ms=linger_ms),  # type: ignore[arg-type]
                        dlq_producer=None)  # type: ignore[arg-type]
    assert consumer._quiet_fetch_wait(quiet) == expected


async def test_records_written_by_several_producers_at_once_are_each_handled_once(database, common):
    """Four producers write one partition at once. Tansu reserves a batch's offsets before it stores the batch, so a
    fetch can come back with the batches after one not stored yet: the consumer must wait for it (shared.bus.gaps),
    not step over it. Every record is handled, once (without the guard, a few in a few thousand were skipped)."""
    import asyncio

    db = await open_db(database("bus"), common)
    name = topics.qualified(topics.TICKETS, common.topic_prefix)
    per_producer, key = 750, b"330903-20261125-000042"  # one key: one partition
    async with Pipeline(db, common):
        producers = [make_producer(common) for _ in range(4)]
        for producer in producers:
            await start_client(producer, common)

        async def write(producer, n: int) -> None:
            for i in range(per_producer):
                event = received(f"330903-20261125-{n}{i:05d}")
                headers = [("ce_specversion", "1.0"), ("ce_id", str(uuid.uuid4())), ("ce_source", "/test"),
                           ("ce_time", "2026-11-25T00:00:00Z"), ("ce_jurisdiction", event.jurisdiction),
                           ("ce_type", event.ce_type)]
                await producer.send_and_wait(name, encode_data(event), key=key,
                                             headers=[(k, v.encode()) for k, v in headers])

        await asyncio.gather(*(write(producer, n) for n, producer in enumerate(producers)))
        for producer in producers:
            await producer.stop()
        await wait_for(lambda: count_is(db, 4 * per_producer), timeout=60)
        await asyncio.sleep(0.5)  # nothing more arrives: each record was handled once
    async with db.engine.connect() as connection:
        distinct = (await connection.execute(select(func.count(func.distinct(effects.c.ticket_id))))).scalar_one()
    assert distinct == await effect_count(db) == 4 * per_producer
    await db.dispose()
