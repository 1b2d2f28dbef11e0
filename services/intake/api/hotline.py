"""The 12345 hotline push (`/hotline/v1`): signed work orders in, receipts and status out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field, ValidationError

from services.intake import store
from services.intake.api.tickets import Reporter, protect_reporter
from services.intake.deps import CallerDep, DatabaseDep, SettingsDep
from services.intake.domain import hotline
from services.intake.domain.commands import Evaluate
from services.intake.domain.model import NewTicket
from services.intake.handlers import act, callbacks
from services.intake.handlers import hotline as orders
from services.intake.settings import Settings
from shared import pii
from shared.db import UnitOfWork
from shared.events.ticket import Point
from shared.problems import Invalid, NotFound, register_domain_error
from shared.taxonomy import hotline_mapping, load_taxonomy

router = APIRouter(prefix="/hotline/v1", tags=["12345 hotline"])
register_domain_error(hotline.HotlineRejected, status=401, kind="bad-signature")
ModelT = TypeVar("ModelT", bound=BaseModel)
FALLBACK_NAME = "信访诉求"  # unmapped hotline categories land here, flagged category_mapped=false


class IntegrationCreate(BaseModel):
    callback_url: str | None = Field(default=None, pattern=r"^https?://", max_length=500)
    label: str = Field(default="", max_length=100)


class OrderIn(BaseModel):
    order_no: str = Field(min_length=1, max_length=100, description="the hotline's work order number (工单号)")
    category: str = Field(min_length=1, max_length=200, description="the hotline's own category name")
    content: str = Field(min_length=1, max_length=4000)
    address: str | None = Field(default=None, max_length=500)
    location: Point | None = None
    grid_code: str | None = Field(default=None, pattern=r"^\d{15}(\d{3})?$")
    urgency: str | None = Field(default=None, max_length=20, description="特急 / 紧急 / 一般")
    caller: Reporter | None = None


class VisitIn(BaseModel):
    satisfaction: Literal["满意", "基本满意", "不满意"]
    note: str = Field(default="", max_length=1000)


def _keys(settings: Settings) -> bytes:
    key, _ = pii.keys_from_secret(settings.common.secret_key, settings.common.pii_key)
    return key


async def signed_push(request: Request) -> orders.SignedPush:
    headers = request.headers
    return orders.SignedPush(
        client_id=headers.get(hotline.HEADER_CLIENT, ""), timestamp=headers.get(hotline.HEADER_TIMESTAMP, ""),
        nonce=headers.get(hotline.HEADER_NONCE, ""), signature=headers.get(hotline.HEADER_SIGNATURE, ""),
        body=await request.body(),
    )


PushDep = Annotated[orders.SignedPush, Depends(signed_push)]


@router.post("/integrations", status_code=201)
async def create_integration(body: IntegrationCreate, caller: CallerDep, db: DatabaseDep,
                             settings: SettingsDep) -> dict[str, Any]:
    """Register a hotline platform; the signing secret is shown only in this answer."""
    caller.require_role("admin")
    key = _keys(settings)
    async with db.uow() as uow:
        client_id, secret = await orders.register_integration(
            uow, scope=caller.scope, callback_url=body.callback_url, label=body.label,
            encrypt=lambda text: pii.encrypt(text, key=key), now=datetime.now(UTC))
    return {"client_id": client_id, "secret": secret, "callback_url": body.callback_url, "scope": caller.scope}


def _parse(model: type[ModelT], body: bytes) -> ModelT:
    try:
        return model.model_validate_json(body)
    except ValidationError as error:
        fields = [{"field": ".".join(map(str, e["loc"])) or "body", "message": e["msg"]} for e in error.errors()]
        raise Invalid("; ".join(f"{f['field']}: {f['message']}" for f in fields), extra={"errors": fields}) from None


def _new_ticket(order: OrderIn, masked: dict[str, str] | None) -> NewTicket:
    taxonomy = load_taxonomy()
    fallback = next((code for code, item in taxonomy.items.items() if item.name == FALLBACK_NAME), min(taxonomy.items))
    category = hotline.map_category(order.category, hotline_mapping(), fallback=fallback)
    urgency = hotline.map_urgency(order.urgency)
    return NewTicket(
        channel="hotline", category=category.code, category_mapped=category.mapped, description=order.content,
        severity=urgency.severity, location=order.location, grid_code=order.grid_code, address=order.address,
        external_id=order.order_no, reporter_masked=" ".join(masked.values()) if masked else None,
        entry_level="district",
    )


@router.post("/orders", status_code=201)
async def push_order(push: PushDep, db: DatabaseDep, settings: SettingsDep, response: Response) -> dict[str, Any]:
    """Accept a signed work order (工单); the same order number again returns the first receipt (受理回执)."""
    key, now = _keys(settings), datetime.now(UTC)
    async with db.uow() as uow:
        integration = await orders.authenticate_push(uow, push, decrypt=lambda t: pii.decrypt(t, key=key), now=now)
        order = _parse(OrderIn, push.body)
        if order.grid_code and not order.grid_code.startswith(integration.scope):
            raise NotFound(f"grid '{order.grid_code}' is not served here")
        encrypted, masked = protect_reporter(order.caller, settings)
        receipt = await orders.receive_order(
            uow, integration, _new_ticket(order, masked), order_no=order.order_no,
            district=settings.common.district_code, now=now, reporter_encrypted=encrypted, reporter_masked=masked)
    if receipt.duplicate:
        response.status_code = 200
    return {**hotline.receipt(order_no=order.order_no, ticket_id=receipt.ticket_id, now=now,
                              duplicate=receipt.duplicate), "category_mapped": receipt.category_mapped}


async def _order_row(push: orders.SignedPush, db: Any, settings: Settings, order_no: str) -> store.TicketRow:
    key = _keys(settings)
    async with db.uow() as uow:
        integration = await orders.authenticate_push(uow, push, decrypt=lambda t: pii.decrypt(t, key=key),
                                                     now=datetime.now(UTC))
        row = await orders.find_order(uow, client_id=integration.client_id, order_no=order_no)
        await uow.commit()
    if row is None:
        raise NotFound(f"order '{order_no}' not found")
    return row


@router.get("/orders/{order_no}")
async def read_order(order_no: str, push: PushDep, db: DatabaseDep, settings: SettingsDep) -> dict[str, Any]:
    """The order's ticket: state, handling result and return visit (signed like a push, over an empty body)."""
    row = await _order_row(push, db, settings, order_no)
    return {"order_no": order_no, "ticket_id": row.id, "state": row.state, "result": row.result,
            "satisfaction": row.rating, "master_ticket_id": row.master_id, "timeline": row.timeline}


@router.post("/orders/{order_no}/visit")
async def return_visit(order_no: str, push: PushDep, db: DatabaseDep, settings: SettingsDep) -> dict[str, Any]:
    """Record the satisfaction return visit (回访); 不满意 reopens the ticket (重办)."""
    row = await _order_row(push, db, settings, order_no)
    visit = _parse(VisitIn, push.body)
    ticket_id = row.master_id or row.id

    async def evaluate(uow: UnitOfWork) -> store.TicketRow:
        return await act(uow, ticket_id, Evaluate(rating=visit.satisfaction), actor=f"hotline:{order_no}",
                         now=datetime.now(UTC))

    row = await db.retrying(evaluate)  # again on fresh rows if the ticket changed meanwhile
    return {"order_no": order_no, "ticket_id": row.id, "state": row.state, "satisfaction": visit.satisfaction}


@router.get("/callbacks")
async def callback_log(caller: CallerDep, db: DatabaseDep, order_no: str | None = None, ticket_id: str | None = None,
                       client_id: str | None = None,
                       limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict[str, Any]:
    """The delivery log of status callbacks (attempts, errors, delivered time)."""
    async with db.uow() as uow:
        rows = await store.callback_log(uow, client_id=client_id, ticket_id=ticket_id, order_no=order_no,
                                        limit=limit)
        visible = {r.id for r in rows if (t := await store.get_ticket(uow, r.ticket_id)) and caller.can_see(t.jurisdiction)}
    return {"items": [callbacks.log_entry(r) for r in rows if r.id in visible]}
