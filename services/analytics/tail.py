"""The live tail's consumer: ticket events and alerts into the in-memory hub, with an inbox of its own.

The ring is volatile, so the consumer's de-duplication state (the inbox) is too: it lives in a private
SQLite file removed on shutdown, never in the read-model database. On SQLite the read model's large batch
transactions hold the write lock; an inbox commit of the tail queued behind them would delay every SSE client.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from services.analytics import handlers
from services.analytics.live import LiveHub
from shared import topics
from shared.bus.consumer import Consumer, Subscription
from shared.db import Database, create_schema, make_engine, new_base, sqlite_url
from shared.runtime import ServiceRuntime

NAME = "analytics-live"


def live_tail(hub: LiveHub, *, linger_ms: int = 0) -> Callable[[ServiceRuntime], Awaitable[None]]:
    """An ``on_start`` hook that runs the live-tail consumer until the runtime stops.

    It runs in every process that serves the API, also one started with ``consumers_enabled=False`` (the SSE
    clients are served from this process's hub), so the read-model consumers can run in another process.
    """

    async def start(runtime: ServiceRuntime) -> None:
        folder = Path(tempfile.mkdtemp(prefix="gridgov-analytics-live-"))
        db = Database(make_engine(sqlite_url(folder / "inbox.db")), new_base().metadata, service=NAME,
                      district=runtime.settings.common.district_code)
        await create_schema(db.engine, db.metadata)
        # Each serving replica feeds its own ring from every partition: sharing a consumer group would split
        # the partitions, and each replica's SSE clients would see only part of the stream.
        subscription = Subscription(name=NAME, topics=[topics.TICKETS, topics.ALERTS],
                                    handlers=handlers.live_handlers(hub), each_process_from_last=hub.ring.capacity,
                                    linger_ms=linger_ms)
        assert runtime.producer is not None
        consumer = Consumer(db, runtime.settings.common, subscription, dlq_producer=runtime.producer)
        await consumer.start()
        runtime.consumers.append(consumer)  # stopped with the others
        runtime.spawn(_run(consumer, db, folder), name=f"consume-{NAME}")

    return start


async def _run(consumer: Consumer, db: Database, folder: Path) -> None:
    try:
        await consumer.run()
    finally:
        await db.dispose()
        shutil.rmtree(folder, ignore_errors=True)
