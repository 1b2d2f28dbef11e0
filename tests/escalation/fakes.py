"""In-memory stand-ins for the escalation domain tests: a ticket driver and a timer wheel with a settable now."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from services.escalation.domain.clock import Clock
from services.escalation.domain.ladder import Ladder, default_ladder
from services.escalation.domain.lifecycle import Context, Track, apply, new_track
from services.escalation.domain.policy import Limit, Policy, PolicyBook, PolicyVersions
from services.escalation.domain.timers import Timer, fire_timer, plan_timers
from shared.events.ticket import (
    Assignment,
    ClockKind,
    TicketEvent,
    TicketReceived,
    TicketRouted,
)
from shared.workcal import WorkCalendar

CST = timezone(timedelta(hours=8))
TICKET = "330903-20260930-000001"
GRID = "330903001001001"
CATEGORY = "01010101"
UNIT = "330903001001-community"


def at(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CST)


TWO_HOURS, FIVE_DAYS, ONE_DAY = Limit(2, "working_hours"), Limit(5, "working_days"), Limit(1, "working_days")


def book(version: str = "v1", *, sign_off: Limit = TWO_HOURS, handling: Limit = FIVE_DAYS,
         verification: Limit = ONE_DAY) -> PolicyBook:
    limits: dict[ClockKind, Limit] = {"sign_off": sign_off, "handling": handling, "verification": verification}
    return PolicyBook(version, {CATEGORY: Policy(CATEGORY, "normal", limits)})


def received(when: datetime, *, ticket_id: str = TICKET, severity: str = "一般", grid: str = GRID) -> TicketReceived:
    return TicketReceived(ticket_id=ticket_id, occurred_at=when, jurisdiction=grid, channel="rest",
                          category=CATEGORY, severity=severity, grid_code=grid)  # type: ignore[arg-type]


def routed(when: datetime, *, ticket_id: str = TICKET, unit: str = UNIT, level: str = "community",
           reason: str = "initial", sequence: int = 1) -> TicketRouted:
    assignment = Assignment(unit_code=unit, unit_name="社区两委", level=level,  # type: ignore[arg-type]
                            unit_jurisdiction=unit.split("-")[0])
    return TicketRouted(ticket_id=ticket_id, occurred_at=when, jurisdiction=GRID, category=CATEGORY,
                        assignment=assignment, reason=reason, rule_version="r1",  # type: ignore[arg-type]
                        sequence=sequence)


def event(cls: type[TicketEvent], when: datetime, **fields: Any) -> TicketEvent:
    return cls(ticket_id=TICKET, occurred_at=when, jurisdiction=GRID, **fields)


@dataclass
class Desk:
    """One ticket's escalation desk: applies events, keeps timers like the store does, fires them at ``now``."""

    books: list[PolicyBook] = field(default_factory=lambda: [book()])
    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    ladder: Ladder = field(default_factory=default_ladder)
    similar: int = 1
    track: Track | None = None
    timers: dict[tuple[str, int, str], Timer] = field(default_factory=dict)
    fired: set[tuple[str, int, str]] = field(default_factory=set)
    published: list[TicketEvent] = field(default_factory=list)

    @property
    def context(self) -> Context:
        return Context(PolicyVersions(self.books, current=self.books[-1].version), self.calendar,
                       similar_complaints=self.similar)

    def clock(self, seq: int | None = None) -> Clock:
        assert self.track is not None
        if seq is None:
            assert self.track.current is not None
            return self.track.current
        return next(c for c in self.track.clocks if c.seq == seq)

    def handle(self, ticket_event: TicketEvent) -> list[TicketEvent]:
        track = self.track or new_track(ticket_event, policy_version=self.context.policies.current)
        outcome = apply(track, ticket_event, context=self.context)
        self.track = outcome.track
        for clock in outcome.changed:
            self._sync(clock)
        self.published += outcome.events
        return outcome.events

    def run_until(self, now: datetime) -> list[TicketEvent]:
        """Fire every due timer in order, as the scheduler would at ``now``."""
        out: list[TicketEvent] = []
        for timer in sorted(self.timers.values(), key=lambda t: t.fire_at):
            if timer.fire_at > now or timer.identity in self.fired:
                continue
            self.fired.add(timer.identity)
            clock = self.clock(timer.clock_seq) if self.track else None
            out += fire_timer(timer, clock, calendar=self.calendar, ladder=self.ladder, now=now)
        self.published += out
        return out

    def pending(self) -> list[Timer]:
        return sorted((t for t in self.timers.values() if t.identity not in self.fired), key=lambda t: t.fire_at)

    def _sync(self, clock: Clock) -> None:
        planned = {t.identity: t for t in plan_timers(clock, calendar=self.calendar, ladder=self.ladder)}
        for identity in [i for i in self.timers if i[:2] == (clock.ticket_id, clock.seq) and i not in self.fired]:
            if identity not in planned:
                del self.timers[identity]
        for identity, timer in planned.items():
            if identity not in self.fired:
                self.timers[identity] = timer
