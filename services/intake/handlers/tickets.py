"""Commands on tickets: create one (any channel), and a handling unit's lifecycle commands."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.intake import store
from services.intake.domain import lifecycle, timeline
from services.intake.domain.commands import Command, Merge
from services.intake.domain.model import NewTicket, receive
from services.intake.handlers.callbacks import enqueue_callbacks
from shared import codes
from shared.db import Database, UnitOfWork, new_row
from shared.events.ticket import TicketEvent

_CST = ZoneInfo("Asia/Shanghai")


class UnknownTicket(LookupError):
    """No ticket with this id (or none the caller may see)."""


async def create_ticket(uow: UnitOfWork, new: NewTicket, *, district: str, actor: str, now: datetime,
                        reporter_encrypted: str | None = None, reporter_masked: dict[str, str] | None = None,
                        idempotency_key: str | None = None, geocode_pending: bool = False,
                        hotline_client: str | None = None, media_url: str | None = None,
                        attachments: list[dict[str, Any]] | None = None, commit: bool = True) -> store.TicketRow:
    """Accept one ticket: row, idempotency record and TicketReceived in one transaction."""
    if idempotency_key:
        existing = await store.find_idempotent(uow, caller=actor, key=idempotency_key)
        if existing and (row := await store.get_ticket(uow, existing)) is not None:
            return row
    # Location without a grid: accept now, the geocoding loop finishes it (never a network call here).
    geocode_pending = geocode_pending or (new.grid_code is None and new.location is not None)
    ticket_id = await _new_id(uow, district=district, now=now)
    events = receive(new, ticket_id=ticket_id, district=district, now=now, actor=actor,
                     geocode_pending=geocode_pending)
    row = new_row(  # not store.TicketRow(...): SQLModel's constructor cost a fifth of accepting a ticket
        store.TicketRow,
        id=ticket_id, state="received", channel=new.channel, category=new.category,
        category_mapped=new.category_mapped, severity=new.severity, jurisdiction=events[0].jurisdiction,
        grid_code=new.grid_code, lon=new.location.lon if new.location else None,
        lat=new.location.lat if new.location else None, address=new.address, description=new.description,
        reporter_encrypted=reporter_encrypted, reporter_masked=reporter_masked, external_id=new.external_id,
        geocode_pending=geocode_pending, created_by=actor, created_at=now, updated_at=now,
        self_resolved=new.self_resolved, hotline_client=hotline_client, media_url=media_url,
        attachments=attachments or [], timeline=[], machine={},
    )
    await record(uow, row, events, now=now, new=True)
    if idempotency_key:
        uow.session.add(store.IdempotencyRecord(caller=actor, key=idempotency_key, ticket_id=ticket_id, created_at=now))
    if commit:
        await uow.commit()
    return row


async def accept(db: Database, new: NewTicket, **options: Any) -> store.TicketRow:
    """Accept one ticket in a transaction shared with concurrent requests (group commit); see ``create_ticket``."""
    return await db.group.run(lambda uow: create_ticket(uow, new, commit=False, **options))


async def _new_id(uow: UnitOfWork, *, district: str, now: datetime) -> str:
    local = now.astimezone(_CST)
    sequence = await store.next_sequence(uow, district=district, day=f"{local:%Y%m%d}")
    return codes.format_ticket_id(district, local.date(), sequence)


async def act(uow: UnitOfWork, ticket_id: str, command: Command, *, actor: str, now: datetime) -> store.TicketRow:
    """Check a handling unit's command against the state machine and record its events."""
    row = await store.get_ticket(uow, ticket_id)
    if row is None:
        raise UnknownTicket(f"ticket '{ticket_id}' not found")
    if isinstance(command, Merge):
        command = await _to_cluster_master(uow, row, command)
    events = lifecycle.decide(store.state_of(row), command, now=now, actor=actor)
    await record(uow, row, events, now=now)
    await uow.commit()
    return row


async def _to_cluster_master(uow: UnitOfWork, row: store.TicketRow, command: Merge) -> Merge:
    """A merge points at the cluster's master, never at a ticket that is itself merged."""
    master = await store.get_ticket(uow, command.master_id)
    if master is None or master.jurisdiction[:6] != row.jurisdiction[:6]:
        raise UnknownTicket(f"master ticket '{command.master_id}' not found")
    return Merge(master_id=master.master_id or master.id, confidence=command.confidence)


async def record(uow: UnitOfWork, row: store.TicketRow, events: list[TicketEvent], *, now: datetime,
                 publish: bool = True, new: bool = False) -> None:
    """Apply events to the row, publish them through the outbox and queue the hotline's callbacks."""
    state = None if new else store.state_of(row)
    for event in events:
        state = timeline.apply(state, event)
        if publish:
            uow.publish(event, key=row.id, jurisdiction=event.jurisdiction)
    assert state is not None
    store.save_state(row, state, now=now)
    if new:  # a Core insert at commit, not the ORM's flush of a pending row
        uow.insert_at_commit(row)
    await enqueue_callbacks(uow, row, events, now=now)
