"""The outbox relay: publishes unsent outbox rows in order, then marks them sent."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime

import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.producer.message_accumulator import BatchBuilder
from aiokafka.structs import RecordMetadata
from sqlalchemy import ColumnElement, Row, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from shared import telemetry
from shared.bus.kafka import ensure_topics
from shared.bus.partitioning import partition_for
from shared.db import Database, is_postgres, utcnow
from shared.settings import CommonSettings

log = logging.getLogger(__name__)
# An outbox row as the relay reads it: seq, topic, key, headers (JSON pairs), payload (see OutboxRelay._columns).
OutboxRow = Row[int, str, str, str, bytes]


class OutboxRelay:
    """Moves outbox rows to Kafka. Safe to run beside another relay on PostgreSQL (SKIP LOCKED).

    A broker that restarts empty under a running relay is noticed by the offsets it acknowledges: on one log they
    only grow, so an offset at or below one acknowledged earlier on the same partition means a new log. The producer
    still holds the old broker's topic metadata then, and Tansu acknowledges records sent to partitions that no longer
    exist (a topic another client's metadata request created anew has 4 partitions, not the 6 of
    ``gridgov.tickets``): they are never readable. So the relay creates the missing topics with their partitions,
    refreshes the producer's metadata and publishes that batch again (inboxes drop repeats). Rows the old broker
    took before it stopped are for ``gridgov outbox redrive``.
    """

    def __init__(self, db: Database, producer: AIOKafkaProducer, common: CommonSettings, *, batch_size: int = 500,
                 idle_interval: float = 0.02, mark_interval: float = 0.2) -> None:
        self.db = db
        self.producer = producer
        self.common = common
        self.batch_size = batch_size
        self.idle_interval = idle_interval
        self._wake = asyncio.Event()
        db.on_commit.append(self._wake.set)
        # SQLite: rows published but not yet marked sent, and the task marking them (see publish_batch).
        self._unmarked: set[int] = set()
        self._marking: asyncio.Task[None] | None = None
        self.mark_interval = mark_interval
        self._last_marking = float("-inf")
        # The highest offset acknowledged per (topic, partition) on the broker's current logs.
        self._acknowledged: dict[tuple[str, int], int] = {}
        self._connection: AsyncConnection | None = None  # the relay's own connection (see _own_connection)
        # PostgreSQL: lock the next unsent rows, mark them sent and return them, in one round trip (a SELECT and an
        # UPDATE built per round cost a relay round of one event 2.5 ms of CPU, the UPDATE alone ~40 % of it).
        unsent = (select(db.outbox.c.seq).where(db.outbox.c.sent_at.is_(None)).order_by(db.outbox.c.seq)
                  .limit(batch_size).with_for_update(skip_locked=True))
        # What a record needs, nothing more: reading the timestamps back cost SQLite a date parse per row.
        self._columns = [db.outbox.c[name] for name in ("seq", "topic", "key", "headers", "payload")]
        self._claim = (update(db.outbox).where(db.outbox.c.seq.in_(unsent.scalar_subquery()))
                       .values(sent_at=func.now()).returning(*self._columns))
        # SQLite: the next unsent rows after those published but not yet marked; one cached statement (building it
        # each round, with its cache key, was ~8 % of a producing process at 500 one-event transactions a second).
        self._unsent_after = (select(*self._columns)
                              .where(db.outbox.c.sent_at.is_(None), db.outbox.c.seq > bindparam("after"))
                              .order_by(db.outbox.c.seq).limit(batch_size))

    async def run(self) -> None:
        """Publish forever; wake on an in-process commit or poll every ``idle_interval``."""
        try:
            await self._run()
        finally:
            await self._finish_marking()
            await self._drop_own_connection()

    async def _own_connection(self) -> AsyncConnection:
        """The relay keeps one connection of the pool. On PostgreSQL, taking one per round, it queued behind every
        writer waiting for the pool, so under a burst of writes the relay fell seconds behind the commits (bus bench,
        500 one-event transactions a second: commit → send p50 5.2 s); on SQLite each checkout cost CPU."""
        if self._connection is None or self._connection.closed or self._connection.invalidated:
            self._connection = await self.db.engine.connect()
        return self._connection

    async def _drop_own_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await connection.close()
            except Exception:  # noqa: BLE001 - already broken; the pool replaces it
                log.debug("closing the relay's connection failed", exc_info=True)

    async def _finish_marking(self, *, timeout: float = 5.0) -> None:
        """On the way out, let the last marks land for a while (unmarked rows are sent again after a restart)."""
        task = self._marking
        if task is None or task.done():
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout)
        except TimeoutError:
            log.warning("outbox rows left unmarked at shutdown; they are sent again on restart")
        finally:
            task.cancel()

    async def _run(self) -> None:
        while True:
            try:
                sent = await self.publish_batch()
            except asyncio.CancelledError:
                raise
            except Exception:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise asyncio.CancelledError from None  # a driver error raised in place of our cancellation
                log.exception("outbox relay batch failed; retrying")
                await asyncio.sleep(0.5)
                continue
            if sent < self.batch_size:
                self._wake.clear()
                try:
                    async with asyncio.timeout(self.idle_interval):
                        await self._wake.wait()
                except TimeoutError:
                    pass

    async def publish_batch(self) -> int:
        """Publish up to ``batch_size`` unsent rows in sequence order; returns how many were sent."""
        rows: Sequence[OutboxRow]
        if is_postgres(self.db.engine):
            # The rows are locked and marked sent by one statement, and published before the transaction commits:
            # a failed publish rolls the marks back. Row locks (SKIP LOCKED) let several relays share one outbox
            # and do not block writers inserting new rows.
            connection = await self._own_connection()
            try:
                async with connection.begin():
                    rows = sorted((await connection.execute(self._claim)).all(), key=lambda row: row[0])
                    await self._publish(rows)
            except Exception:
                await self._drop_own_connection()  # it may be broken (a database restart): the next round reconnects
                raise
        else:
            # SQLite has one write lock for the whole file: never hold it across a Kafka round trip, nor wait for
            # it before the next batch. Published rows are marked sent in the background, and the next batch
            # starts after them (one writer commits rows in sequence order). One relay per SQLite database; a crash
            # between publish and mark re-sends (inboxes drop repeats).
            connection = await self._own_connection()
            try:
                after = max(self._unmarked) if self._unmarked else 0
                # Rows as plain tuples, unpacked (see _send_all): a mapping per row, or a named attribute, costs more.
                rows = (await connection.execute(self._unsent_after, {"after": after})).all()
                await connection.rollback()  # no read snapshot kept between rounds (it would hold back checkpoints)
            except Exception:
                await self._drop_own_connection()
                raise
            await self._publish(rows)
            if rows:
                self._unmarked.update(row[0] for row in rows)
                if self._marking is None or self._marking.done():
                    self._marking = asyncio.create_task(self._mark_published(), name=f"{self.db.service}-relay-mark")
        self._count(rows)
        return len(rows)

    async def _mark_published(self) -> None:
        """Mark every published row sent, in one writer turn per round, until none is left (SQLite).

        Rounds start at least ``mark_interval`` apart: each takes SQLite's one write lock, which the writers of
        tickets wait for, and under load a round per published batch doubled their waits. After a quiet spell the
        first round starts at once. A crash re-sends what was not marked yet (inboxes drop the repeats).
        """
        loop = asyncio.get_running_loop()
        while self._unmarked:
            wait = self._last_marking + self.mark_interval - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self._last_marking = loop.time()
            seqs = sorted(self._unmarked)
            try:
                await self.db.writer.acquire()
                try:
                    async with self.db.engine.begin() as connection:
                        await connection.execute(update(self.db.outbox).values(sent_at=utcnow())
                                                 .where(self._these_rows(seqs)))
                finally:
                    self.db.writer.release()
            except Exception:  # the rows stay unmarked and are tried again; a restart would re-send them
                log.exception("marking %d outbox rows sent failed; retrying", len(seqs))
                await asyncio.sleep(0.5)
                continue
            self._unmarked.difference_update(seqs)

    def _these_rows(self, seqs: list[int]) -> ColumnElement[bool]:
        """Where ``seq`` is one of ``seqs`` (sorted): by runs of consecutive numbers, or one list when they are
        scattered (more than 20 runs, e.g. after a redrive)."""
        seq, runs = self.db.outbox.c.seq, _runs(seqs)
        if len(runs) > 20:
            return seq.in_(seqs)
        return or_(*(seq.between(first, last) for first, last in runs))

    async def _publish(self, rows: Sequence[OutboxRow]) -> None:
        if not rows:
            return
        acknowledged = await self._send_all(rows)
        if self._log_restarted(acknowledged):
            log.warning("the broker restarted with empty logs under the %s relay; creating the topics again and "
                        "publishing %d events again", self.db.service, len(rows))
            await ensure_topics(self.common)
            await self.producer.client.force_metadata_update()
            self._acknowledged.clear()
            self._log_restarted(await self._send_all(rows))

    async def _send_all(self, rows: Sequence[OutboxRow]) -> list[RecordMetadata]:
        """Send the rows as one record batch per partition, in sequence order within each, and wait for the acks.

        The partition is the one ``producer.send`` would pick for the key (Kafka's murmur2 partitioner, see partitioning),
        so a ticket's events stay on one partition whichever way they were sent. Per record this skips ``send``'s
        future, partitioner call and accumulator bookkeeping: relaying 30,000 events from SQLite went from 57-59 to
        37 µs of CPU per event (2026-12-04)."""
        builders: dict[tuple[str, int], list[BatchBuilder]] = {}
        partitions: dict[str, list[int]] = {}
        for seq, topic, text_key, text_headers, payload in rows:  # the columns of self._columns, in order
            if topic not in partitions:
                partitions[topic] = sorted(await self.producer.partitions_for(topic))
            key = text_key.encode()
            where = (topic, partition_for(key, partitions[topic]))
            chain = builders.setdefault(where, [self.producer.create_batch()])
            headers = [(name, value.encode()) for name, value in orjson.loads(text_headers)]
            if chain[-1].append(timestamp=None, key=key, value=payload, headers=headers) is None:
                chain.append(self.producer.create_batch())  # full (max_batch_size): the next one follows it
                if chain[-1].append(timestamp=None, key=key, value=payload, headers=headers) is None:
                    raise ValueError(f"outbox event {seq} is larger than the producer's max_batch_size")
        futures = []
        for (topic, partition), chain in builders.items():
            for builder in chain:
                builder.close()  # nothing else may join a batch the relay sends
                futures.append(await self.producer.send_batch(builder, topic, partition=partition))
        return list(await asyncio.gather(*futures))

    def _log_restarted(self, acknowledged: Sequence[RecordMetadata]) -> bool:
        """Record the batch's offsets; True when one falls to or below an offset acknowledged before the batch."""
        before = dict(self._acknowledged)
        for record in acknowledged:
            where = (record.topic, record.partition)
            self._acknowledged[where] = max(self._acknowledged.get(where, -1), record.offset)
        return any(record.offset <= before.get((record.topic, record.partition), -1) for record in acknowledged)

    def _count(self, rows: Sequence[OutboxRow]) -> None:
        per_topic: dict[str, int] = {}
        for row in rows:
            per_topic[row[1]] = per_topic.get(row[1], 0) + 1
        for topic, count in per_topic.items():
            telemetry.EVENTS_PUBLISHED.labels(self.db.service, topic).inc(count)


def _runs(seqs: list[int]) -> list[tuple[int, int]]:
    """Sorted sequence numbers as runs of consecutive ones, (first, last) each: the rows a relay round published are
    mostly one run, marked with one ``BETWEEN`` instead of an ``IN`` list SQLAlchemy expands one parameter at a time
    (1.5 µs per event in the bus bench's publishing process)."""
    runs: list[tuple[int, int]] = []
    for seq in seqs:
        if runs and seq == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], seq)
        else:
            runs.append((seq, seq))
    return runs


async def redrive(db: Database, *, since: datetime) -> int:
    """Mark every event created since ``since`` unsent, so the relay publishes it again (inboxes drop repeats)."""
    outbox = db.outbox
    async with db.engine.begin() as connection:
        result = await connection.execute(
            update(outbox).where(outbox.c.created_at >= since).values(sent_at=None)
        )
    for callback in db.on_commit:
        callback()
    return result.rowcount or 0


async def pending_count(db: Database) -> int:
    outbox = db.outbox
    async with db.engine.connect() as connection:
        query = select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
        return int((await connection.execute(query)).scalar_one())
