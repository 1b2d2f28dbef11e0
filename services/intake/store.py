"""Intake's tables and queries. Every write goes through a UnitOfWork (state + outbox + inbox in one transaction)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, select, update
from sqlmodel import Field

from services.intake.domain.lifecycle import TicketState
from shared.db import UnitOfWork, new_base

IntakeModel = new_base()


class TicketRow(IntakeModel, table=True):  # type: ignore[call-arg, misc, valid-type]
    __tablename__ = "tickets"

    id: str = Field(primary_key=True, max_length=40)
    state: str = Field(index=True, max_length=20)
    channel: str = Field(max_length=20)
    category: str = Field(index=True, max_length=20)
    category_mapped: bool = True
    severity: str = Field(default="一般", max_length=10)
    jurisdiction: str = Field(index=True, max_length=20)
    grid_code: str | None = Field(default=None, max_length=20)
    lon: float | None = None
    lat: float | None = None
    address: str | None = None
    description: str = ""
    reporter_encrypted: str | None = None
    reporter_masked: dict[str, str] | None = Field(default=None, sa_column=Column(JSON))
    external_id: str | None = Field(default=None, index=True, max_length=100)
    geocode_pending: bool = False
    created_by: str = Field(default="", max_length=64)
    assignment: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    timeline: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    created_at: datetime = Field(index=True)
    updated_at: datetime
    unit_code: str | None = Field(default=None, index=True, max_length=80)
    due_at: datetime | None = None
    overdue: bool = Field(default=False, index=True)
    master_id: str | None = Field(default=None, index=True, max_length=40)
    rating: str | None = Field(default=None, max_length=10)
    result: str = ""
    self_resolved: bool = False
    hotline_client: str | None = Field(default=None, max_length=64)
    machine: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))


class TicketSequence(IntakeModel, table=True):  # type: ignore[call-arg, misc, valid-type]
    __tablename__ = "ticket_sequences"

    district: str = Field(primary_key=True, max_length=6)
    day: str = Field(primary_key=True, max_length=8)
    last: int = 0


class IdempotencyRecord(IntakeModel, table=True):  # type: ignore[call-arg, misc, valid-type]
    __tablename__ = "idempotency_keys"

    caller: str = Field(primary_key=True, max_length=64)
    key: str = Field(primary_key=True, max_length=200)
    ticket_id: str = Field(max_length=40)
    created_at: datetime


def state_of(row: TicketRow) -> TicketState:
    """The state machine's view of a stored ticket."""
    machine = row.machine or {}
    pending = machine.get("pending_extension")
    return TicketState(
        ticket_id=row.id, jurisdiction=row.jurisdiction, state=row.state, category=row.category,  # type: ignore[arg-type]
        unit_code=row.unit_code, co_unit_codes=tuple(machine.get("co_unit_codes", ())), due_at=_aware(row.due_at),
        resume_to=machine.get("resume_to"), pending_extension=(pending[0], pending[1]) if pending else None,
        master_id=row.master_id, rating=row.rating, result=row.result, returns=machine.get("returns", 0),  # type: ignore[arg-type]
        reopens=machine.get("reopens", 0), supervisions=machine.get("supervisions", 0), overdue=row.overdue,
        timeline=tuple(row.timeline or ()),
    )


def save_state(row: TicketRow, state: TicketState, *, now: datetime) -> None:
    """Copy the state machine's view back onto the row (the caller's transaction writes it)."""
    row.state, row.jurisdiction, row.category = state.state, state.jurisdiction, state.category
    row.unit_code, row.due_at, row.overdue = state.unit_code, state.due_at, state.overdue
    row.master_id, row.rating, row.result = state.master_id, state.rating, state.result
    row.machine = {
        "co_unit_codes": list(state.co_unit_codes), "resume_to": state.resume_to, "returns": state.returns,
        "pending_extension": list(state.pending_extension) if state.pending_extension else None,
        "reopens": state.reopens, "supervisions": state.supervisions,
    }
    row.timeline = list(state.timeline)
    row.updated_at = now


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


async def next_sequence(uow: UnitOfWork, *, district: str, day: str) -> int:
    """Allocate the next ticket number of a district-day inside the caller's transaction."""
    table = TicketSequence.__table__
    result = await uow.session.execute(
        update(table).where(table.c.district == district, table.c.day == day)
        .values(last=table.c.last + 1).returning(table.c.last)
    )
    value = result.scalar_one_or_none()
    if value is None:
        uow.session.add(TicketSequence(district=district, day=day, last=1))
        await uow.session.flush()
        return 1
    return int(value)


async def get_ticket(uow: UnitOfWork, ticket_id: str) -> TicketRow | None:
    return await uow.session.get(TicketRow, ticket_id)


async def find_idempotent(uow: UnitOfWork, *, caller: str, key: str) -> str | None:
    row = await uow.session.get(IdempotencyRecord, (caller, key))
    return row.ticket_id if row else None


async def list_tickets(uow: UnitOfWork, *, prefix: str, limit: int, cursor: str | None,
                       filters: dict[str, Any]) -> list[TicketRow]:
    """Tickets under ``prefix``, newest id first, keyset-paginated by id."""
    query = select(TicketRow).where(TicketRow.jurisdiction.startswith(prefix))  # type: ignore[attr-defined]
    for column in ("state", "category", "channel"):
        if filters.get(column):
            query = query.where(getattr(TicketRow, column) == filters[column])
    if filters.get("since"):
        query = query.where(TicketRow.created_at >= filters["since"])
    if filters.get("until"):
        query = query.where(TicketRow.created_at < filters["until"])
    if filters.get("overdue") is not None:
        query = query.where(TicketRow.overdue == filters["overdue"])
    if cursor:
        query = query.where(TicketRow.id < cursor)
    query = query.order_by(TicketRow.id.desc()).limit(limit)  # type: ignore[attr-defined]
    return list((await uow.session.execute(query)).scalars())
