"""The in-memory geocoder of a running registry, rebuilt from the store after grids or divisions change."""

from __future__ import annotations

import asyncio

from shared.db import Database
from services.registry import store
from services.registry.domain.geocoder import Geocoder


class GeocoderCache:
    """Builds the STRtree once and keeps it until a grid or division write invalidates it."""

    def __init__(self) -> None:
        self._geocoder: Geocoder | None = None
        self._generation = 0
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        self._generation += 1
        self._geocoder = None

    async def get(self, db: Database) -> Geocoder:
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
