"""Timers as plain data: which ladder steps a clock needs, and what a due step publishes.

A timer's identity is (ticket_id, clock_seq, step), so each step of each clock fires once. A timer
that fires after its clock moved on (stopped, paused, superseded, deadline moved) publishes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.escalation.domain.clock import Clock, elapsed_point
from services.escalation.domain.ladder import Ladder, Rule
from services.escalation.domain.policy import Calendar
from shared.events.ticket import (
    ClockKind,
    LevelName,
    TicketEscalated,
    TicketEvent,
    TicketOverdue,
    TicketReminded,
    TicketSupervised,
)

_LEVELS: tuple[LevelName, ...] = ("grid", "community", "street", "district", "city")
KIND_ZH: dict[ClockKind, str] = {"sign_off": "签收", "handling": "处置", "verification": "核查"}


@dataclass(frozen=True)
class Timer:
    ticket_id: str
    clock_seq: int
    clock: ClockKind
    step: str
    fire_at: datetime

    @property
    def identity(self) -> tuple[str, int, str]:
        return (self.ticket_id, self.clock_seq, self.step)


def plan_timers(clock: Clock, *, calendar: Calendar, ladder: Ladder) -> list[Timer]:
    """Every ladder step this clock needs, with when it fires; none unless the clock runs."""
    if not clock.running:
        return []
    timers = [timer for rule in ladder.for_clock(clock.kind) for timer in _rule_timers(clock, rule, calendar=calendar)]
    return sorted(timers, key=lambda timer: timer.fire_at)


def fire_timer(timer: Timer, clock: Clock | None, *, calendar: Calendar, ladder: Ladder, now: datetime) -> list[TicketEvent]:
    """The events a due timer publishes, or none when its clock moved on since it was planned."""
    if clock is None or clock.seq != timer.clock_seq or clock.ticket_id != timer.ticket_id or not clock.running:
        return []
    name, _, repeat = timer.step.partition("#")
    rule = next((r for r in ladder.for_clock(clock.kind) if r.step == name), None)
    if rule is None:
        return []
    # Only this rule's times are planned again: the other steps of the ladder do not matter here.
    current = next((t for t in _rule_timers(clock, rule, calendar=calendar) if t.step == timer.step), None)
    if current is None or current.fire_at != timer.fire_at or now < current.fire_at:
        return []
    return _events(rule, clock, now=now, repeat=repeat)


def _rule_timers(clock: Clock, rule: Rule, *, calendar: Calendar) -> list[Timer]:
    """The timers of one rule: its first step, then its repeats."""
    base = _base_time(clock, rule, calendar=calendar)
    timers = [Timer(clock.ticket_id, clock.seq, clock.kind, rule.step, base)]
    every, fire_at = rule.repeat_every, base
    for index in range(1, rule.repeat_times + 1 if every else 1):
        assert every is not None
        fire_at = calendar.add(fire_at, every.amount, every.unit)
        timers.append(Timer(clock.ticket_id, clock.seq, clock.kind, f"{rule.step}#{index}", fire_at))
    return timers


def _base_time(clock: Clock, rule: Rule, *, calendar: Calendar) -> datetime:
    if rule.percent is not None:
        return clock.due_at if rule.percent == 100 else elapsed_point(clock, rule.percent / 100, calendar=calendar)
    assert rule.after_due is not None
    return calendar.add(clock.due_at, rule.after_due.amount, rule.after_due.unit)


def _events(rule: Rule, clock: Clock, *, now: datetime, repeat: str) -> list[TicketEvent]:
    what = KIND_ZH[clock.kind]
    again = f"（第{int(repeat) + 1}次）" if repeat else ""
    where = {"ticket_id": clock.ticket_id, "occurred_at": now, "jurisdiction": clock.jurisdiction}
    if rule.action == "notice":
        percent = rule.percent or 100
        return [TicketReminded.model_validate({**where, "clock": clock.kind, "percent": percent,
                                               "unit_code": clock.unit_code, "due_at": clock.due_at,
                                               "reason": f"{what}时限已过{percent}%，请抓紧办理"})]
    if rule.action == "remind":
        reminded = TicketReminded.model_validate({**where, "clock": clock.kind, "percent": 100,
                                                  "unit_code": clock.unit_code, "due_at": clock.due_at,
                                                  "reason": f"{what}已超时，催办{again}"})
        overdue = TicketOverdue.model_validate({**where, "clock": clock.kind, "unit_code": clock.unit_code,
                                                "due_at": clock.due_at})
        return [reminded] if repeat else [reminded, overdue]
    if rule.action == "supervise":
        return [TicketSupervised.model_validate({**where, "clock": clock.kind, "unit_code": clock.unit_code,
                                                 "supervisor_level": supervisor_level(clock.level),
                                                 "reason": f"{what}超时未办，上级督办{again}"})]
    upper = level_above(clock.level)
    if upper is None:
        return []
    return [TicketEscalated.model_validate({**where, "from_level": clock.level, "to_level": upper,
                                            "unit_code": clock.unit_code,
                                            "reason": f"{what}超时，督办后仍未办结，提级处置{again}"})]


def level_above(level: LevelName) -> LevelName | None:
    index = _LEVELS.index(level)
    return _LEVELS[index + 1] if index + 1 < len(_LEVELS) else None


def supervisor_level(level: LevelName) -> LevelName:
    """Who supervises (督办): the level above; district departments by the district center itself."""
    if level == "district":
        return "district"
    return level_above(level) or level
