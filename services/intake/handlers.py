"""Intake's commands (create a ticket) and its reactions to lifecycle events from other services."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import orjson

from shared import codes
from shared.db import UnitOfWork
from shared.events.ticket import TicketRouted
from services.intake import store
from services.intake.domain.model import NewTicket, receive

_CST = ZoneInfo("Asia/Shanghai")


async def create_ticket(uow: UnitOfWork, new: NewTicket, *, district: str, actor: str, now: datetime,
                        reporter_encrypted: str | None = None,
                        reporter_masked: dict[str, str] | None = None, idempotency_key: str | None = None) -> store.TicketRow:
    """Accept one ticket: row, idempotency record and TicketReceived in one transaction."""
    if idempotency_key:
        existing = await store.find_idempotent(uow, caller=actor, key=idempotency_key)
        if existing:
            row = await store.get_ticket(uow, existing)
            assert row is not None
            return row
    sequence = await store.next_sequence(uow, district=district, day=f"{now.astimezone(_CST):%Y%m%d}")
    ticket_id = codes.format_ticket_id(district, now.astimezone(_CST).date(), sequence)
    ticket, event = receive(new, ticket_id=ticket_id, district=district, now=now, actor=actor)
    row = store.TicketRow(
        id=ticket.id, state=ticket.state, channel=new.channel, category=new.category,
        category_mapped=new.category_mapped, severity=new.severity, jurisdiction=ticket.jurisdiction,
        grid_code=new.grid_code, lon=new.location.lon if new.location else None,
        lat=new.location.lat if new.location else None, address=new.address, description=new.description,
        reporter_encrypted=reporter_encrypted, reporter_masked=reporter_masked, external_id=new.external_id,
        created_by=actor, timeline=[entry.as_dict() for entry in ticket.timeline], created_at=now, updated_at=now,
    )
    uow.session.add(row)
    if idempotency_key:
        uow.session.add(store.IdempotencyRecord(caller=actor, key=idempotency_key, ticket_id=ticket_id, created_at=now))
    uow.publish(event, key=ticket_id, jurisdiction=ticket.jurisdiction)
    await uow.commit()
    return row


async def on_ticket_routed(event: TicketRouted, uow: UnitOfWork) -> None:
    """Record who handles the ticket now and by when."""
    row = await store.get_ticket(uow, event.ticket_id)
    if row is None:
        return
    row.state = "routed" if row.state in ("received", "routed", "reopened") else row.state
    row.assignment = orjson.loads(orjson.dumps(event.assignment.model_dump(mode="json")))
    row.timeline = [*row.timeline, {"type": "routed", "time": event.occurred_at.isoformat(), "actor": "routing",
                                    "note": f"{event.assignment.unit_name} ({event.reason})"}]
    row.updated_at = datetime.now(UTC)


SUBSCRIPTIONS = {TicketRouted: on_ticket_routed}
