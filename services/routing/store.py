"""Routing's tables: the registry replica, rule versions, each ticket's routing state and every decision."""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint, delete, func, select
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field, col

from services.routing.domain.lifecycle import TicketRouting
from services.routing.domain.place import TicketFacts
from services.routing.domain.replica import Division, Grid, Replica, Unit
from services.routing.domain.rule_data import version_from_dict, version_to_dict
from services.routing.domain.rules import RuleVersion
from shared.codes import InvalidCode, ancestry
from shared.db import UnitOfWork, new_base, new_row
from shared.events.ticket import Assignment, TicketRouted

Base = new_base()


class DivisionRow(Base, table=True):  # type: ignore[call-arg, misc, valid-type]
    __tablename__ = "replica_divisions"

    code: str = Field(primary_key=True, max_length=20)
    name: str
    level: str = Field(max_length=20)
    parent_code: str | None = Field(default=None, max_length=20)
    community_class: str | None = Field(default=None, max_length=1)


class GridRow(Base, table=True):  # type: ignore[call-arg, misc, valid-type]
    __tablename__ = "replica_grids"

    code: str = Field(primary_key=True, max_length=20)
    name: str
    kind: str = Field(max_length=30)
    grid_class: str = Field(max_length=1)
    community_code: str = Field(max_length=20)


class UnitRow(Base, table=True):  # type: ignore[call-arg, misc, valid-type]
    __tablename__ = "replica_units"

    code: str = Field(primary_key=True, max_length=60)
    name: str
    kind: str = Field(max_length=30)
    level: str = Field(max_length=20)
    division_code: str = Field(index=True, max_length=20)
    function: str = Field(max_length=40)
    active: bool = True


class RuleVersionRow(Base, table=True):  # type: ignore[call-arg, misc, valid-type]
    __tablename__ = "rule_versions"

    district: str = Field(primary_key=True, max_length=6)
    version: str = Field(primary_key=True, max_length=60)
    effective_from: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))
    data: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_by: str = Field(default="", max_length=64)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class TicketRoutingRow(Base, table=True):  # type: ignore[call-arg, misc, valid-type]
    """One ticket's routing state; ``pending`` while it waits for its geocode."""

    __tablename__ = "ticket_routing"

    ticket_id: str = Field(primary_key=True, max_length=40)
    jurisdiction: str = Field(index=True, max_length=20)
    received_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))
    pending: bool = False
    facts: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    state: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    rule_version: str | None = Field(default=None, max_length=60)
    lead_unit_code: str | None = Field(default=None, max_length=60)
    returns: int = 0


class DecisionRow(Base, table=True):  # type: ignore[call-arg, misc, valid-type]
    __tablename__ = "decisions"
    __table_args__ = (UniqueConstraint("ticket_id", "sequence"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: str = Field(index=True, max_length=40)
    sequence: int
    reason: str = Field(max_length=20)
    unit_code: str = Field(max_length=60)
    level: str = Field(max_length=20)
    rule_version: str = Field(max_length=60)
    event: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    decided_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


# -- replica -------------------------------------------------------------------------------------------------

async def _upsert(uow: UnitOfWork, model: Any, values: dict[str, Any]) -> None:
    """INSERT … ON CONFLICT (code) DO UPDATE: the consumer and the bootstrap may write the same row at once."""
    _forget_replica(uow)
    table = model.__table__
    dialect = uow.session.bind.dialect.name if uow.session.bind is not None else "sqlite"
    insert = postgres_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(table).values(**values)
    update = {name: statement.excluded[name] for name in values if name != "code"}
    await uow.session.execute(statement.on_conflict_do_update(index_elements=["code"], set_=update))


async def upsert_division(uow: UnitOfWork, division: Division) -> None:
    await _upsert(uow, DivisionRow, asdict(division))


async def upsert_grid(uow: UnitOfWork, grid: Grid) -> None:
    await _upsert(uow, GridRow, asdict(grid))


async def remove_grid(uow: UnitOfWork, code: str) -> None:
    _forget_replica(uow)
    await uow.session.execute(delete(GridRow).where(col(GridRow.code) == code))


async def upsert_unit(uow: UnitOfWork, unit: Unit) -> None:
    await _upsert(uow, UnitRow, asdict(unit))


async def replica_is_empty(uow: UnitOfWork) -> bool:
    count = await uow.session.scalar(select(func.count()).select_from(UnitRow))
    return not count


REPLICA_TTL = 30.0  # seconds another process's replica writes may take to be seen by this one


def _forget_replica(uow: UnitOfWork) -> None:
    uow.forget("routing_replica")


async def replica_around(uow: UnitOfWork, code: str) -> Replica:
    """The part of the replica one decision needs: the grid and the units of the divisions above it.

    The grids and units are read once into memory and re-read after REPLICA_TTL (or at once after a local write).
    """
    try:
        chain = ancestry(code)
    except InvalidCode:
        chain = [code[:6]]
    grids, units = await _cached_replica(uow)
    grid = grids.get(code[:15]) if len(chain) >= 4 else None
    return Replica.of(grids=[grid] if grid is not None else [],
                      units=[unit for division in chain for unit in units.get(division, ())])


async def _cached_replica(uow: UnitOfWork) -> tuple[dict[str, Grid], dict[str, list[Unit]]]:
    fresh, value, stamp = uow.db.recall("routing_replica", "all")
    if fresh:
        return value  # type: ignore[no-any-return]
    grids = {row.code: _grid(row) for row in (await uow.session.execute(select(GridRow))).scalars()}
    units: dict[str, list[Unit]] = {}
    for row in (await uow.session.execute(select(UnitRow))).scalars():
        units.setdefault(row.division_code, []).append(_unit(row))
    uow.db.keep("routing_replica", "all", (grids, units), ttl=REPLICA_TTL, stamp=stamp)
    return grids, units


async def full_replica(uow: UnitOfWork) -> Replica:
    divisions = (await uow.session.execute(select(DivisionRow))).scalars()
    grids = (await uow.session.execute(select(GridRow))).scalars()
    units = (await uow.session.execute(select(UnitRow))).scalars()
    return Replica.of(
        divisions=[Division(d.code, d.name, d.level, d.parent_code, d.community_class) for d in divisions],
        grids=[_grid(g) for g in grids], units=[_unit(u) for u in units],
    )


def _grid(row: GridRow) -> Grid:
    return Grid(row.code, row.name, row.kind, row.grid_class, row.community_code)


def _unit(row: UnitRow) -> Unit:
    return Unit(row.code, row.name, row.level, row.division_code, row.function, row.kind, row.active)


# -- rule versions -------------------------------------------------------------------------------------------

VERSION_TTL = 5.0  # seconds before a version uploaded through another process is used


async def add_version(uow: UnitOfWork, version: RuleVersion, *, actor: str, now: datetime) -> None:
    uow.forget("routing_schedule")
    uow.session.add(RuleVersionRow(district=version.district, version=version.version,
                                   effective_from=version.effective_from, data=version_to_dict(version),
                                   created_by=actor, created_at=now))


def _parsed(uow: UnitOfWork, district: str, version: str, data: Any) -> RuleVersion:
    """Versions are never edited in place, so each is parsed once per process."""
    cache: dict[tuple[str, str], RuleVersion] = uow.db.cache.setdefault("routing_versions", {})
    key = (district, version)
    if key not in cache:
        cache[key] = version_from_dict(data() if callable(data) else data)
    return cache[key]


async def get_version(uow: UnitOfWork, district: str, *, version: str) -> RuleVersion | None:
    cached = uow.db.cache.get("routing_versions", {}).get((district, version))
    if cached is not None:
        return cached
    row = await uow.session.get(RuleVersionRow, (district, version))
    return _parsed(uow, district, version, row.data) if row is not None else None


async def list_versions(uow: UnitOfWork, district: str) -> list[RuleVersion]:
    query = select(RuleVersionRow).where(col(RuleVersionRow.district) == district).order_by(col(RuleVersionRow.effective_from))
    return [version_from_dict(row.data) for row in (await uow.session.execute(query)).scalars()]


async def version_at(uow: UnitOfWork, district: str, *, at: datetime) -> RuleVersion | None:
    """The version in force at ``at``: the latest ``effective_from`` not after it."""
    fresh, schedule, stamp = uow.db.recall("routing_schedule", district)
    if not fresh:
        query = (select(col(RuleVersionRow.effective_from), col(RuleVersionRow.version))
                 .where(col(RuleVersionRow.district) == district).order_by(col(RuleVersionRow.effective_from)))
        schedule = [(_aware(when), name) for when, name in (await uow.session.execute(query)).all()]
        uow.db.keep("routing_schedule", district, schedule, ttl=VERSION_TTL, stamp=stamp)
    names = [name for when, name in schedule if when <= _aware(at)]
    return await get_version(uow, district, version=names[-1]) if names else None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# -- tickets and decisions -----------------------------------------------------------------------------------

async def existing_tickets(uow: UnitOfWork, ticket_ids: list[str]) -> set[str]:
    query = select(col(TicketRoutingRow.ticket_id)).where(col(TicketRoutingRow.ticket_id).in_(ticket_ids))
    return set((await uow.session.execute(query)).scalars())


async def get_ticket(uow: UnitOfWork, ticket_id: str) -> TicketRoutingRow | None:
    """The ticket's row, also one this transaction created (a consumed batch may hold a ticket's TicketReceived and
    its TicketLocated: the located handler must find the row the received one added)."""
    return uow.scratch.get(_NEW_TICKETS, {}).get(ticket_id) or await uow.session.get(TicketRoutingRow, ticket_id)


_NEW_TICKETS = "routing_new_tickets"


def add_ticket(uow: UnitOfWork, row: TicketRoutingRow) -> None:
    """A new ticket's row, written as the transaction commits (one Core insert for the batch's new tickets)."""
    uow.insert_at_commit(row)
    uow.scratch.setdefault(_NEW_TICKETS, {})[row.ticket_id] = row


def new_ticket_row(facts: TicketFacts, *, pending: bool) -> TicketRoutingRow:
    return new_row(TicketRoutingRow, ticket_id=facts.ticket_id, jurisdiction=facts.jurisdiction,
                   received_at=facts.occurred_at, pending=pending, facts=facts_to_dict(facts))


def save_state(row: TicketRoutingRow, state: TicketRouting) -> None:
    row.pending = False
    row.jurisdiction = state.ticket.jurisdiction
    row.facts = facts_to_dict(state.ticket)
    row.state = state_to_dict(state)
    row.rule_version = state.rule_version
    row.lead_unit_code = state.lead.unit_code
    row.returns = state.returns


def add_decision(uow: UnitOfWork, event: TicketRouted) -> None:
    uow.insert_at_commit(new_row(
        DecisionRow, ticket_id=event.ticket_id, sequence=event.sequence, reason=event.reason,
        unit_code=event.assignment.unit_code, level=event.assignment.level, rule_version=event.rule_version,
        event=event.model_dump(mode="json"), decided_at=event.occurred_at,
    ))


async def decisions_of(uow: UnitOfWork, ticket_id: str) -> list[DecisionRow]:
    query = select(DecisionRow).where(col(DecisionRow.ticket_id) == ticket_id).order_by(col(DecisionRow.sequence))
    return list((await uow.session.execute(query)).scalars())


async def tickets_since(uow: UnitOfWork, since: datetime, *, limit: int) -> list[TicketFacts]:
    column = col(TicketRoutingRow.received_at)
    query = select(TicketRoutingRow).where(column >= since).order_by(column).limit(limit)
    return [facts_from_dict(row.facts) for row in (await uow.session.execute(query)).scalars()]


_FACT_FIELDS = tuple(field.name for field in fields(TicketFacts))


def facts_to_dict(facts: TicketFacts) -> dict[str, Any]:
    """The facts as JSON values (every field is a plain value; ``asdict``'s deep copy cost 10 times as much)."""
    return {**{name: getattr(facts, name) for name in _FACT_FIELDS}, "occurred_at": facts.occurred_at.isoformat()}


def facts_from_dict(data: dict[str, Any]) -> TicketFacts:
    return TicketFacts(**{**data, "occurred_at": datetime.fromisoformat(data["occurred_at"])})


def state_to_dict(state: TicketRouting) -> dict[str, Any]:
    return {
        "rule_version": state.rule_version, "lead": state.lead.model_dump(mode="json"),
        "co_units": [co.model_dump(mode="json") for co in state.co_units], "tried": list(state.tried),
        "returns": state.returns, "first_unit_code": state.first_unit_code, "sequence": state.sequence,
        "arbitration": state.arbitration,
    }


def state_from_row(row: TicketRoutingRow) -> TicketRouting | None:
    data = row.state
    if data is None:
        return None
    return TicketRouting(
        ticket=facts_from_dict(row.facts), rule_version=data["rule_version"],
        lead=Assignment.model_validate(data["lead"]),
        co_units=tuple(Assignment.model_validate(co) for co in data["co_units"]), tried=tuple(data["tried"]),
        returns=data["returns"], first_unit_code=data["first_unit_code"], sequence=data["sequence"],
        arbitration=data["arbitration"],
    )
