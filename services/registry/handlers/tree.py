"""Commands on the jurisdiction tree, grids, units and grid workers; each change publishes its event."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col

from shared.db import UnitOfWork
from shared.events.registry import GridRemoved
from services.registry import store
from services.registry.domain.errors import DuplicateCode, GridHasRecords, RegistryError, UnknownCode
from services.registry.domain.geojson_import import FeatureError, import_grids
from services.registry.domain.grids import Grid, GridWorker, check_grid, grid_upserted, to_shape
from services.registry.domain.tree import Division, division_upserted
from services.registry.domain.units import make_unit, unit_upserted
from services.registry.domain.validation import check_no_overlap


async def save_division(uow: UnitOfWork, division: Division, *, now: datetime, create: bool,
                        boundary: dict[str, Any] | None = None) -> store.DivisionRow:
    """Create (or, unless ``create``, replace) a division whose parent exists; publishes DivisionUpserted."""
    await store.claim_writer(uow)
    existing = await store.get(uow, store.DivisionRow, division.code)
    if existing is not None and create:
        raise DuplicateCode(f"division '{division.code}' already exists")
    tree = await store.tree_for(uow, division.parent_code or division.code)
    tree.put(division)
    if boundary is not None:
        to_shape(boundary)
    row = existing or store.DivisionRow(code=division.code, name=division.name, kind=division.kind,
                                        level=division.level, updated_at=now)
    row.name, row.kind, row.level, row.parent_code = division.name, division.kind, division.level, division.parent_code
    row.community_class, row.boundary, row.updated_at = division.community_class, boundary, now
    uow.session.add(row)
    uow.publish(division_upserted(division, now=now), key=division.code)
    return row


async def save_grid(uow: UnitOfWork, grid: Grid, *, now: datetime, create: bool) -> store.GridRow:
    """Create or replace a grid after the parent, polygon and same-community overlap checks."""
    await store.claim_writer(uow)
    existing = await store.get(uow, store.GridRow, grid.code)
    if existing is not None and create:
        raise DuplicateCode(f"grid '{grid.code}' already exists")
    check_grid(grid, await store.tree_for(uow, grid.community_code))
    if grid.is_area and len(grid.code) == 15:
        neighbours = await store.under(uow, store.GridRow, column="community_code", prefix=grid.community_code)
        check_no_overlap(grid, [store.grid_of(row) for row in neighbours if len(row.code) == 15])
    row = existing or store.GridRow(code=grid.code, name=grid.name, kind=grid.kind, grid_class=grid.grid_class,
                                    community_code=grid.community_code, updated_at=now)
    row.name, row.kind, row.grid_class, row.polygon = grid.name, grid.kind, grid.grid_class, grid.polygon
    row.vessel_ids, row.worker_ids = list(grid.vessel_ids), list(grid.worker_ids)
    row.team, row.updated_at = [asdict(member) for member in grid.team], now
    uow.session.add(row)
    uow.publish(grid_upserted(grid, now=now), key=grid.code)
    return row


async def remove_grid(uow: UnitOfWork, code: str, *, now: datetime) -> None:
    """Delete an empty grid; publishes GridRemoved."""
    await store.claim_writer(uow)
    row = await store.get(uow, store.GridRow, code)
    if row is None:
        raise UnknownCode(f"grid '{code}' is not in the registry")
    for model in (store.PersonRow, store.PlaceRow):
        count = await uow.session.execute(select(func.count()).where(col(model.grid_code) == code))
        if count.scalar():
            raise GridHasRecords(f"grid '{code}' still has people or places; move them first")
    await uow.session.delete(row)
    uow.publish(GridRemoved(occurred_at=now, jurisdiction=code, code=code), key=code)


async def save_unit(uow: UnitOfWork, division_code: str, *, function: str, now: datetime, name: str = "",
                    contact: str = "", webhook_url: str | None = None, active: bool = True) -> store.UnitRow:
    """Create or replace the unit ``<division>-<function>``; publishes UnitUpserted."""
    await store.claim_writer(uow)
    unit = make_unit(await store.tree_for(uow, division_code), division_code, function=function, name=name,
                     contact=contact, webhook_url=webhook_url, active=active)
    row = await store.get(uow, store.UnitRow, unit.code) or store.UnitRow(
        code=unit.code, name=unit.name, kind=unit.kind, level=unit.level, division_code=division_code,
        function=function, updated_at=now)
    row.name, row.contact, row.webhook_url, row.active, row.updated_at = unit.name, contact, webhook_url, active, now
    uow.session.add(row)
    uow.publish(unit_upserted(unit, now=now), key=unit.code)
    return row


async def save_worker(uow: UnitOfWork, worker: GridWorker) -> store.WorkerRow:
    """Create or replace a grid worker (专职/兼职); grids refer to workers by id."""
    await store.claim_writer(uow)
    row = await store.get(uow, store.WorkerRow, worker.id) or store.WorkerRow(
        id=worker.id, name=worker.name, employment=worker.employment, district_code=worker.district_code)
    row.name, row.phone, row.employment = worker.name, worker.phone, worker.employment
    uow.session.add(row)
    return row


async def import_grid_collection(uow: UnitOfWork, collection: dict[str, Any], *, scope: str, replace: bool,
                                 now: datetime) -> tuple[list[str], list[FeatureError]]:
    """Check every feature, save the good ones (each in a savepoint) and report the rest."""
    await store.claim_writer(uow)
    existing = [store.grid_of(row) for row in await store.under(uow, store.GridRow, prefix=scope[:6])]
    report = import_grids(collection, tree=await store.district_tree(uow, scope), existing=existing, replace=replace)
    saved = []
    for grid in report.accepted:
        if not grid.code.startswith(scope):
            report.errors.append(FeatureError(-1, grid.code, f"outside your jurisdiction {scope}", "Forbidden"))
            continue
        try:
            async with uow.session.begin_nested():
                await save_grid(uow, grid, now=now, create=not replace)
            saved.append(grid.code)
        except RegistryError as error:
            report.errors.append(FeatureError(-1, grid.code, str(error), type(error).__name__))
    return saved, report.errors
