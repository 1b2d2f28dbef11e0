"""Bench (c): SSE fan-out of the live tail: many clients on ``/api/v1/stream`` while events flow at a fixed rate.

The analytics service runs as its own uvicorn process (all its consumers on); the bench process produces
ticket events to the broker at the target rate with ``occurred_at`` = now and reads the streams over plain
sockets. Lag = client receive time − event time. Baseline: a bare aiokafka consumer on the same topic, in the
same run, measures the broker's own delivery lag.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from services.analytics import store
from services.analytics.bench_ingest import record_of, ticket_life
from shared import topics
from shared.auth import new_api_key, store_credential
from shared.broker import free_port
from shared.bus.kafka import bootstrap, ensure_topics, make_producer, start_client
from shared.db import Database, make_engine
from shared.migrations import migrate
from shared.settings import CommonSettings

TIME_MARK = b'"time":"'
WARMUP_SECONDS = 1.0


class Client:
    """One SSE reader on a raw socket: de-chunks the HTTP body and timestamps every frame."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self.connected = asyncio.Event()

    async def run(self, port: int, key: str) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"GET /api/v1/stream?jurisdiction=330903&backlog=0 HTTP/1.1\r\nHost: bench\r\n"
                     f"X-API-Key: {key}\r\nAccept: text/event-stream\r\n\r\n".encode())
        await reader.readuntil(b"\r\n\r\n")
        try:
            while True:
                size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                chunk = await reader.readexactly(size + 2)
                self.connected.set()
                self._frames(chunk, time.time())
        finally:
            writer.close()

    def _frames(self, chunk: bytes, now: float) -> None:
        start = chunk.find(TIME_MARK)
        while start >= 0:
            begin = start + len(TIME_MARK)
            sent = datetime.fromisoformat(chunk[begin:chunk.index(b'"', begin)].decode()).timestamp()
            self.lags.append(now - sent)
            start = chunk.find(TIME_MARK, begin)


async def _issue_key(url: str) -> str:
    db = Database(make_engine(url), store.Base.metadata, service="analytics", district="330903")
    await migrate(db, service="analytics")
    now = datetime.now(UTC)
    key, event = new_api_key(scope="330903", roles=["system"], label="bench", now=now, jurisdiction="330903")
    async with db.uow() as uow:
        await store_credential(uow, event)
        await uow.commit()
    await db.dispose()
    return key


def _serve(url: str, common: CommonSettings, port: int, *, read_model: bool) -> subprocess.Popen[bytes]:
    env = {**os.environ, "GRIDGOV_ANALYTICS_DATABASE_URL": url, "GRIDGOV_ANALYTICS_REGISTRY_URL": "http://127.0.0.1:9",
           "GRIDGOV_ANALYTICS_CONSUMERS_ENABLED": str(read_model).lower(), "GRIDGOV_BROKER_URL": common.broker_url,
           "GRIDGOV_TOPIC_PREFIX": common.topic_prefix, "GRIDGOV_LOG_JSON": "false", "GRIDGOV_LOG_LEVEL": "WARNING"}
    return subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "services.analytics.app:create_app",
                             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
                             "--timeout-graceful-shutdown", "2"], env=env)


async def _wait_ready(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise TimeoutError("analytics did not become ready")


async def _produce(common: CommonSettings, *, rate: float, seconds: float, first: int = 0) -> int:
    """Ticket events at ``rate``/s in 10 ms ticks, each stamped with the moment it is sent."""
    producer = make_producer(common)
    await start_client(producer, common)
    topic, sent, begin = topics.qualified(topics.TICKETS, common.topic_prefix), 0, time.perf_counter()
    try:
        while (elapsed := time.perf_counter() - begin) < seconds:
            due = int(elapsed * rate) - sent
            for _ in range(max(0, due)):
                i = 100_000 + first + sent
                event = ticket_life(i // 7)[i % 7].model_copy(update={"occurred_at": datetime.now(UTC)})
                key, headers, value = record_of(event)
                await producer.send(topic, value=value, key=key, headers=headers)
                sent += 1
            await asyncio.sleep(0.01)
        await producer.flush()
    finally:
        await producer.stop()
    return sent


async def _raw_lags(common: CommonSettings, lags: list[float]) -> None:
    topic = topics.qualified(topics.TICKETS, common.topic_prefix)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap(common), auto_offset_reset="latest",
                                enable_auto_commit=False, fetch_max_wait_ms=common.fetch_max_wait_ms)
    await consumer.start()
    try:
        await consumer.topics()
        consumer.assign([TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())])
        while True:
            batch = await consumer.getmany(timeout_ms=200, max_records=1000)
            now = time.time()
            lags += [now - record_of_time(r.value) for records in batch.values() for r in records]
    finally:
        await consumer.stop()


def record_of_time(value: bytes) -> float:
    begin = value.index(b'"occurred_at":"') + len(b'"occurred_at":"')
    return datetime.fromisoformat(value[begin:value.index(b'"', begin)].decode()).timestamp()


async def fan_out(common: CommonSettings, url: str, *, clients: int, rate: float, seconds: float,
                  read_model: bool = True) -> dict[str, Any]:
    """Fan-out through one analytics process; ``read_model=False`` serves the API and live tail only."""
    await ensure_topics(common)
    key, port = await _issue_key(url), free_port()
    server = _serve(url, common, port, read_model=read_model)
    readers = [Client() for _ in range(clients)]
    tasks: list[asyncio.Task[None]] = []
    raw: list[float] = []
    warmup, warm_lags = 0, []
    try:
        await _wait_ready(port)
        tasks = [asyncio.create_task(c.run(port, key)) for c in readers]
        await asyncio.wait_for(asyncio.gather(*(c.connected.wait() for c in readers)), 30)
        # Warm-up: the first second after start-up (first batches, statement compilation) is reported apart.
        warmup = await _produce(common, rate=rate, seconds=WARMUP_SECONDS)
        await _settle(readers, warmup)
        warm_lags = sorted(lag for c in readers for lag in c.lags)
        for reader in readers:
            reader.lags = []
        tasks.append(asyncio.create_task(_raw_lags(common, raw)))
        await asyncio.sleep(0.5)
        sent = await _produce(common, rate=rate, seconds=seconds, first=warmup)
        await _settle(readers, sent)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        _stop(server)
    return {"read_model_in_process": read_model, **_summary(readers, raw, sent=sent, clients=clients, seconds=seconds),
            "warmup": {"seconds": WARMUP_SECONDS, "events_sent": warmup, "lag_ms": _pct(warm_lags)}}


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


async def _settle(readers: list[Client], sent: int, timeout: float = 10) -> None:
    """Wait until every client has as many frames as events sent (alerts may add more), or the timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and min(len(c.lags) for c in readers) < sent:
        await asyncio.sleep(0.1)


def _summary(readers: list[Client], raw: list[float], *, sent: int, clients: int, seconds: float) -> dict[str, Any]:
    lags = sorted(lag for c in readers for lag in c.lags)
    got = min(len(c.lags) for c in readers)
    return {"clients": clients, "events_sent": sent, "rate_per_s": round(sent / seconds, 1),
            "frames_delivered": len(lags), "min_frames_per_client": got,
            "complete": got >= sent, "lag_ms": _pct(lags), "raw_kafka_lag_ms": _pct(sorted(raw))}


def _pct(ordered: list[float]) -> dict[str, float | None]:
    if not ordered:
        return {"p50": None, "p99": None, "max": None}
    return {"p50": round(ordered[len(ordered) // 2] * 1000, 1),
            "p99": round(ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000, 1),
            "max": round(ordered[-1] * 1000, 1)}
