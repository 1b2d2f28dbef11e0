"""The consumer loop every service uses: batches, inbox de-duplication, retries with backoff, then the DLQ."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.structs import OffsetAndMetadata
from aiokafka.errors import IllegalStateError, KafkaError
from sqlalchemy import text

from shared import telemetry, topics
from shared.bus.envelope import Envelope, MalformedMessage, decode_for
from shared.bus.gaps import GapGuard
from shared.bus.kafka import make_consumer, start_client
from shared.db import Database, UnitOfWork
from shared.events.base import Event
from shared.settings import CommonSettings

log = logging.getLogger(__name__)

Handler = Callable[[Any, UnitOfWork], Awaitable[None]]


@dataclass(frozen=True)
class Subscription:
    """What one consumer serves: its topics, the event types it handles and the jurisdictions it covers."""

    name: str
    topics: Sequence[str]
    handlers: dict[type[Event], Handler]
    prefixes: Sequence[str] = ("",)
    retries: int = 3
    backoff: float = 0.05
    batch_size: int = 200
    # Handlers that only read rows they wrote through session.get (the identity map) can skip autoflush, so a
    # batch's inserts reach the database once, at commit, as multi-row statements.
    autoflush: bool = True
    # Optional read-only step run before a batch's transaction, outside SQLite's single writer: it gets the batch's
    # envelopes and returns findings by envelope id, which handlers read from ``uow.prepared``. Handlers must still
    # work without them (a message retried alone is handled without this step).
    prepare: Callable[[Database, list[Envelope]], Awaitable[dict[str, Any]]] | None = None
    # Optional, with ``prepare``: whether handling an envelope may write anything, given the prepare step's findings.
    # A batch in which none may is acknowledged without a transaction: there is no effect to make idempotent, so
    # no inbox row is needed either (handling it again finds the same nothing).
    may_write: Callable[[Envelope, dict[str, Any]], bool] | None = None
    # Every process reads every partition (its own consumer group) starting this many records before each
    # partition's end: for in-memory state each serving replica keeps whole, like the live tail's ring. None: the
    # replicas share one group and split the partitions, resuming from the group's committed offsets.
    each_process_from_last: int | None = None
    # How long (ms) records may wait to join a larger batch, for consumers on no one's latency path (counters,
    # clocks measured in hours): each round's fixed cost (a transaction, the inbox, the offset commit) is then
    # shared by more events. 0: handle records as soon as they arrive.
    linger_ms: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "prefixes", tuple(self.prefixes))  # str.startswith takes a tuple: one call per event

    def wants_type(self, event_type: type[Event], jurisdiction: str) -> bool:
        return event_type in self.handlers and jurisdiction.startswith(self.prefixes)  # type: ignore[arg-type]


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    """Partitions assigned anew start from the group's offsets, or near their end (see
    ``Subscription.each_process_from_last``); the gap guard expects the first record there."""

    def __init__(self, consumer: "Consumer") -> None:
        self.consumer = consumer

    async def on_partitions_revoked(self, revoked: Any) -> None:
        self.consumer.gaps.forget(revoked)

    async def on_partitions_assigned(self, assigned: Any) -> None:
        if self.consumer.sub.each_process_from_last is not None:
            await self.consumer.seek_to_last(list(assigned), self.consumer.sub.each_process_from_last)
        else:
            await self.consumer.seek_to_committed(list(assigned))


@dataclass
class _Outcome:
    dead: list[tuple[ConsumerRecord, str]] = field(default_factory=list)


# How often a consumer asks the broker whether its logs restarted (end offsets, committed offsets): every second
# cost an idle system 0.35 of a core in the services and 0.14 in Tansu; a restart is noticed on two checks in a row.
RESTART_CHECK_SECONDS = 5.0
# Fetch wait between sparse records (more than 50 ms apart), and the longest a poll blocks before the wait is revised.
LULL_FETCH_WAIT_MS = 25
# Offsets are committed at most this often while records flow, and as soon as a poll comes back empty: the inbox
# makes a record handled again after a crash harmless, and an OffsetCommit request per batch cost a consumer at 500
# events/s ~9 % of its CPU (and Tansu a request each).
COMMIT_INTERVAL_SECONDS = 0.5
# A broker that answered no fetch for this long (ms) was unreachable, or restarted: fetches are answered every
# idle fetch wait (100 ms) at most, plus the time a batch takes to handle.
OUTAGE_MS = 1000


class Consumer:
    """Consumes the subscription's topics; offsets are committed only after the database transaction."""

    def __init__(self, db: Database, common: CommonSettings, subscription: Subscription, *,
                 dlq_producer: AIOKafkaProducer) -> None:
        self.db = db
        self.common = common
        self.sub = subscription
        self.dlq_producer = dlq_producer
        self.group_id = f"gridgov-{subscription.name}"
        if subscription.each_process_from_last is not None:
            self.group_id += f"-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.kafka: AIOKafkaConsumer | None = None
        self.handled = 0
        self._pending_commit: asyncio.Future[None] | None = None
        self._held: dict[TopicPartition, OffsetAndMetadata] = {}  # handled, not yet committed (COMMIT_INTERVAL_SECONDS)
        self._last_commit = 0.0
        self._committed: set[TopicPartition] = set()
        self._rewinding: asyncio.Task[None] | None = None
        self._suspects: dict[TopicPartition, int] = {}  # partition -> position when it first looked restarted
        self._high_waters: dict[TopicPartition, int] = {}  # the highest high watermark each partition reported
        self._answered: dict[TopicPartition, int] = {}  # when the broker last answered a fetch of each (ms)
        self._asking: asyncio.Task[set[TopicPartition] | None] | None = None  # the broker's partitions, asked
        self.gaps = GapGuard()  # never step over a record the broker has not stored yet (see shared.bus.gaps)

    async def start(self) -> None:
        self.kafka = make_consumer(self.common, group_id=self.group_id)
        await start_client(self.kafka, self.common)
        names = [topics.qualified(t, self.common.topic_prefix) for t in self.sub.topics]
        listener = _Rebalance(self)
        if self.common.topic_pattern:
            # A city instance follows every district's topics: subscribe by pattern (consumer groups only).
            escaped = "|".join(re.escape(t) for t in self.sub.topics)
            self.kafka.subscribe(pattern=f"^(?:{self.common.topic_pattern})(?:{escaped})$", listener=listener)
            return
        if self.common.consumer_mode == "group":
            self.kafka.subscribe(names, listener=listener)
            return
        await self.kafka.topics()
        assigned = [TopicPartition(t, p) for t in names for p in sorted(self.kafka.partitions_for_topic(t) or ())]
        self.kafka.assign(assigned)
        await listener.on_partitions_assigned(assigned)

    async def seek_to_last(self, partitions: Sequence[TopicPartition], count: int) -> None:
        """Position each partition ``count`` records before its end (or at its start)."""
        assert self.kafka is not None
        if not partitions:
            return
        starts, ends = await self.kafka.beginning_offsets(partitions), await self.kafka.end_offsets(partitions)
        self._seek({tp: max(starts[tp], ends[tp] - count) for tp in partitions})

    async def seek_to_committed(self, partitions: Sequence[TopicPartition]) -> None:
        """Position each partition at the group's committed offset, or at 0 when there is none.

        Not at the log's reported start: Tansu reported 1 for a log whose first batch was stored after its second,
        and a new group starting there never read offset 0 (about one run in thirty of the several-producers bus
        test). On Apache Kafka, 0 below a trimmed log's start resets to the start (``auto_offset_reset``); the gap
        guard then waits its patience once and logs the offsets the group never had a chance to read."""
        assert self.kafka is not None
        self._seek({tp: offset if (offset := await self.kafka.committed(tp)) is not None else 0
                    for tp in partitions})

    def _seek(self, positions: dict[TopicPartition, int]) -> None:
        assert self.kafka is not None
        for tp, offset in positions.items():
            self.kafka.seek(tp, offset)
        self.gaps.expect(positions)

    async def stop(self) -> None:
        if self._asking is not None:
            self._asking.cancel()
            await asyncio.gather(self._asking, return_exceptions=True)
        await self._commit_held()
        if self._pending_commit is not None:
            await asyncio.gather(self._pending_commit, return_exceptions=True)
        if self.kafka is not None:
            await self.kafka.stop()

    async def run(self) -> None:
        """Poll, handle and commit until cancelled."""
        assert self.kafka is not None
        last_check = last_data = 0.0
        while True:
            batch = await self.kafka.getmany(timeout_ms=LULL_FETCH_WAIT_MS, max_records=self.sub.batch_size)
            rewound = await self._rewound_after_restart()
            if rewound:
                batch = {tp: records for tp, records in batch.items() if tp not in rewound}
            batch = self.gaps.contiguous(self.kafka, batch)
            if batch:
                last_data = time.monotonic()
                self._set_fetch_wait(max(self.common.fetch_max_wait_ms, self.sub.linger_ms))
                await self.handle_batch(batch)
                if self.sub.linger_ms and sum(map(len, batch.values())) < self.sub.batch_size:
                    # Let the next batch gather (the fetcher keeps reading meanwhile); a full batch means a backlog.
                    await asyncio.sleep(max(0.0, self.sub.linger_ms / 1000 - (time.monotonic() - last_data)))
            else:
                self._set_fetch_wait(self._quiet_fetch_wait(time.monotonic() - last_data))
                await self._commit_held()
            if time.monotonic() - last_check > RESTART_CHECK_SECONDS:
                last_check = time.monotonic()
                await self._follow_partition_changes()
                await self._rewind_if_log_restarted()

    def _quiet_fetch_wait(self, quiet: float) -> int:
        """The fetch wait after ``quiet`` seconds without records: short while records come every few
        milliseconds, LULL_FETCH_WAIT_MS between sparse records, the idle wait after a quiet second."""
        if quiet < 0.05:
            wait = self.common.fetch_max_wait_ms
        elif quiet < 1.0:
            wait = max(self.common.fetch_max_wait_ms, min(LULL_FETCH_WAIT_MS, self.common.idle_fetch_max_wait_ms))
        else:
            return self.common.idle_fetch_max_wait_ms
        # A lingering consumer waits that long for records anyway: polling faster between them only costs it and the
        # broker CPU (escalation and analytics went back to 5 ms fetches after every empty poll).
        return max(wait, min(self.sub.linger_ms, self.common.idle_fetch_max_wait_ms))

    def _set_fetch_wait(self, milliseconds: int) -> None:
        """Short fetch waits while records flow (Tansu answers a fetch only when its wait is over), longer ones as
        the topics go quiet: a dozen idle consumers polling every 5 ms kept a 2-core machine half busy (measured:
        Tansu 46 % of a core, the five services 65 %, with no traffic at all); at one ticket a second they still
        cost 1.3 cores at 5 ms and 0.6 at 50 ms (2026-12-01 machine).

        aiokafka reads this attribute each time it builds a fetch request (pinned aiokafka 0.14)."""
        fetcher = getattr(self.kafka, "_fetcher", None)
        if fetcher is not None and getattr(fetcher, "_fetch_max_wait_ms", None) != milliseconds:
            fetcher._fetch_max_wait_ms = milliseconds

    async def _follow_partition_changes(self) -> None:
        """Assign mode: keep the assignment equal to the topics' partitions as the broker now reports them. A topic
        created anew (a broker restarted empty recreates a missing topic with its default count) or given more
        partitions would otherwise leave partitions that no longer exist assigned and new ones unread (every
        request naming a vanished partition, such as the restart check's end offsets, then retries until timeout).

        The broker is asked in a task of its own, read on the next check: a check never waits for the broker (it
        may be down for a while, and aiokafka's metadata request can outlive a timeout around it). Positions of
        partitions assigned anew restart from the committed offsets, or the start."""
        if self.kafka is None or self.common.consumer_mode == "group" or self.common.topic_pattern:
            return
        asked = self._asking
        if asked is None or asked.done():
            self._asking = asyncio.create_task(self._partitions_on_broker())  # read on the next check
        if asked is None or not asked.done():
            return
        if asked.cancelled() or asked.exception() is not None:
            log.warning("asking the broker for its partitions failed: %r", None if asked.cancelled() else asked.exception())
            return
        assigned, current = set(self.kafka.assignment()), asked.result()
        if current is None or current == assigned:
            return
        names = {tp.topic for tp in current}
        if names != {tp.topic for tp in assigned}:
            return  # the assignment changed while the broker was asked
        log.warning("partitions of %s changed (%d assigned, %d on the broker); assigning them again",
                    sorted(names), len(assigned), len(current))
        await self.kafka._client.force_metadata_update()
        self.kafka.assign(sorted(current))
        self.gaps.forget(assigned | current)
        if self.sub.each_process_from_last is not None:
            await self.seek_to_last(sorted(current), self.sub.each_process_from_last)
        for tp in assigned - current:
            self._committed.discard(tp)
            self._suspects.pop(tp, None)
            self._high_waters.pop(tp, None)
            self._answered.pop(tp, None)
            self._held.pop(tp, None)

    async def _partitions_on_broker(self) -> set[TopicPartition] | None:
        """The assigned topics' partitions by the broker's own answer (the consumer's cached metadata keeps a
        vanished partition for as long as Tansu answers fetches of it), or None while a topic is missing from it
        or the broker does not answer."""
        assert self.kafka is not None
        names = {tp.topic for tp in self.kafka.assignment()}
        try:
            cluster = await self.kafka._client.fetch_all_metadata()
        except (KafkaError, OSError, asyncio.TimeoutError):
            return None
        known = {topic: cluster.partitions_for_topic(topic) for topic in names}
        if not names or not all(known.values()):
            return None
        return {TopicPartition(topic, p) for topic, partitions in known.items() for p in partitions or ()}

    async def _rewind_if_log_restarted(self) -> None:
        """A broker restarted empty answers fetches past its log's end with nothing (no OUT_OF_RANGE): a position
        beyond the end means the log was reset, so read it again from the start (inboxes drop what was handled)."""
        assert self.kafka is not None
        try:
            partitions = self._led_partitions()
            if not partitions:
                return
            # Bounded well below the request timeout: aiokafka retries a partition that lost its leader while it
            # asks (metadata refreshed meanwhile) until the timeout, and this loop would wait with it.
            ends = await self.kafka._fetcher.end_offsets(partitions, OUTAGE_MS)
            looks_restarted = {tp: position for tp in partitions if (position := self._position(tp)) is not None
                               and await self._log_restarted(tp, position, ends.get(tp, 0))}
        except (KafkaError, asyncio.TimeoutError, AssertionError, IllegalStateError):
            return  # broker unreachable right now; try again on the next idle poll
        # Tansu's end offset can trail a batch just fetched: only a partition that looked restarted on two checks
        # in a row, without moving in between, is read again (a single look rewound live logs over and over).
        reset = [tp for tp, position in looks_restarted.items() if self._suspects.get(tp) == position]
        self._suspects = {tp: position for tp, position in looks_restarted.items() if tp not in reset}
        await self._read_again(reset)

    async def _rewound_after_restart(self) -> set[TopicPartition]:
        """Notice a broker restarted empty at the first fetch answer after it, before a busy new log passes our
        position (the periodic check above needs two looks, 5 s apart, and would then skip the new log's first
        records). Two signs, from what the last fetch reported for each partition:

        - a high watermark below one seen before: a live log's never goes down;
        - no answer for OUTAGE_MS and then an answer: ask for our committed offsets before handling what the broker
          sent (a broker restarted empty has forgotten them; a merely unreachable one has not).

        Partitions read again from their start are returned; their records in the batch at hand are dropped
        (read again later). Partitions found by their high watermark keep theirs (new records, inboxes drop
        repeats)."""
        assert self.kafka is not None
        silent, lowered = [], []
        for tp in self.kafka.assignment():
            answered, high = self.kafka.last_poll_timestamp(tp), self.kafka.highwater(tp)
            if answered is None or high is None:
                continue
            before, seen = self._answered.get(tp), self._high_waters.get(tp)
            self._answered[tp] = answered
            if seen is not None and high < seen:
                lowered.append(tp)
                self._high_waters.pop(tp)
                continue
            self._high_waters[tp] = high if seen is None else max(seen, high)
            if before is not None and answered - before > OUTAGE_MS and tp in self._committed:
                silent.append(tp)
        await self._read_again(lowered)
        if not silent:
            return set()
        try:
            forgotten = [tp for tp in silent if await self.kafka.committed(tp) is None]
        except (KafkaError, asyncio.TimeoutError, AssertionError, IllegalStateError):
            return set()  # unreachable again: the periodic check looks later
        await self._read_again(forgotten)
        return set(forgotten)

    async def _read_again(self, partitions: list[TopicPartition]) -> None:
        """Read partitions whose log restarted from their start again (inboxes drop what was handled)."""
        if not partitions:
            return
        assert self.kafka is not None
        log.warning("log of %s restarted; reading it again from the start (inboxes drop repeats)", partitions)
        self.gaps.forget(partitions)
        for tp in partitions:
            self._committed.discard(tp)
            self._suspects.pop(tp, None)
            self._held.pop(tp, None)  # offsets of the old log
        # The fetcher resets the positions while we poll, so the seek finishes during the next getmany: start
        # it now (its first step marks the partitions) and let it complete in the background.
        self._rewinding = asyncio.create_task(self.kafka.seek_to_beginning(*partitions))
        self._rewinding.add_done_callback(_report_rewind)
        await asyncio.sleep(0)

    async def handle_batch(self, batch: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        records = [record for partition in batch.values() for record in partition]
        wanted, outcome = self._decode_all(records)  # only the envelopes this subscription wants
        if wanted and not await self._handle_together(wanted):
            for record, env in wanted:
                reason = await self._handle_alone(env)
                if reason:
                    outcome.dead.append((record, reason))
        await self._dead_letter(outcome.dead)
        self._held.update({tp: OffsetAndMetadata(recs[-1].offset + 1, "") for tp, recs in batch.items()})
        if time.monotonic() - self._last_commit >= COMMIT_INTERVAL_SECONDS:
            await self._commit_held()

    async def _commit_held(self) -> None:
        """Commit the handled offsets of partitions still assigned (a revoked one's new owner reads from the last
        commit; its inbox drops what was handled)."""
        if not self._held or self.kafka is None:
            return
        assigned = self.kafka.assignment()
        offsets = {tp: offset for tp, offset in self._held.items() if tp in assigned}
        self._held, self._last_commit = {}, time.monotonic()
        if offsets:
            await self._commit_offsets(offsets)

    async def _commit_offsets(self, offsets: dict[TopicPartition, OffsetAndMetadata]) -> None:
        """Commit in the background: the inbox already makes a lost commit harmless, so don't wait on the broker."""
        assert self.kafka is not None
        if self._pending_commit is not None:
            await asyncio.gather(self._pending_commit, return_exceptions=True)
        future = asyncio.ensure_future(self.kafka.commit(offsets))
        future.add_done_callback(lambda done, keys=tuple(offsets): self._remember_commit(done, keys))
        self._pending_commit = future

    def _remember_commit(self, done: "asyncio.Future[None]", keys: tuple[TopicPartition, ...]) -> None:
        if not done.cancelled() and done.exception() is None:
            self._committed.update(keys)

    def _decode_all(self, records: list[ConsumerRecord]) -> tuple[list[tuple[ConsumerRecord, Envelope]], _Outcome]:
        decoded, outcome = [], _Outcome()
        for record in records:
            try:
                envelope = decode_for(record.headers, record.value, wanted=self.sub.wants_type)
                if envelope is not None:
                    decoded.append((record, envelope))
            except MalformedMessage as error:
                outcome.dead.append((record, f"malformed: {error}"))
        return decoded, outcome

    async def _handle_together(self, wanted: list[tuple[ConsumerRecord, Envelope]]) -> bool:
        """Fast path: the whole batch in one transaction, inbox written once."""
        try:
            prepared = await self.sub.prepare(self.db, [env for _, env in wanted]) if self.sub.prepare else {}
            if self.sub.may_write is not None and not any(self.sub.may_write(env, prepared) for _, env in wanted):
                self._count([env for _, env in wanted], "ok")
                return True
            async with self.db.uow() as uow:
                uow.session.sync_session.autoflush = self.sub.autoflush
                claimed = await uow.claim([env.id for _, env in wanted], self.sub.name)
                fresh = list({env.id: env for _, env in wanted if env.id in claimed}.values())
                uow.batch, uow.prepared = fresh, prepared
                for env in fresh:
                    await self._call(env, uow)
                await uow.commit()
        except Exception:
            log.warning("batch of %d failed; handling one by one", len(wanted), exc_info=True)
            return False
        self._count(fresh, "ok")
        return True

    def _led_partitions(self) -> list[TopicPartition]:
        """Assigned partitions that have a leader in the client's metadata: asking the end offsets of one that has
        none (a partition gone with a restarted broker) can only time out."""
        assert self.kafka is not None
        cluster = self.kafka._client.cluster
        return [tp for tp in self.kafka.assignment() if cluster.leader_for_partition(tp) not in (None, -1)]

    def _position(self, tp: TopicPartition) -> int | None:
        """The partition's position, or None while it has none (being reset): ``AIOKafkaConsumer.position`` waits
        for one, and a reset that cannot succeed (a partition the broker no longer has) would stop the loop."""
        assert self.kafka is not None
        assignment = self.kafka._subscription.subscription.assignment if self.kafka._subscription.subscription else None
        if assignment is None or tp not in assignment.tps:
            return None
        state = assignment.state_value(tp)
        return state.position if state.has_valid_position else None

    async def _log_restarted(self, tp: TopicPartition, position: int, end: int) -> bool:
        """The broker forgot the offsets of a partition we have read: its logs are new.

        A position past the log's end alone is not proof: Tansu reports the end as the base offset of the last
        record batch plus one, so a partition read to its end whose last batch held several records looks
        "past the end" for as long as it stays quiet. A broker restarted empty has also lost the group's
        committed offsets, so a forgotten commit is required as well."""
        assert self.kafka is not None
        if position == 0 or (tp not in self._committed and position <= end):
            return False
        return await self.kafka.committed(tp) is None

    async def _database_answers(self) -> bool:
        try:
            async with self.db.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def _wait_for_database(self) -> None:
        """A database outage is not a poison message: wait (with backoff) until the database answers again."""
        delay = 0.2
        while not await self._database_answers():
            log.warning("database of %s unreachable; waiting %.1fs before retrying", self.sub.name, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    async def _handle_alone(self, env: Envelope) -> str | None:
        """Slow path: retry one message with backoff; return the reason if it must go to the DLQ.

        Only a handler that still fails while its database answers sends the message to the DLQ."""
        reason = ""
        attempt = 0
        while attempt < self.sub.retries:
            if not await self._database_answers():
                await self._wait_for_database()
                continue
            try:
                async with self.db.uow() as uow:
                    uow.batch = [env]
                    if await uow.claim([env.id], self.sub.name):
                        await self._call(env, uow)
                        await uow.commit()
                self._count([env], "ok")
                return None
            except Exception as error:  # the reason travels to the DLQ
                reason = f"{type(error).__name__}: {error}"
                if not await self._database_answers():
                    continue  # the outage, not the message, made it fail: not an attempt
                await asyncio.sleep(self.sub.backoff * (4**attempt))
                attempt += 1
        self._count([env], "dlq")
        return f"handler failed after {self.sub.retries} attempts: {reason}"

    async def _call(self, env: Envelope, uow: UnitOfWork) -> None:
        with telemetry.span_from(env.traceparent, f"consume {env.type}", consumer=self.sub.name, ce_id=env.id):
            uow.envelope = env
            await self.sub.handlers[type(env.data)](env.data, uow)

    async def _dead_letter(self, dead: list[tuple[ConsumerRecord, str]]) -> None:
        dlq = topics.qualified(topics.DLQ, self.common.topic_prefix)
        for record, reason in dead:
            log.error("to DLQ %s[%d]@%d: %s", record.topic, record.partition, record.offset, reason)
            headers = list(record.headers or ()) + [
                ("dlq_reason", reason.encode()), ("dlq_consumer", self.sub.name.encode()),
                ("dlq_topic", record.topic.encode()), ("dlq_partition", str(record.partition).encode()),
                ("dlq_offset", str(record.offset).encode()),
            ]
            await self.dlq_producer.send_and_wait(dlq, value=record.value, key=record.key, headers=headers)
            telemetry.DLQ_MESSAGES.labels(self.sub.name, reason.split(":", 1)[0]).inc()

    def _count(self, envelopes: list[Envelope], outcome: str) -> None:
        self.handled += len(envelopes) if outcome == "ok" else 0
        per_type: dict[str, int] = {}
        for env in envelopes:
            per_type[env.type] = per_type.get(env.type, 0) + 1
        for ce_type, count in per_type.items():
            telemetry.EVENTS_CONSUMED.labels(self.sub.name, ce_type, outcome).inc(count)


def _report_rewind(task: "asyncio.Task[None]") -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("rewinding a restarted log failed (%s); the next idle poll tries again", task.exception())
