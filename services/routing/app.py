"""Composition root of the routing service."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI

from services.routing import api, handlers, store
from services.routing.settings import Settings
from shared import replica, topics
from shared.bus.consumer import Subscription
from shared.runtime import ServiceRuntime, create_service_app


def create_app(settings: Settings | None = None, *, database_schema: str | None = None) -> FastAPI:
    settings = settings or Settings()
    district = settings.common.district_code
    runtime = ServiceRuntime(
        settings, metadata=store.Base.metadata, database_schema=database_schema,
        subscriptions=[
            Subscription(name="routing", topics=[topics.TICKETS], handlers=dict(handlers.TICKET_SUBSCRIPTIONS),
                         prefixes=(district,), autoflush=False, linger_ms=settings.linger_ms),
            Subscription(name="routing-replica", topics=[topics.REGISTRY],
                         handlers=dict(handlers.REGISTRY_SUBSCRIPTIONS), prefixes=(district,)),
        ],
    )
    return create_service_app(settings, runtime=runtime, routers=[api.router], title="gridgov routing",
                              description="Authority-list tier routing, explainable and versioned.",
                              on_start=[_prepare])


async def _prepare(runtime: ServiceRuntime) -> None:
    """Store the built-in rule version if none exists; bootstrap the replica from the registry when empty."""
    assert runtime.db is not None
    district = runtime.settings.common.district_code
    async with runtime.db.uow() as uow:
        await handlers.ensure_builtin_version(uow, district=district, now=datetime.now(UTC))
    await replica.bootstrap_when_empty(runtime, is_empty=store.replica_is_empty, apply=handlers.apply_snapshot)
