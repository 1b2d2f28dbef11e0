"""A ticket's time-limit clock: started, paused (挂起), resumed, extended (延期), stopped.

A clock holds a *budget* of time, measured in working time for working_hours/working_days limits and in
natural time for ``hours`` limits. Time runs only while the clock runs, so a suspension freezes what
is left and the deadline moves by the paused time. The deadline is where the elapsed running time
reaches the budget.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from services.escalation.domain.policy import Calendar, Limit, Unit
from shared.events.ticket import ClockKind, LevelName

ClockState = Literal["running", "paused", "stopped"]
EntryAction = Literal["started", "paused", "resumed", "extended", "stopped", "recalculated"]


class ClockNotRunning(ValueError):
    """A pause, resume or extension asked of a clock in the wrong state."""


@dataclass(frozen=True)
class ClockEntry:
    at: datetime
    action: EntryAction
    due_at: datetime
    note: str = ""


@dataclass(frozen=True)
class Clock:
    ticket_id: str
    seq: int
    kind: ClockKind
    unit_code: str
    level: LevelName
    jurisdiction: str
    limit: Limit
    policy_version: str
    started_at: datetime
    due_at: datetime
    budget: timedelta
    state: ClockState = "running"
    paused_at: datetime | None = None
    pauses: tuple[tuple[datetime, datetime], ...] = ()
    stopped_at: datetime | None = None
    stop_reason: str = ""
    history: tuple[ClockEntry, ...] = ()

    @property
    def running(self) -> bool:
        return self.state == "running"


def measure(calendar: Calendar, unit: Unit, *, start: datetime, end: datetime) -> timedelta:
    """Time from ``start`` to ``end`` in the measure of ``unit``: working time, or natural time for hours."""
    return end - start if unit == "hours" else calendar.working_time_between(start, end)


def advance(calendar: Calendar, unit: Unit, *, start: datetime, delta: timedelta) -> datetime:
    """The instant at which ``delta`` (in the measure of ``unit``) after ``start`` has passed."""
    return start + delta if unit == "hours" else calendar.add_working_time(start, delta)


def start_clock(
    ticket_id: str,
    kind: ClockKind,
    *,
    seq: int,
    unit_code: str,
    level: LevelName,
    jurisdiction: str,
    limit: Limit,
    policy_version: str,
    at: datetime,
    calendar: Calendar,
) -> Clock:
    due_at = calendar.add(at, limit.amount, limit.unit)
    entry = ClockEntry(at, "started", due_at, f"{limit.amount:g} {limit.unit}, {unit_code}")
    return Clock(
        ticket_id=ticket_id, seq=seq, kind=kind, unit_code=unit_code, level=level, jurisdiction=jurisdiction,
        limit=limit, policy_version=policy_version, started_at=at, due_at=due_at,
        budget=measure(calendar, limit.unit, start=at, end=due_at), history=(entry,),
    )


def stop_clock(clock: Clock, *, at: datetime, reason: str) -> Clock:
    """Stop a running or paused clock; stopping a stopped clock changes nothing."""
    if clock.state == "stopped":
        return clock
    entry = ClockEntry(at, "stopped", clock.due_at, reason)
    return replace(clock, state="stopped", stopped_at=at, stop_reason=reason, history=(*clock.history, entry))


def pause_clock(clock: Clock, *, at: datetime, reason: str) -> Clock:
    if not clock.running:
        raise ClockNotRunning(f"cannot pause the {clock.state} {clock.kind} clock of {clock.ticket_id}")
    entry = ClockEntry(at, "paused", clock.due_at, reason)
    return replace(clock, state="paused", paused_at=at, history=(*clock.history, entry))


def resume_clock(clock: Clock, *, at: datetime, calendar: Calendar) -> Clock:
    if clock.state != "paused" or clock.paused_at is None:
        raise ClockNotRunning(f"cannot resume the {clock.state} {clock.kind} clock of {clock.ticket_id}")
    paused = replace(clock, state="running", paused_at=None, pauses=(*clock.pauses, (clock.paused_at, at)))
    due_at = elapsed_point(paused, 1.0, calendar=calendar)
    shift = measure(calendar, clock.limit.unit, start=clock.paused_at, end=at)
    entry = ClockEntry(at, "resumed", due_at, f"paused {_hours(shift)}")
    return replace(paused, due_at=due_at, history=(*clock.history, entry))


def extend_clock(clock: Clock, *, at: datetime, amount: float, unit: Unit, calendar: Calendar, note: str = "") -> Clock:
    """Grant an extension (延期): the deadline moves by ``amount`` ``unit`` from the current deadline."""
    if clock.state == "stopped":
        raise ClockNotRunning(f"cannot extend the stopped {clock.kind} clock of {clock.ticket_id}")
    new_due = calendar.add(clock.due_at, amount, unit)
    budget = clock.budget + measure(calendar, clock.limit.unit, start=clock.due_at, end=new_due)
    extended = replace(clock, budget=budget)
    due_at = elapsed_point(extended, 1.0, calendar=calendar) if clock.running else new_due
    entry = ClockEntry(at, "extended", due_at, note or f"+{amount:g} {unit}")
    return replace(extended, due_at=due_at, history=(*clock.history, entry))


def recalculate(clock: Clock, *, at: datetime, calendar: Calendar, note: str) -> Clock:
    """The clock under a changed calendar (a typhoon day declared): the budget stays, the deadline moves."""
    if not clock.running:
        return clock
    due_at = elapsed_point(clock, 1.0, calendar=calendar)
    if due_at == clock.due_at:
        return clock
    entry = ClockEntry(at, "recalculated", due_at, note)
    return replace(clock, due_at=due_at, history=(*clock.history, entry))


def elapsed_point(clock: Clock, fraction: float, *, calendar: Calendar) -> datetime:
    """The instant at which ``fraction`` of the budget has run, skipping the completed pauses."""
    target = clock.budget * fraction
    segment_start = clock.started_at
    for pause_start, pause_end in clock.pauses:
        length = measure(calendar, clock.limit.unit, start=segment_start, end=pause_start)
        if target <= length:
            return advance(calendar, clock.limit.unit, start=segment_start, delta=target)
        target -= length
        segment_start = pause_end
    return advance(calendar, clock.limit.unit, start=segment_start, delta=target)


def _hours(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 3600:g} h"
