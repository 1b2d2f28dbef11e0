"""Event builders for analytics tests: one ticket's life in a few lines."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from shared.events import ticket as ev

CHINA = timezone(timedelta(hours=8))
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=CHINA)  # a Monday
GRID = "330903001001001"
COMMUNITY_UNIT = "330903001001-community"
STREET_UNIT = "330903001-enforcement"
CATEGORY = "01010101"


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def received(ticket_id: str = "330903-20260302-000001", *, hours: float = 0, **fields: Any) -> ev.TicketReceived:
    base: dict[str, Any] = {"ticket_id": ticket_id, "occurred_at": at(hours), "jurisdiction": GRID,
                            "channel": "hotline", "category": CATEGORY, "grid_code": GRID}
    return ev.TicketReceived(**{**base, **fields})


def routed(ticket_id: str = "330903-20260302-000001", *, hours: float = 0.1, unit: str = COMMUNITY_UNIT,
           level: str = "community", due: datetime | None = None, sequence: int = 1,
           reason: str = "initial") -> ev.TicketRouted:
    assignment = ev.Assignment(unit_code=unit, unit_name="某单位", level=level,  # type: ignore[arg-type]
                               unit_jurisdiction=unit.split("-")[0], due_at=due)
    return ev.TicketRouted(ticket_id=ticket_id, occurred_at=at(hours), jurisdiction=GRID, category=CATEGORY,
                           assignment=assignment, reason=reason, rule_version="v1",  # type: ignore[arg-type]
                           sequence=sequence)


def common(ticket_id: str, hours: float) -> dict[str, Any]:
    return {"ticket_id": ticket_id, "occurred_at": at(hours), "jurisdiction": GRID}


def signed(ticket_id: str = "330903-20260302-000001", *, hours: float = 0.5, unit: str = COMMUNITY_UNIT) -> ev.TicketSigned:
    return ev.TicketSigned(**common(ticket_id, hours), unit_code=unit, actor="op")


def resolved(ticket_id: str = "330903-20260302-000001", *, hours: float = 10,
             unit: str = COMMUNITY_UNIT) -> ev.TicketResolved:
    return ev.TicketResolved(**common(ticket_id, hours), unit_code=unit, actor="op")


def verified(ticket_id: str = "330903-20260302-000001", *, hours: float = 11, passed: bool = True) -> ev.TicketVerified:
    return ev.TicketVerified(**common(ticket_id, hours), passed=passed, actor="gw")


def closed(ticket_id: str = "330903-20260302-000001", *, hours: float = 12, self_resolved: bool = False) -> ev.TicketClosed:
    return ev.TicketClosed(**common(ticket_id, hours), actor="op", self_resolved=self_resolved)


def evaluated(ticket_id: str = "330903-20260302-000001", *, hours: float = 13, rating: str = "满意") -> ev.TicketEvaluated:
    return ev.TicketEvaluated(**common(ticket_id, hours), rating=rating, actor="citizen")  # type: ignore[arg-type]


def returned(ticket_id: str = "330903-20260302-000001", *, hours: float = 1) -> ev.TicketReturned:
    return ev.TicketReturned(**common(ticket_id, hours), unit_code=COMMUNITY_UNIT, reason="非本单位职责", actor="op")


def reopened(ticket_id: str = "330903-20260302-000001", *, hours: float = 14) -> ev.TicketReopened:
    return ev.TicketReopened(**common(ticket_id, hours), reason="不满意", actor="op")


def overdue(ticket_id: str = "330903-20260302-000001", *, hours: float = 5, clock: str = "handling",
            due: datetime | None = None) -> ev.TicketOverdue:
    return ev.TicketOverdue(**common(ticket_id, hours), clock=clock, unit_code=COMMUNITY_UNIT,  # type: ignore[arg-type]
                            due_at=due or at(hours))


def life(ticket_id: str = "330903-20260302-000001", *, rating: str = "满意") -> list[ev.TicketEvent]:
    """A clean ticket: received, routed to the community, signed, resolved at +10 h, verified, closed, rated."""
    return [received(ticket_id), routed(ticket_id), signed(ticket_id), resolved(ticket_id),
            verified(ticket_id), closed(ticket_id), evaluated(ticket_id, rating=rating)]
