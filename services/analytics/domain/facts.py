"""The per-ticket fact record: everything analytics needs to know about one ticket, folded from its events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from shared.events import ticket as ev

LOCAL_LEVELS = frozenset({"grid", "community"})


@dataclass(frozen=True, slots=True)
class TicketFact:
    ticket_id: str
    jurisdiction: str
    channel: str = ""
    category: str = ""
    severity: str = "一般"
    community_class: str | None = None
    lon: float | None = None
    lat: float | None = None
    received_at: datetime | None = None
    routed_at: datetime | None = None
    signed_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    sign_off_due: datetime | None = None
    handling_due: datetime | None = None
    unit_code: str = ""
    unit_level: str = ""
    returns: int = 0
    reopens: int = 0
    reports_up: int = 0
    extensions: int = 0
    verification_failures: int = 0
    rating: str | None = None
    sign_off_overdue: bool = False
    handling_overdue: bool = False
    verification_overdue: bool = False
    self_resolved: bool = False
    not_accepted: bool = False
    merged_into: str | None = None
    repeat_of: str | None = None

    @property
    def dispatched(self) -> bool:
        return self.routed_at is not None

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

    @property
    def accepted(self) -> bool:
        return self.received_at is not None and not self.not_accepted and self.merged_into is None

    @property
    def overdue(self) -> bool:
        return self.sign_off_overdue or self.handling_overdue

    @property
    def responded_on_time(self) -> bool:
        """Signed before the sign-off limit ran out (响应及时)."""
        if self.signed_at is None or self.sign_off_overdue:
            return False
        return self.sign_off_due is None or self.signed_at <= self.sign_off_due

    @property
    def solved(self) -> bool:
        """Closed with a real resolution: a unit's or the grid worker's fix, not a bare closure."""
        return self.closed and (self.resolved_at is not None or self.self_resolved)

    @property
    def closed_on_time(self) -> bool:
        if not self.closed or self.handling_overdue:
            return False
        finished = self.resolved_at or self.closed_at
        return self.handling_due is None or (finished is not None and finished <= self.handling_due)

    @property
    def solved_locally(self) -> bool:
        """Solved at or below community level (小事不出村)."""
        return self.solved and (self.self_resolved or self.unit_level in LOCAL_LEVELS)

    @property
    def first_time_solved(self) -> bool:
        return self.solved and self.returns == 0 and self.reopens == 0 and self.verification_failures == 0

    @property
    def handling_minutes(self) -> int | None:
        """Natural minutes from receipt to the (final) resolution."""
        if self.received_at is None or not self.solved:
            return None
        end = self.resolved_at or self.closed_at
        assert end is not None
        return max(0, int((end - self.received_at).total_seconds() // 60))


def apply(prev: TicketFact | None, event: ev.TicketEvent, *, community_class: str | None = None) -> TicketFact:
    """Fold one ticket event into the fact (tolerates events arriving before ``TicketReceived``)."""
    fact = prev or TicketFact(ticket_id=event.ticket_id, jurisdiction=event.jurisdiction)
    if community_class is not None:
        fact = replace(fact, community_class=community_class)
    folder = _FOLDERS.get(type(event))
    return folder(fact, event) if folder else fact


def _received(f: TicketFact, e: Any) -> TicketFact:
    loc = e.location
    return replace(
        f, jurisdiction=e.jurisdiction, channel=e.channel, category=e.category, severity=e.severity,
        received_at=e.occurred_at, lon=loc.lon if loc else None, lat=loc.lat if loc else None,
        self_resolved=f.self_resolved or e.self_resolved,
        unit_level="grid" if e.self_resolved else f.unit_level,
        resolved_at=e.occurred_at if e.self_resolved and f.resolved_at is None else f.resolved_at,
    )


def _located(f: TicketFact, e: Any) -> TicketFact:
    return replace(f, jurisdiction=e.grid_code or e.jurisdiction)


def _routed(f: TicketFact, e: Any) -> TicketFact:
    a = e.assignment
    return replace(
        f, category=e.category or f.category, routed_at=f.routed_at or e.occurred_at, unit_code=a.unit_code,
        unit_level=a.level, handling_due=a.due_at or f.handling_due,
    )


def _signed(f: TicketFact, e: Any) -> TicketFact:
    return replace(f, signed_at=f.signed_at or e.occurred_at)


def _resolved(f: TicketFact, e: Any) -> TicketFact:
    return replace(f, resolved_at=e.occurred_at, unit_code=e.unit_code or f.unit_code)


def _verified(f: TicketFact, e: Any) -> TicketFact:
    if e.passed:
        return f
    return replace(f, resolved_at=None, verification_failures=f.verification_failures + 1)


def _closed(f: TicketFact, e: Any) -> TicketFact:
    if e.self_resolved:
        return replace(f, closed_at=e.occurred_at, self_resolved=True, unit_level=f.unit_level or "grid",
                       resolved_at=f.resolved_at or e.occurred_at)
    return replace(f, closed_at=e.occurred_at)


def _evaluated(f: TicketFact, e: Any) -> TicketFact:
    return replace(f, rating=e.rating)


def _reopened(f: TicketFact, e: Any) -> TicketFact:
    return replace(f, reopens=f.reopens + 1, closed_at=None, resolved_at=None, rating=None)


def _clock(f: TicketFact, e: Any, *, overdue: bool) -> TicketFact:
    if e.clock == "sign_off":
        return replace(f, sign_off_due=e.due_at, sign_off_overdue=f.sign_off_overdue or overdue)
    if e.clock == "handling":
        return replace(f, handling_due=e.due_at, handling_overdue=f.handling_overdue or overdue)
    return replace(f, verification_overdue=f.verification_overdue or overdue)


_FOLDERS: dict[type[ev.TicketEvent], Callable[[TicketFact, Any], TicketFact]] = {
    ev.TicketReceived: _received,
    ev.TicketLocated: _located,
    ev.TicketRouted: _routed,
    ev.TicketSigned: _signed,
    ev.TicketResolved: _resolved,
    ev.TicketVerified: _verified,
    ev.TicketClosed: _closed,
    ev.TicketEvaluated: _evaluated,
    ev.TicketReopened: _reopened,
    ev.TicketNotAccepted: lambda f, e: replace(f, not_accepted=True),
    ev.TicketMerged: lambda f, e: replace(f, merged_into=e.master_id),
    ev.TicketReturned: lambda f, e: replace(f, returns=f.returns + 1),
    ev.TicketReportedUp: lambda f, e: replace(f, reports_up=f.reports_up + 1),
    ev.TicketExtended: lambda f, e: replace(f, extensions=f.extensions + 1, handling_due=None),
    ev.TicketReminded: lambda f, e: _clock(f, e, overdue=False),
    ev.TicketOverdue: lambda f, e: _clock(f, e, overdue=True),
}
