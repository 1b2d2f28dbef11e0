"""Lifecycle commands of handling units (签收, 办结, 退回, 延期, 挂起, 督办, 重办, 合并, 吹哨 …) and duplicate review."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Body
from pydantic import TypeAdapter, ValidationError

from services.intake import handlers, store
from services.intake.api.tickets import TicketRead, ticket_read
from services.intake.deps import CallerDep, DatabaseDep
from services.intake.domain.commands import COMMANDS
from services.intake.domain.lifecycle import ALLOWED, IllegalTransition
from shared.db import UnitOfWork
from shared.problems import Invalid, NotFound, register_domain_error

router = APIRouter(prefix="/api/v1", tags=["lifecycle"])
register_domain_error(IllegalTransition, status=409, kind="illegal-transition")
ACTING_ROLES = ("system", "dispatcher", "grid_worker")


def _command(name: str, body: dict[str, Any]) -> Any:
    if name not in COMMANDS:
        raise NotFound(f"unknown action '{name}'; one of: {', '.join(COMMANDS)}")
    try:
        return TypeAdapter(COMMANDS[name]).validate_python(body)
    except ValidationError as error:
        fields = [{"field": ".".join(map(str, e["loc"])) or "body", "message": e["msg"]} for e in error.errors()]
        raise Invalid("; ".join(f"{f['field']}: {f['message']}" for f in fields), extra={"errors": fields}) from None


@router.post("/tickets/{ticket_id}/actions/{action}", response_model=TicketRead)
async def act_on_ticket(ticket_id: str, action: str, caller: CallerDep, db: DatabaseDep,
                        body: dict[str, Any] | None = Body(default=None)) -> TicketRead:
    """Run one lifecycle command; 409 names the states that allow it."""
    caller.require_role(*ACTING_ROLES)
    command = _command(action, body or {})

    async def run(uow: UnitOfWork) -> store.TicketRow:
        row = await store.get_ticket(uow, ticket_id)
        if row is None or not caller.can_see(row.jurisdiction):
            raise NotFound(f"ticket '{ticket_id}' not found")
        try:
            return await handlers.act(uow, ticket_id, command, actor=caller.key_id, now=datetime.now(UTC))
        except handlers.UnknownTicket as error:
            raise NotFound(str(error)) from None
        except ValueError as error:
            raise Invalid(str(error)) from None

    # Run again, on fresh rows, when a consumer or geocoding changed the ticket in between (or a deadlock).
    return ticket_read(await db.retrying(run))


@router.get("/lifecycle")
async def lifecycle_table(caller: CallerDep) -> dict[str, list[str]]:
    """Which states allow each action (the state machine, for clients)."""
    return {name: sorted(states) for name, states in ALLOWED.items()}


@router.get("/duplicates")
async def duplicate_suggestions(caller: CallerDep, db: DatabaseDep) -> dict[str, Any]:
    """Possible duplicates for operators to merge (action `merge`) or ignore."""
    async with db.uow() as uow:
        rows = await store.suggestions_for(uow, prefix=caller.scope)
    return {"items": [{"ticket_id": r.ticket_id, "master_id": r.master_id, "confidence": r.confidence,
                       "reasons": r.reasons, "created_at": store.aware(r.created_at)} for r in rows]}
