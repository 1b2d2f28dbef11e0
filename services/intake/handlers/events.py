"""Reactions to events on ``gridgov.tickets``: routing's and escalation's news, and duplicate detection."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from services.intake import store
from services.intake.domain import duplicates, lifecycle
from services.intake.domain.commands import Merge
from services.intake.handlers.tickets import record
from shared.db import UnitOfWork
from shared.events.ticket import (
    TicketArbitrationRequested, TicketEscalated, TicketEvent, TicketOverdue, TicketReceived, TicketReminded,
    TicketRouted, TicketSupervised,
)

DEDUP_ACTOR = "intake-dedup"


def _own(uow: UnitOfWork) -> bool:
    """Intake applied its own events when it decided them; consuming them again would double them."""
    return uow.envelope is not None and uow.envelope.source == uow.db.source


async def _ticket(uow: UnitOfWork, ticket_id: str) -> store.TicketRow | None:
    """The ticket an event is about; the first call in a consumed batch loads every ticket of the batch at once."""
    if "intake.batch_loaded" not in uow.scratch:  # kept referenced: the session's identity map is weak
        ids = {ticket_id} | {env.data.ticket_id for env in uow.batch if isinstance(env.data, TicketEvent)}
        uow.scratch["intake.batch_loaded"] = await store.load_tickets(uow, ids)
    return await store.get_ticket(uow, ticket_id)


async def on_lifecycle_event(event: TicketEvent, uow: UnitOfWork) -> None:
    """Apply routing's and escalation's events (routed, reminded, supervised, escalated, overdue) to the ticket."""
    if _own(uow):
        return
    row = await _ticket(uow, event.ticket_id)
    if row is None:
        return
    if isinstance(event, TicketRouted) and row.state not in ("merged", "not_accepted"):
        row.assignment = event.assignment.model_dump(mode="json")
    await record(uow, row, [event], now=event.occurred_at.astimezone(UTC), publish=False)


async def on_ticket_received(event: TicketReceived, uow: UnitOfWork) -> None:
    """Look for earlier reports of the same incident: merge a sure match, suggest the likely ones."""
    row = await _ticket(uow, event.ticket_id)
    if row is None or row.state not in lifecycle.ALLOWED["merge"]:
        return
    report = as_report(row)
    candidates = await store.duplicate_candidates(
        uow, prefix=_neighbourhood(row.jurisdiction), family=duplicates.family(row.category),
        since=store.aware(row.created_at) - duplicates.WINDOW, until=store.aware(row.created_at), exclude=row.id,
    )
    matches = duplicates.decide(report, [as_report(c) for c in candidates])
    for match in matches:
        if match.decision == "merge":
            events = lifecycle.decide(store.state_of(row), Merge(master_id=match.master_id,
                                      confidence=match.confidence), now=event.occurred_at, actor=DEDUP_ACTOR)
            await record(uow, row, events, now=event.occurred_at.astimezone(UTC))
        else:
            await uow.session.merge(store.DuplicateSuggestion(
                ticket_id=row.id, master_id=match.master_id, confidence=match.confidence,
                reasons=list(match.reasons), created_at=event.occurred_at.astimezone(UTC),
            ))


def _neighbourhood(jurisdiction: str) -> str:
    """Candidates come from the same community (or the whole known area when not geocoded finer)."""
    return jurisdiction[:12] if len(jurisdiction) >= 12 else jurisdiction


def as_report(row: Any) -> duplicates.Report:
    """A stored ticket (or a candidate row with the same column names) as duplicate detection sees it."""
    location = (row.lon, row.lat) if row.lon is not None and row.lat is not None else None
    return duplicates.Report(
        ticket_id=row.id, category=row.category, grid_code=row.grid_code, received_at=store.aware(row.created_at),
        text=f"{row.address or ''} {row.description}", location=location, channel=row.channel,
        master_id=row.master_id,
    )


SUBSCRIPTIONS: dict[type[Any], Any] = {
    TicketReceived: on_ticket_received,
    TicketRouted: on_lifecycle_event,
    TicketReminded: on_lifecycle_event,
    TicketSupervised: on_lifecycle_event,
    TicketEscalated: on_lifecycle_event,
    TicketOverdue: on_lifecycle_event,
    TicketArbitrationRequested: on_lifecycle_event,
}
