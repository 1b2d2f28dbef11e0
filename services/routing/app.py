"""Composition root of the routing service."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.exc import DBAPIError

from services.routing import api, handlers, store
from services.routing.settings import Settings
from shared import topics
from shared.auth import Principal, issue_token
from shared.bus.consumer import Subscription
from shared.runtime import ServiceRuntime, create_service_app

log = logging.getLogger(__name__)

SNAPSHOT_KINDS = ("divisions", "grids", "units")


def create_app(settings: Settings | None = None, *, database_schema: str | None = None) -> FastAPI:
    settings = settings or Settings()
    district = settings.common.district_code
    runtime = ServiceRuntime(
        settings, metadata=store.Base.metadata, database_schema=database_schema,
        subscriptions=[
            Subscription(name="routing", topics=[topics.TICKETS], handlers=dict(handlers.TICKET_SUBSCRIPTIONS),
                         prefixes=(district,), autoflush=False),
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
    async with runtime.db.uow() as uow:
        empty = await store.replica_is_empty(uow)
    if empty:
        runtime.spawn(_bootstrap(runtime), name="routing-replica-bootstrap")


async def _bootstrap(runtime: ServiceRuntime, *, attempts: int = 8) -> None:
    for attempt in range(attempts):
        try:
            await copy_registry_snapshots(runtime)
            return
        except (httpx.HTTPError, KeyError, ValueError, DBAPIError) as error:
            delay = min(30.0, 0.5 * 2**attempt)
            log.warning("replica bootstrap from the registry failed (%s); retrying in %.1fs", error, delay)
            await asyncio.sleep(delay)
    log.error("replica bootstrap gave up after %d attempts; the replica fills from registry events", attempts)


async def copy_registry_snapshots(runtime: ServiceRuntime, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
    """Fill the replica from the registry's ``GET /api/v1/snapshot/{kind}`` pages (divisions, grids, units)."""
    assert runtime.db is not None
    settings = runtime.settings
    common = settings.common
    principal = Principal(key_id="routing", kind="service", scope=common.district_code, roles=("system",))
    token = issue_token(principal, secret_key=common.secret_key, now=datetime.now(UTC))
    async with httpx.AsyncClient(base_url=settings.registry_url, timeout=10.0, transport=transport,
                                 headers={"Authorization": f"Bearer {token}"}) as client:
        for kind in SNAPSHOT_KINDS:
            cursor: str | None = None
            while True:
                response = await client.get(f"/api/v1/snapshot/{kind}", params={"cursor": cursor} if cursor else {})
                response.raise_for_status()
                page = response.json()
                written = await _apply_page(runtime, kind, page["items"])
                log.info("replica bootstrap: %d %s", written, kind)
                cursor = page.get("next_cursor")
                if not cursor:
                    break


async def _apply_page(runtime: ServiceRuntime, kind: str, items: list[dict[str, Any]], *, attempts: int = 5) -> int:
    """One page in one transaction, retried when it collides with the registry consumer writing the same rows."""
    assert runtime.db is not None
    for attempt in range(attempts):
        try:
            async with runtime.db.uow() as uow:
                return await handlers.apply_snapshot(uow, kind, items=items)
        except DBAPIError as error:
            if attempt == attempts - 1:
                raise
            log.info("replica bootstrap page of %s collided (%s); retrying", kind, type(error.orig).__name__)
            await asyncio.sleep(0.05 * (attempt + 1))
    return 0
