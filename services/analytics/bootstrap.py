"""Bootstrap of the registry replica (divisions, grids, units) over HTTP when analytics starts with it empty.

Pages come from the registry's ``GET /api/v1/snapshot/{kind}?cursor=`` (``{"items", "next_cursor", "position"}``),
items shaped like the *Upserted events, and go through the same handlers as those events. The call carries a
signed service token; a registry that refuses it (401/403) is logged and the replica fills from events alone.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from services.analytics import handlers, store
from shared.auth import Principal, issue_token
from shared.events.registry import DivisionUpserted, GridUpserted, UnitUpserted
from shared.runtime import ServiceRuntime

log = logging.getLogger(__name__)

KINDS: dict[str, tuple[type[Any], handlers.Handler]] = {
    "divisions": (DivisionUpserted, handlers.on_division_upserted),
    "grids": (GridUpserted, handlers.on_grid_upserted),
    "units": (UnitUpserted, handlers.on_unit_upserted),
}


class Refused(RuntimeError):
    """The registry did not accept the service's credentials."""


async def bootstrap_when_empty(runtime: ServiceRuntime) -> None:
    """``on_start`` hook: copy the registry's snapshot in the background if no division is replicated yet."""
    assert runtime.db is not None
    async with runtime.db.uow() as uow:
        count = await uow.session.scalar(select(func.count()).select_from(store.DivisionRow))
    if not count:
        runtime.spawn(_bootstrap(runtime), name="analytics-replica-bootstrap")


async def _bootstrap(runtime: ServiceRuntime, *, attempts: int = 8) -> None:
    for attempt in range(attempts):
        try:
            await copy_registry_snapshots(runtime)
            return
        except Refused as error:
            log.warning("replica bootstrap skipped: %s; the replica fills from registry events", error)
            return
        except (httpx.HTTPError, KeyError, ValueError, DBAPIError) as error:
            delay = min(30.0, 0.5 * 2**attempt)
            log.warning("replica bootstrap from the registry failed (%s); retrying in %.1fs", error, delay)
            await asyncio.sleep(delay)
    log.error("replica bootstrap gave up after %d attempts; the replica fills from registry events", attempts)


async def copy_registry_snapshots(runtime: ServiceRuntime, *, transport: httpx.AsyncBaseTransport | None = None) -> int:
    """Copy every snapshot page of divisions, grids and units into the replica; returns the items written."""
    settings, written = runtime.settings, 0
    principal = Principal(key_id="analytics", kind="service", scope=settings.common.district_code, roles=("system",))
    token = issue_token(principal, secret_key=settings.common.secret_key, now=datetime.now(UTC))
    async with httpx.AsyncClient(base_url=settings.registry_url, timeout=10.0, transport=transport,
                                 headers={"Authorization": f"Bearer {token}"}) as client:
        for kind in KINDS:
            cursor: str | None = None
            while True:
                response = await client.get(f"/api/v1/snapshot/{kind}", params={"cursor": cursor} if cursor else {})
                if response.status_code in (401, 403):
                    raise Refused(f"the registry answered {response.status_code} to GET /api/v1/snapshot/{kind}")
                response.raise_for_status()
                page = response.json()
                written += await apply_page(runtime, kind, page["items"])
                if not (cursor := page.get("next_cursor")):
                    break
    log.info("replica bootstrap: %d registry items copied", written)
    return written


async def apply_page(runtime: ServiceRuntime, kind: str, items: list[dict[str, Any]], *, attempts: int = 5) -> int:
    """One page in one transaction through the *Upserted handlers, retried when it collides with the consumer."""
    for attempt in range(attempts):
        try:
            return await _apply(runtime, kind, items)
        except DBAPIError as error:
            if attempt == attempts - 1:
                raise
            log.info("replica bootstrap page of %s collided (%s); retrying", kind, type(error.orig).__name__)
            await asyncio.sleep(0.05 * (attempt + 1))
    return 0


async def _apply(runtime: ServiceRuntime, kind: str, items: list[dict[str, Any]]) -> int:
    assert runtime.db is not None
    event_type, handler = KINDS[kind]
    async with runtime.db.uow() as uow:
        for item in items:
            await handler(event_type.model_validate(item), uow)
        await uow.commit()
    return len(items)
