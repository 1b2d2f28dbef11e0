"""How ticket events move a ticket's clocks, and which escalations they trigger at once.

sign_off runs from routed to signed, handling from signed to resolved, verification from resolved to
verified. Suspension pauses, resumption resumes, an extension adds time. Re-routing and reopening
start new clocks; the clocks they replace stay in the ticket's history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from services.escalation.domain.clock import (
    Clock,
    extend_clock,
    pause_clock,
    resume_clock,
    start_clock,
    stop_clock,
)
from services.escalation.domain.policy import Calendar, PolicyVersions
from services.escalation.domain.triggers import (
    ImmediateRules,
    reopen_on_dissatisfaction,
    repeat_escalation,
    severity_escalation,
)
from shared.events.ticket import (
    ClockKind,
    LevelName,
    Severity,
    TicketClosed,
    TicketEvaluated,
    TicketEvent,
    TicketExtended,
    TicketMerged,
    TicketNotAccepted,
    TicketReceived,
    TicketReopened,
    TicketReportedUp,
    TicketResolved,
    TicketResumed,
    TicketReturned,
    TicketRouted,
    TicketSigned,
    TicketSuspended,
    TicketVerified,
)


GRID_CODE_LENGTH = 15


@dataclass(frozen=True)
class Track:
    """What escalation knows of one ticket: its facts, its assignee and every clock it had."""

    ticket_id: str
    jurisdiction: str
    policy_version: str
    category: str | None = None
    severity: Severity = "一般"
    place: str = ""
    unit_code: str | None = None
    level: LevelName | None = None
    clocks: tuple[Clock, ...] = ()

    @property
    def current(self) -> Clock | None:
        """The clock that is running or paused, if any."""
        return next((c for c in reversed(self.clocks) if c.state != "stopped"), None)

    @property
    def next_seq(self) -> int:
        return max((c.seq for c in self.clocks), default=0) + 1


@dataclass(frozen=True)
class Context:
    policies: PolicyVersions
    calendar: Calendar
    rules: ImmediateRules = field(default_factory=ImmediateRules)
    similar_complaints: int = 1


@dataclass(frozen=True)
class Outcome:
    track: Track
    events: list[TicketEvent] = field(default_factory=list)
    changed: list[Clock] = field(default_factory=list)


def new_track(event: TicketEvent, *, policy_version: str) -> Track:
    """The track a ticket gets from its first event (normally TicketReceived)."""
    track = Track(event.ticket_id, event.jurisdiction, policy_version)
    if isinstance(event, TicketReceived):
        return replace(track, category=event.category, severity=event.severity, place=complaint_place(event))
    if isinstance(event, TicketRouted):
        return replace(track, category=event.category, place=complaint_place(event))
    return track


def complaint_place(event: TicketReceived | TicketRouted) -> str:
    """The grid a complaint is about; empty while only a coarser division is known (no repeat counting then)."""
    grid = getattr(event, "grid_code", None) or event.jurisdiction
    return grid if len(grid) >= GRID_CODE_LENGTH else ""


def apply(track: Track, event: TicketEvent, *, context: Context) -> Outcome:
    """The ticket's clocks after ``event``, the clocks that changed, and the events to publish."""
    handler = _HANDLERS.get(type(event))
    if handler is None:
        return Outcome(track)
    return handler(track, event, context=context)


def _received(track: Track, event: TicketReceived, *, context: Context) -> Outcome:
    return Outcome(replace(track, category=event.category, severity=event.severity, place=complaint_place(event),
                           jurisdiction=event.jurisdiction))


def _routed(track: Track, event: TicketRouted, *, context: Context) -> Outcome:
    assignment = event.assignment
    track = replace(track, category=event.category, unit_code=assignment.unit_code, level=assignment.level,
                    jurisdiction=event.jurisdiction)
    outcome = _restart(track, "sign_off", at=event.occurred_at, note=f"routed ({event.reason})", context=context)
    escalation = severity_escalation(event, track.severity, rules=context.rules) or repeat_escalation(
        event, context.similar_complaints, rules=context.rules
    )
    return replace(outcome, events=[escalation] if escalation else [])


def _signed(track: Track, event: TicketSigned, *, context: Context) -> Outcome:
    if not _current_is(track, "sign_off") or event.unit_code != track.unit_code:
        return Outcome(track)  # a co-unit's signature, or a repeated one
    return _restart(track, "handling", at=event.occurred_at, note=f"signed by {event.unit_code}", context=context)


def _resolved(track: Track, event: TicketResolved, *, context: Context) -> Outcome:
    if _current_is(track, "verification"):
        return Outcome(track)
    return _restart(track, "verification", at=event.occurred_at, note=f"resolved by {event.unit_code}", context=context)


def _verified(track: Track, event: TicketVerified, *, context: Context) -> Outcome:
    if event.passed:
        return _stop(track, at=event.occurred_at, reason="verified")
    return _restart(track, "handling", at=event.occurred_at, note="verification failed", context=context)


def _reopened(track: Track, event: TicketReopened, *, context: Context) -> Outcome:
    return _restart(track, "handling", at=event.occurred_at, note=f"reopened: {event.reason}", context=context)


def _finished(reason: str) -> Callable[..., Outcome]:
    def stop(track: Track, event: TicketEvent, *, context: Context) -> Outcome:
        return _stop(track, at=event.occurred_at, reason=reason)

    return stop


def _suspended(track: Track, event: TicketSuspended, *, context: Context) -> Outcome:
    current = track.current
    if current is None or not current.running:
        return Outcome(track)
    return _replace_clock(track, pause_clock(current, at=event.occurred_at, reason=event.reason))


def _resumed(track: Track, event: TicketResumed, *, context: Context) -> Outcome:
    current = track.current
    if current is None or current.state != "paused":
        return Outcome(track)
    return _replace_clock(track, resume_clock(current, at=event.occurred_at, calendar=context.calendar))


def _extended(track: Track, event: TicketExtended, *, context: Context) -> Outcome:
    current = track.current
    if current is None:
        return Outcome(track)
    clock = extend_clock(current, at=event.occurred_at, amount=event.amount, unit=event.unit,
                         calendar=context.calendar, note=f"+{event.amount:g} {event.unit} by {event.actor}")
    return _replace_clock(track, clock)


def _evaluated(track: Track, event: TicketEvaluated, *, context: Context) -> Outcome:
    reopened = reopen_on_dissatisfaction(event)
    return Outcome(track, events=[reopened] if reopened else [])


def _restart(track: Track, kind: ClockKind, *, at: datetime, note: str, context: Context) -> Outcome:
    """Stop the current clock (if any) and start a ``kind`` clock for the ticket's assignee."""
    stopped = _stop(track, at=at, reason=note)
    if track.unit_code is None or track.level is None:
        return stopped
    policy = context.policies.book(track.policy_version).for_ticket(track.category, track.severity)
    clock = start_clock(
        track.ticket_id, kind, seq=track.next_seq, unit_code=track.unit_code, level=track.level,
        jurisdiction=track.jurisdiction, limit=policy.limit(kind), policy_version=track.policy_version,
        at=at, calendar=context.calendar,
    )
    track = replace(stopped.track, clocks=(*stopped.track.clocks, clock))
    return Outcome(track, changed=[*stopped.changed, clock])


def _current_is(track: Track, kind: ClockKind) -> bool:
    return track.current is not None and track.current.kind == kind


def _stop(track: Track, *, at: datetime, reason: str) -> Outcome:
    current = track.current
    if current is None:
        return Outcome(track)
    return _replace_clock(track, stop_clock(current, at=at, reason=reason))


def _replace_clock(track: Track, clock: Clock) -> Outcome:
    clocks = tuple(clock if c.seq == clock.seq else c for c in track.clocks)
    return Outcome(replace(track, clocks=clocks), changed=[clock])


_HANDLERS: dict[type[TicketEvent], Callable[..., Outcome]] = {
    TicketReceived: _received,
    TicketRouted: _routed,
    TicketSigned: _signed,
    TicketResolved: _resolved,
    TicketVerified: _verified,
    TicketReopened: _reopened,
    TicketSuspended: _suspended,
    TicketResumed: _resumed,
    TicketExtended: _extended,
    TicketEvaluated: _evaluated,
    TicketReturned: _finished("returned"),
    TicketReportedUp: _finished("reported up"),
    TicketClosed: _finished("closed"),
    TicketNotAccepted: _finished("not accepted"),
    TicketMerged: _finished("merged"),
}
