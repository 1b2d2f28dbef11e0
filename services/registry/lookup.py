"""The in-memory geocoder of a running registry, rebuilt from the store after grids or divisions change."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import func, select

from shared.db import Database
from services.registry import store
from services.registry.domain.geocoder import Geocoder


FINGERPRINT_SECONDS = 2.0


class GeocoderCache:
    """Builds the STRtree once and keeps it until a grid or division write invalidates it.

    Writes by another process (``gridgov seed``, a second replica) are noticed by a cheap fingerprint of the grid
    table (row count and newest change), checked at most every FINGERPRINT_SECONDS.
    """

    def __init__(self) -> None:
        self._geocoder: Geocoder | None = None
        self._generation = 0
        self._lock = asyncio.Lock()
        self._fingerprint: tuple[object, ...] | None = None
        self._checked = 0.0

    async def _check_fingerprint(self, db: Database) -> None:
        now = time.monotonic()
        if now - self._checked < FINGERPRINT_SECONDS:
            return
        self._checked = now
        table = store.GridRow.__table__  # type: ignore[attr-defined]
        async with db.engine.connect() as connection:
            row = (await connection.execute(select(func.count(), func.max(table.c.updated_at)))).one()
        fingerprint = tuple(row)
        if self._fingerprint is not None and fingerprint != self._fingerprint:
            self.invalidate()
        self._fingerprint = fingerprint

    def invalidate(self) -> None:
        self._generation += 1
        self._geocoder = None

    async def get(self, db: Database) -> Geocoder:
        await self._check_fingerprint(db)
        geocoder = self._geocoder
        if geocoder is not None:
            return geocoder
        async with self._lock:
            if self._geocoder is None:
                generation = self._generation
                built = await _build(db)
                if generation == self._generation:
                    self._geocoder = built
                return built
            return self._geocoder


async def _build(db: Database) -> Geocoder:
    async with db.uow() as uow:
        names = {row.code: row.name for row in await store.all_rows(uow, store.DivisionRow)}
        rows = await store.all_rows(uow, store.GridRow)
    grids = [store.grid_of(row) for row in rows]
    return await asyncio.to_thread(Geocoder.from_grids, grids, names=names)
