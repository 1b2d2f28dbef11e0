"""The only place that builds aiokafka clients: producer, consumer and topic creation."""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError

from shared import topics
from shared.bus.partitioning import partitioner
from shared.settings import CommonSettings

log = logging.getLogger(__name__)


class BrokerUnreachable(RuntimeError):
    """The Kafka broker did not answer at the configured address."""


def bootstrap(common: CommonSettings) -> list[str]:
    return [server.strip().removeprefix("tcp://") for server in common.broker_url.split(",")]


def make_producer(common: CommonSettings) -> AIOKafkaProducer:
    # Tansu has no idempotent producer; ordering per key comes from one in-flight batch per partition.
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap(common), enable_idempotence=False, acks="all", linger_ms=0,
        max_batch_size=1 << 20, request_timeout_ms=15000, client_id="gridgov", partitioner=partitioner,
    )


def make_consumer(common: CommonSettings, *, group_id: str) -> AIOKafkaConsumer:
    # Tansu's fetch does not return early when data arrives: keep the wait short.
    return AIOKafkaConsumer(
        bootstrap_servers=bootstrap(common), group_id=group_id, enable_auto_commit=False,
        auto_offset_reset="earliest", fetch_max_wait_ms=common.fetch_max_wait_ms, max_poll_records=1000,
        session_timeout_ms=30000, heartbeat_interval_ms=3000, client_id=group_id,
    )


async def start_client(client: AIOKafkaProducer | AIOKafkaConsumer | AIOKafkaAdminClient, common: CommonSettings,
                       *, attempts: int = 20) -> None:
    """Start a client, retrying briefly; raise BrokerUnreachable with a one-line reason."""
    for attempt in range(attempts):
        try:
            await client.start()
            return
        except KafkaConnectionError as error:
            if attempt == attempts - 1:
                raise BrokerUnreachable(f"Kafka broker unreachable at {common.broker_url} "
                                        f"(no answer after {attempts} attempts)") from error
            await asyncio.sleep(min(0.1 * (attempt + 1), 1.0))


async def ensure_topics(common: CommonSettings, *, attempts: int = 20) -> None:
    """Create the gridgov topics (with the deployment's prefix) if they do not exist."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap(common), request_timeout_ms=10000)
    await start_client(admin, common, attempts=attempts)
    try:
        existing = set(await admin.list_topics())
        wanted = [NewTopic(topics.qualified(t, common.topic_prefix), topics.PARTITIONS[t], 1) for t in topics.ALL]
        missing = [t for t in wanted if t.name not in existing]
        if missing:
            try:
                await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass
    finally:
        await admin.close()
