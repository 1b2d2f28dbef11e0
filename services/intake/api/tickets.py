"""Intake's REST API for departmental systems: create, read and list tickets; the category tree."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, Field, field_validator

from shared import pii
from shared.codes import InvalidCode, validate_code
from shared.events.ticket import Point, Severity
from shared.problems import NotFound
from shared.taxonomy import load_taxonomy
from services.intake import handlers, store
from services.intake.deps import CallerDep, DatabaseDep, SettingsDep
from services.intake.domain.lifecycle import STATE_LABELS_ZH, allowed_commands
from services.intake.domain.model import NewTicket
from services.intake.settings import Settings

router = APIRouter(prefix="/api/v1", tags=["tickets"])


class Reporter(BaseModel):
    name: str | None = Field(default=None, max_length=50)
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9\-]{5,20}$")
    id_number: str | None = Field(default=None, pattern=r"^[0-9]{17}[0-9Xx]$")


class TicketCreate(BaseModel):
    category: str = Field(description="taxonomy item code (also the Open311 service_code)")
    description: str = Field(min_length=1, max_length=4000)
    location: Point | None = None
    grid_code: str | None = None
    address: str | None = Field(default=None, max_length=500)
    severity: Severity = "一般"
    reporter: Reporter | None = None
    external_id: str | None = Field(default=None, max_length=100)

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        if value not in load_taxonomy().items:
            raise ValueError(f"unknown category '{value}'; see GET /api/v1/categories")
        return value

    @field_validator("grid_code")
    @classmethod
    def _grid_code(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                validate_code(value)
            except InvalidCode as error:
                raise ValueError(str(error)) from None
        return value


class TicketRead(BaseModel):
    id: str
    state: str
    state_label: str
    channel: str
    category: str
    severity: str
    jurisdiction: str
    grid_code: str | None
    location: Point | None
    address: str | None
    description: str
    reporter: dict[str, str] | None
    external_id: str | None
    geocode_pending: bool
    assignment: dict[str, Any] | None
    co_unit_codes: list[str]
    overdue: bool
    master_id: str | None
    rating: str | None
    result: str
    self_resolved: bool
    allowed_actions: list[str]
    attachments: list[dict[str, Any]]
    timeline: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime


class TicketPage(BaseModel):
    items: list[TicketRead]
    next_cursor: str | None


def ticket_read(row: store.TicketRow) -> TicketRead:
    location = Point(lon=row.lon, lat=row.lat) if row.lon is not None and row.lat is not None else None
    return TicketRead(
        id=row.id, state=row.state, state_label=STATE_LABELS_ZH.get(row.state, row.state),  # type: ignore[call-overload]
        channel=row.channel, category=row.category, severity=row.severity,
        jurisdiction=row.jurisdiction, grid_code=row.grid_code, location=location, address=row.address,
        description=row.description, reporter=row.reporter_masked, external_id=row.external_id,
        geocode_pending=row.geocode_pending, assignment=row.assignment,
        co_unit_codes=list((row.machine or {}).get("co_unit_codes") or []), overdue=row.overdue,
        master_id=row.master_id, rating=row.rating, result=row.result, self_resolved=row.self_resolved,
        allowed_actions=allowed_commands(row.state),  # type: ignore[arg-type]
        attachments=row.attachments or [],
        timeline=row.timeline, created_at=store.aware(row.created_at), updated_at=store.aware(row.updated_at),
    )


def protect_reporter(reporter: Reporter | None, settings: Settings) -> tuple[str | None, dict[str, str] | None]:
    """Encrypt the reporter for storage and mask it for every reply."""
    if reporter is None or not reporter.model_dump(exclude_none=True):
        return None, None
    key, _ = pii.keys_from_secret(settings.common.secret_key, settings.common.pii_key)
    clear = reporter.model_dump(exclude_none=True)
    masks = {"name": pii.mask_name, "phone": pii.mask_phone, "id_number": pii.mask_id_number}
    return pii.encrypt(orjson.dumps(clear).decode(), key=key), {k: masks[k](v) for k, v in clear.items()}


@router.post("/tickets", status_code=201, response_model=TicketRead)
async def create_ticket(body: TicketCreate, caller: CallerDep, db: DatabaseDep, settings: SettingsDep,
                        response: Response,
                        idempotency_key: Annotated[str | None, Header(max_length=200)] = None) -> TicketRead:
    """Accept a ticket from a departmental system."""
    district = settings.common.district_code
    caller.require_role("system", "dispatcher", "grid_worker", "open311", "hotline")
    caller.require_within(body.grid_code or district)
    encrypted, masked = protect_reporter(body.reporter, settings)
    new = NewTicket(
        channel="rest", category=body.category, description=body.description, severity=body.severity,
        location=body.location, grid_code=body.grid_code, address=body.address, external_id=body.external_id,
        reporter_masked=" ".join(masked.values()) if masked else None,
    )
    row = await handlers.accept(db, new, district=district, actor=caller.key_id, now=datetime.now(UTC),
                                reporter_encrypted=encrypted, reporter_masked=masked, idempotency_key=idempotency_key)
    response.headers["Location"] = f"/api/v1/tickets/{row.id}"
    return ticket_read(row)


@router.get("/tickets/{ticket_id}", response_model=TicketRead)
async def read_ticket(ticket_id: str, caller: CallerDep, db: DatabaseDep) -> TicketRead:
    """One ticket with its assignment and full timeline."""
    async with db.uow() as uow:
        row = await store.get_ticket(uow, ticket_id)
    if row is None or not caller.can_see(row.jurisdiction):
        raise NotFound(f"ticket '{ticket_id}' not found")
    return ticket_read(row)


@router.get("/tickets", response_model=TicketPage)
async def list_tickets(
    caller: CallerDep, db: DatabaseDep,
    jurisdiction: Annotated[str | None, Query(pattern=r"^\d{4,18}$")] = None,
    state: str | None = None, category: str | None = None,
    channel: Literal["rest", "hotline", "open311", "grid_worker", "import"] | None = None,
    since: datetime | None = None, until: datetime | None = None, overdue: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50, cursor: str | None = None,
) -> TicketPage:
    """Tickets in the caller's jurisdiction (or a narrower prefix), newest first."""
    prefix = caller.narrow(jurisdiction)
    filters = {"state": state, "category": category, "channel": channel, "since": since, "until": until,
               "overdue": overdue}
    async with db.uow() as uow:
        rows = await store.list_tickets(uow, prefix=prefix, limit=limit + 1, cursor=cursor, filters=filters)
    next_cursor = rows[limit - 1].id if len(rows) > limit else None
    return TicketPage(items=[ticket_read(row) for row in rows[:limit]], next_cursor=next_cursor)


@router.get("/categories")
async def categories(caller: CallerDep) -> dict[str, Any]:
    """The category taxonomy with codes, Chinese names, handling levels and time limits."""
    taxonomy = load_taxonomy()
    return {"version": taxonomy.version, "modules": taxonomy.tree()}


