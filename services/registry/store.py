"""Registry's tables and queries. Every write goes through a UnitOfWork (state + outbox in one transaction).

Personal data is stored only as AES-GCM tokens (``*_enc``), HMAC blind indexes (``*_index``) and masks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import JSON, Column, delete, func, select
from sqlmodel import Field, SQLModel, col

from shared.db import UnitOfWork, new_base
from services.registry.domain.grids import Grid, TeamMember
from services.registry.domain.tree import Division, JurisdictionTree
from services.registry.domain.units import Unit

Base = new_base()
Row = TypeVar("Row", bound=SQLModel)


class DivisionRow(Base, table=True):  # type: ignore[call-arg, misc, valid-type]
    __tablename__ = "divisions"

    code: str = Field(primary_key=True, max_length=18)
    name: str = Field(max_length=100)
    kind: str = Field(max_length=20)
    level: str = Field(index=True, max_length=20)
    parent_code: str | None = Field(default=None, index=True, max_length=18)
    community_class: str | None = Field(default=None, max_length=1)
    boundary: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    updated_at: datetime


class GridRow(Base, table=True):  # type: ignore[call-arg, misc, valid-type]
    __tablename__ = "grids"

    code: str = Field(primary_key=True, max_length=18)
    name: str = Field(max_length=100)
    kind: str = Field(max_length=30)
    grid_class: str = Field(max_length=1)
    community_code: str = Field(index=True, max_length=12)
    polygon: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    vessel_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    worker_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    team: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON))
    updated_at: datetime


class UnitRow(Base, table=True):  # type: ignore[call-arg, misc, valid-type]
    __tablename__ = "units"

    code: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=100)
    kind: str = Field(max_length=30)
    level: str = Field(max_length=20)
    division_code: str = Field(index=True, max_length=18)
    function: str = Field(max_length=40)
    contact: str = Field(default="", max_length=100)
    webhook_url: str | None = Field(default=None, max_length=500)
    active: bool = True
    updated_at: datetime


class WorkerRow(Base, table=True):  # type: ignore[call-arg, misc, valid-type]
    __tablename__ = "grid_workers"

    id: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=50)
    phone: str = Field(default="", max_length=20)
    employment: str = Field(max_length=20)
    district_code: str = Field(index=True, max_length=6)


class PersonRow(Base, table=True):  # type: ignore[call-arg, misc, valid-type]
    __tablename__ = "persons"

    id: str = Field(primary_key=True, max_length=40)
    kind: str = Field(max_length=20)
    grid_code: str = Field(index=True, max_length=18)
    building_id: str | None = Field(default=None, max_length=60)
    name_enc: str
    id_number_enc: str
    phone_enc: str | None = None
    id_number_index: str = Field(index=True, max_length=64)
    phone_index: str | None = Field(default=None, index=True, max_length=64)
    masked: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON))
    verified_at: datetime | None = None
    expires_at: datetime | None = Field(default=None, index=True)
    moved_out_at: datetime | None = None
    updated_at: datetime


class PlaceRow(Base, table=True):  # type: ignore[call-arg, misc, valid-type]
    """Buildings, key places, components and organisations: one table, kind-specific fields in ``data``."""

    __tablename__ = "places"

    id: str = Field(primary_key=True, max_length=40)
    kind: str = Field(index=True, max_length=20)
    grid_code: str = Field(index=True, max_length=18)
    name: str = Field(max_length=200)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    updated_at: datetime


class CountSnapshotRow(Base, table=True):  # type: ignore[call-arg, misc, valid-type]
    """The live resident count of a grid at the last anomaly check (for the jump rule)."""

    __tablename__ = "resident_counts"

    grid_code: str = Field(primary_key=True, max_length=18)
    live: int
    counted_at: datetime


async def get(uow: UnitOfWork, model: type[Row], key: str) -> Row | None:
    return await uow.session.get(model, key)


async def under(uow: UnitOfWork, model: type[Row], *, prefix: str, column: str = "code", limit: int | None = None,
                after: str | None = None, key: str = "code") -> list[Row]:
    """Rows whose ``column`` starts with ``prefix``, ordered by ``key``, keyset-paginated after ``after``."""
    query = select(model).where(getattr(model, column).startswith(prefix))
    if after is not None:
        query = query.where(getattr(model, key) > after)
    query = query.order_by(getattr(model, key))
    if limit is not None:
        query = query.limit(limit)
    return list((await uow.session.execute(query)).scalars())


async def all_rows(uow: UnitOfWork, model: type[Row]) -> list[Row]:
    return list((await uow.session.execute(select(model))).scalars())


async def persons_by_index(uow: UnitOfWork, *, column: str, digest: str, prefix: str) -> list[PersonRow]:
    query = select(PersonRow).where(getattr(PersonRow, column) == digest, col(PersonRow.grid_code).startswith(prefix))
    return list((await uow.session.execute(query.order_by(PersonRow.id))).scalars())


async def last_position(uow: UnitOfWork) -> int:
    """The sequence number of the newest event written to the outbox (0 before any)."""
    outbox = uow.db.outbox
    return int((await uow.session.execute(select(func.max(outbox.c.seq)))).scalar() or 0)


async def places_of(uow: UnitOfWork, *, kind: str, prefix: str) -> list[PlaceRow]:
    query = select(PlaceRow).where(col(PlaceRow.kind) == kind, col(PlaceRow.grid_code).startswith(prefix))
    return list((await uow.session.execute(query.order_by(PlaceRow.id))).scalars())


def division_of(row: DivisionRow) -> Division:
    return Division(row.code, row.name, row.kind, row.community_class)  # type: ignore[arg-type]


def grid_of(row: GridRow) -> Grid:
    team = tuple(TeamMember(m["role"], m["name"], m.get("phone", "")) for m in row.team)  # type: ignore[arg-type]
    return Grid(row.code, row.name, row.kind, row.grid_class, row.polygon, tuple(row.vessel_ids),  # type: ignore[arg-type]
                tuple(row.worker_ids), team)


def unit_of(row: UnitRow) -> Unit:
    return Unit(row.code, row.name, row.kind, row.level, row.division_code, row.function, row.contact,  # type: ignore[arg-type]
                row.webhook_url, row.active)


async def tree_for(uow: UnitOfWork, code: str) -> JurisdictionTree:
    """The ancestry of ``code`` (district down to its own level) as a small tree, for parent checks."""
    codes = [code[:n] for n in (6, 9, 12) if n <= len(code)]
    rows = (await uow.session.execute(select(DivisionRow).where(DivisionRow.code.in_(codes)))).scalars()  # type: ignore[attr-defined]
    return JurisdictionTree(division_of(row) for row in rows)


async def district_tree(uow: UnitOfWork, district: str) -> JurisdictionTree:
    """Every division of a district, for checks that span communities (GeoJSON import)."""
    return JurisdictionTree(division_of(row) for row in await under(uow, DivisionRow, prefix=district[:6]))


async def claim_writer(uow: UnitOfWork) -> None:
    """On SQLite, take the write lock before reading: a read-then-write transaction would otherwise fail with
    'database is locked' when the relay commits in between (WAL cannot upgrade a stale read snapshot)."""
    if uow.db.engine.dialect.name == "sqlite":
        await uow.session.execute(delete(CountSnapshotRow).where(CountSnapshotRow.grid_code == ""))  # type: ignore[arg-type]
