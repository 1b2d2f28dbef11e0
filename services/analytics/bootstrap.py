"""Analytics' registry replica: how a snapshot page is written (through the *Upserted handlers) and when the
replica counts as empty; the copying itself is ``shared.replica``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from services.analytics import handlers, store
from shared import replica
from shared.db import UnitOfWork
from shared.events.registry import DivisionUpserted, GridUpserted, UnitUpserted
from shared.runtime import ServiceRuntime

KINDS: dict[str, tuple[type[Any], handlers.Handler]] = {
    "divisions": (DivisionUpserted, handlers.on_division_upserted),
    "grids": (GridUpserted, handlers.on_grid_upserted),
    "units": (UnitUpserted, handlers.on_unit_upserted),
}


async def apply_snapshot(uow: UnitOfWork, kind: str, items: list[dict[str, Any]]) -> int:
    """One snapshot page through the same handlers as the registry's events, in one transaction."""
    event_type, handler = KINDS[kind]
    for item in items:
        await handler(event_type.model_validate(item), uow)
    await uow.commit()
    return len(items)


async def replica_is_empty(uow: UnitOfWork) -> bool:
    return not await uow.session.scalar(select(func.count()).select_from(store.DivisionRow))


async def bootstrap_when_empty(runtime: ServiceRuntime) -> None:
    """``on_start`` hook: copy the registry's snapshot in the background if no division is replicated yet."""
    await replica.bootstrap_when_empty(runtime, is_empty=replica_is_empty, apply=apply_snapshot)
