"""A ticket submission from any channel, and how a new one is received."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.events.ticket import Channel, Point, Severity, TicketClosed, TicketEvent, TicketReceived


@dataclass(frozen=True)
class NewTicket:
    """A valid ticket submission from any channel (personal data already masked by the caller)."""

    channel: Channel
    category: str
    description: str
    severity: Severity = "一般"
    location: Point | None = None
    grid_code: str | None = None
    address: str | None = None
    external_id: str | None = None
    reporter_masked: str | None = None
    category_mapped: bool = True
    entry_level: str = "grid"
    self_resolved: bool = False


def jurisdiction_of(new: NewTicket, *, district: str) -> str:
    """The grid code once known, else the most precise division code (at worst the district)."""
    return new.grid_code or district


def receive(new: NewTicket, *, ticket_id: str, district: str, now: datetime, actor: str,
            geocode_pending: bool = False) -> list[TicketEvent]:
    """Accept a submission: its TicketReceived, and a TicketClosed when the grid worker fixed it on the spot."""
    jurisdiction = jurisdiction_of(new, district=district)
    received = TicketReceived(
        ticket_id=ticket_id, occurred_at=now, jurisdiction=jurisdiction, channel=new.channel, category=new.category,
        category_mapped=new.category_mapped, severity=new.severity, grid_code=new.grid_code, location=new.location,
        address=new.address, description=new.description, reporter_masked=new.reporter_masked,
        external_id=new.external_id, entry_level=new.entry_level,
        geocode_pending=geocode_pending, self_resolved=new.self_resolved,
    )
    if not new.self_resolved:
        return [received]
    # 自行处置: closed at once, but it still counts as a ticket handled at grid level.
    return [received, TicketClosed(ticket_id=ticket_id, occurred_at=now, jurisdiction=jurisdiction, actor=actor,
                                   self_resolved=True)]
