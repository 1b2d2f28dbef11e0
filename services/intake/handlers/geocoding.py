"""Finishing tickets accepted without a grid: locate them in batches through the registry, off the hot path."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from services.intake import store
from services.intake.handlers.tickets import record
from shared.db import Database
from shared.events.ticket import TicketLocated

Locate = Callable[[list[dict[str, float]]], Awaitable[list[dict[str, Any]]]]


async def locate_pending(db: Database, locate: Locate, *, now: datetime, batch: int = 500) -> int:
    """Geocode up to ``batch`` pending tickets with one registry call; returns how many were located.

    When the registry is unreachable ``locate`` raises, nothing changes and the tickets wait for the next
    round: a valid ticket is never rejected for want of a grid.
    """
    async with db.uow() as uow:
        query = select(store.TicketRow.id, store.TicketRow.lon, store.TicketRow.lat).where(
            store.TicketRow.geocode_pending == True).limit(batch)  # noqa: E712
        pending = [(row.id, row.lon, row.lat) for row in (await uow.session.execute(query))]
    if not pending:
        return 0
    results = await locate([{"lon": lon, "lat": lat} for _, lon, lat in pending])
    async with db.uow() as uow:
        # The batch's rows in one query (one per ticket held SQLite's write lock ~50 ms for a round of 100).
        rows = {row.id: row for row in await store.load_tickets(uow, {ticket_id for ticket_id, _, _ in pending})}
        for (ticket_id, _, _), result in zip(pending, results, strict=True):
            row = rows.get(ticket_id)
            if row is not None and row.geocode_pending:  # another writer may have finished it since the read
                await _apply(uow, row, result, now=now)
        await uow.commit()
    return len(pending)


async def _apply(uow: Any, row: store.TicketRow, result: dict[str, Any], *, now: datetime) -> None:
    inside, grid = bool(result.get("inside")), result.get("grid_code")
    row.geocode_pending = False
    if inside and grid:
        row.grid_code = grid
    event = TicketLocated(ticket_id=row.id, occurred_at=now, jurisdiction=grid if inside and grid else row.jurisdiction,
                          grid_code=grid if inside else None, inside=inside)
    await record(uow, row, [event], now=now)
