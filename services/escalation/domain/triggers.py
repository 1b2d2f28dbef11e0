"""Escalation that does not wait for a clock: severity, repeated complaints, an unsatisfied citizen."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.escalation.domain.timers import level_above
from shared.codes import LEVEL_ORDER
from shared.events.ticket import LevelName, TicketEscalated, TicketEvaluated, TicketReopened, TicketRouted

REROUTE_REASONS_WITHOUT_TRIGGERS = frozenset({"escalated", "reopened"})


@dataclass(frozen=True)
class ImmediateRules:
    """Which severities go straight to which level, and what counts as a repeated complaint."""

    severity_floor: Mapping[str, LevelName] = field(
        default_factory=lambda: {"重大": "district", "特别重大": "district"}
    )
    repeat_threshold: int = 3
    repeat_window: timedelta = timedelta(days=30)


@dataclass(frozen=True)
class Complaint:
    ticket_id: str
    place: str
    category: str
    at: datetime


def severity_escalation(routed: TicketRouted, severity: str, *, rules: ImmediateRules) -> TicketEscalated | None:
    """A 重大/特别重大 ticket routed below its floor level goes up at once (severity skips levels)."""
    floor = rules.severity_floor.get(severity)
    level = routed.assignment.level
    if floor is None or routed.reason in REROUTE_REASONS_WITHOUT_TRIGGERS:
        return None
    if LEVEL_ORDER.index(level) >= LEVEL_ORDER.index(floor):
        return None
    return TicketEscalated(
        ticket_id=routed.ticket_id, occurred_at=routed.occurred_at, jurisdiction=routed.jurisdiction,
        from_level=level, to_level=floor, unit_code=routed.assignment.unit_code,
        reason=f"{severity}事件，立即上报{_LEVEL_ZH[floor]}处置",
    )


def similar_complaints(new: Complaint, history: Iterable[Complaint], *, window: timedelta) -> int:
    """How many complaints about the same place and category, this one included, fall in the window."""
    since = new.at - window
    others = {
        c.ticket_id for c in history
        if c.ticket_id != new.ticket_id and c.place == new.place and c.category == new.category and since <= c.at <= new.at
    }
    return len(others) + 1


def repeat_escalation(routed: TicketRouted, similar: int, *, rules: ImmediateRules) -> TicketEscalated | None:
    """The N-th complaint about one place within M days goes one level up for root-cause handling (源头治理)."""
    if similar < rules.repeat_threshold or routed.reason in REROUTE_REASONS_WITHOUT_TRIGGERS:
        return None
    upper = level_above(routed.assignment.level)
    if upper is None:
        return None
    return TicketEscalated(
        ticket_id=routed.ticket_id, occurred_at=routed.occurred_at, jurisdiction=routed.jurisdiction,
        from_level=routed.assignment.level, to_level=upper, unit_code=routed.assignment.unit_code,
        reason=f"同一地点同类问题{rules.repeat_window.days}天内第{similar}次投诉，提级源头治理",
    )


def reopen_on_dissatisfaction(evaluated: TicketEvaluated) -> TicketReopened | None:
    """An unsatisfied evaluation (不满意) reopens the ticket for handling again (重办)."""
    if evaluated.rating != "不满意":
        return None
    return TicketReopened(
        ticket_id=evaluated.ticket_id, occurred_at=evaluated.occurred_at, jurisdiction=evaluated.jurisdiction,
        reason="群众评价不满意，重新办理", actor="escalation",
    )


_LEVEL_ZH: dict[str, str] = {"grid": "网格", "community": "社区", "street": "街道", "district": "区级", "city": "市级"}
