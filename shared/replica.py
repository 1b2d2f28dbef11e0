"""Bootstrap of a service's registry replica (divisions, grids, units) from the registry's snapshot pages.

A service that keeps a replica of the registry fills it from ``gridgov.registry`` events; one that starts with it
empty (a new deployment, a wiped database) first copies the registry's ``GET /api/v1/snapshot/{kind}?cursor=``
pages (``{"items", "next_cursor", "position"}``, items shaped like the *Upserted events) over HTTP, with a signed
service token. A registry that refuses the token (401/403) is logged and the replica fills from events alone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy.exc import DBAPIError

from shared.auth import Principal, issue_token
from shared.db import UnitOfWork
from shared.runtime import ServiceRuntime

log = logging.getLogger(__name__)

KINDS = ("divisions", "grids", "units")

# Writes one snapshot page of a kind into the replica in the given unit of work, commits it, returns the items written.
ApplyPage = Callable[[UnitOfWork, str, list[dict[str, Any]]], Awaitable[int]]


class Refused(RuntimeError):
    """The registry did not accept the service's credentials."""


async def bootstrap_when_empty(runtime: ServiceRuntime, *, is_empty: Callable[[UnitOfWork], Awaitable[bool]],
                               apply: ApplyPage) -> None:
    """Copy the registry's snapshot in the background if the replica is empty (an ``on_start`` step)."""
    assert runtime.db is not None
    async with runtime.db.uow() as uow:
        empty = await is_empty(uow)
    if empty:
        runtime.spawn(bootstrap(runtime, apply), name=f"{runtime.settings.name}-replica-bootstrap")


async def bootstrap(runtime: ServiceRuntime, apply: ApplyPage, *, attempts: int = 8) -> None:
    """Copy the snapshot, retrying with backoff while the registry is unreachable; give up on a refusal."""
    for attempt in range(attempts):
        try:
            await copy_registry_snapshots(runtime, apply)
            return
        except Refused as error:
            log.warning("replica bootstrap skipped: %s; the replica fills from registry events", error)
            return
        except (httpx.HTTPError, KeyError, ValueError, DBAPIError) as error:
            delay = min(30.0, 0.5 * 2**attempt)
            log.warning("replica bootstrap from the registry failed (%s); retrying in %.1fs", error, delay)
            await asyncio.sleep(delay)
    log.error("replica bootstrap gave up after %d attempts; the replica fills from registry events", attempts)


async def copy_registry_snapshots(runtime: ServiceRuntime, apply: ApplyPage, *,
                                  transport: httpx.AsyncBaseTransport | None = None) -> int:
    """Copy every snapshot page of divisions, grids and units into the replica; returns the items written."""
    settings, written = runtime.settings, 0
    principal = Principal(key_id=settings.name, kind="service", scope=settings.common.district_code,
                          roles=("system",))
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
                written += await _apply_page(runtime, apply, kind, page["items"])
                if not (cursor := page.get("next_cursor")):
                    break
    log.info("replica bootstrap: %d registry items copied", written)
    return written


async def _apply_page(runtime: ServiceRuntime, apply: ApplyPage, kind: str, items: list[dict[str, Any]], *,
                      attempts: int = 5) -> int:
    """One page in one transaction, run again when it collides with the registry consumer writing the same rows."""
    assert runtime.db is not None
    for attempt in range(attempts):
        try:
            async with runtime.db.uow() as uow:
                return await apply(uow, kind, items)
        except DBAPIError as error:
            if attempt == attempts - 1:
                raise
            log.info("replica bootstrap page of %s collided (%s); retrying", kind, type(error.orig).__name__)
            await asyncio.sleep(0.05 * (attempt + 1))
    return 0
