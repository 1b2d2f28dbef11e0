"""Applying events (a unit's own, or routing's and escalation's) to a ticket's state and timeline."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from services.intake.domain.lifecycle import TicketState
from shared.events.ticket import (
    TicketArbitrationRequested,
    TicketClosed,
    TicketEscalated,
    TicketEvaluated,
    TicketEvent,
    TicketExtended,
    TicketExtensionRequested,
    TicketJointRequested,
    TicketLocated,
    TicketMerged,
    TicketNotAccepted,
    TicketOverdue,
    TicketReceived,
    TicketReminded,
    TicketReopened,
    TicketReportedUp,
    TicketResolved,
    TicketResumed,
    TicketReturned,
    TicketRouted,
    TicketSigned,
    TicketStarted,
    TicketSupervised,
    TicketSuspended,
    TicketVerified,
)


def apply(ticket: TicketState | None, event: TicketEvent) -> TicketState:
    """The ticket after ``event`` (own or from routing/escalation), with one more timeline entry."""
    if ticket is None:
        if not isinstance(event, TicketReceived):
            raise ValueError(f"a ticket's first event must be TicketReceived, not {type(event).__name__}")
        ticket = TicketState(ticket_id=event.ticket_id, jurisdiction=event.jurisdiction, category=event.category)
    evolve = _EVOLVERS.get(type(event))
    moved = evolve(ticket, event) if evolve else ticket
    return replace(moved, timeline=(*moved.timeline, timeline_entry(event)))


def apply_all(events: Iterable[TicketEvent], ticket: TicketState | None = None) -> TicketState:
    for event in events:
        ticket = apply(ticket, event)
    if ticket is None:
        raise ValueError("no events")
    return ticket


def _routed(ticket: TicketState, event: TicketRouted) -> TicketState:
    co_units = tuple(unit.unit_code for unit in event.co_units)
    if event.reason == "joint" and ticket.state in {"signed", "in_progress", "suspended"}:
        return replace(ticket, co_unit_codes=co_units or ticket.co_unit_codes)  # joint keeps the lead's progress
    if ticket.state in {"not_accepted", "merged", "closed", "resolved", "verified"}:
        return ticket  # a late routing must not revive a finished ticket
    lead = event.assignment
    return replace(
        ticket, state="routed", unit_code=lead.unit_code, co_unit_codes=co_units, due_at=lead.due_at,
        category=event.category, overdue=False,
    )


def _verified(ticket: TicketState, event: TicketVerified) -> TicketState:
    return replace(ticket, state="verified") if event.passed else ticket  # the TicketReopened that follows moves it


def _suspended(ticket: TicketState, event: TicketSuspended) -> TicketState:
    return replace(ticket, state="suspended", resume_to=ticket.state)


def _resumed(ticket: TicketState, event: TicketResumed) -> TicketState:
    return replace(ticket, state=ticket.resume_to or "in_progress", resume_to=None)


def _unassigned(ticket: TicketState, event: TicketReturned | TicketReportedUp) -> TicketState:
    returns = ticket.returns + (1 if isinstance(event, TicketReturned) else 0)
    return replace(ticket, state="received", unit_code=None, co_unit_codes=(), due_at=None, returns=returns)


def _reopened(ticket: TicketState, event: TicketReopened) -> TicketState:
    return replace(ticket, state="reopened", rating=None, result="", reopens=ticket.reopens + 1, overdue=False)


def _located(ticket: TicketState, event: TicketLocated) -> TicketState:
    return replace(ticket, jurisdiction=event.grid_code) if event.inside and event.grid_code else ticket


_EVOLVERS: dict[type[Any], Callable[[TicketState, Any], TicketState]] = {
    TicketLocated: _located,
    TicketRouted: _routed,
    TicketNotAccepted: lambda t, e: replace(t, state="not_accepted"),
    TicketSigned: lambda t, e: replace(t, state="signed", unit_code=t.unit_code or e.unit_code),
    TicketStarted: lambda t, e: replace(t, state="in_progress"),
    TicketResolved: lambda t, e: replace(t, state="resolved", result=e.result),
    TicketVerified: _verified,
    TicketClosed: lambda t, e: replace(t, state="closed"),
    TicketEvaluated: lambda t, e: replace(t, rating=e.rating),
    TicketReturned: _unassigned,
    TicketReportedUp: _unassigned,
    TicketExtensionRequested: lambda t, e: replace(t, pending_extension=(e.amount, e.unit)),
    TicketExtended: lambda t, e: replace(t, pending_extension=None),
    TicketSuspended: _suspended,
    TicketResumed: _resumed,
    TicketReopened: _reopened,
    TicketMerged: lambda t, e: replace(t, state="merged", master_id=e.master_id),
    TicketJointRequested: lambda t, e: replace(t, co_unit_codes=tuple(e.co_unit_codes)),
    TicketSupervised: lambda t, e: replace(t, supervisions=t.supervisions + 1),
    TicketOverdue: lambda t, e: replace(t, overdue=True),
}

_SYSTEM_ACTORS: dict[type[Any], str] = {
    TicketReceived: "intake", TicketLocated: "intake", TicketRouted: "routing",
    TicketArbitrationRequested: "routing", TicketReminded: "escalation", TicketSupervised: "escalation",
    TicketEscalated: "escalation", TicketOverdue: "escalation",
}
_UNITS_ZH = {"working_hours": "工作小时", "working_days": "工作日", "hours": "小时"}
_CLOCKS_ZH = {"sign_off": "签收", "handling": "处置", "verification": "核查"}
_NOTES: dict[type[Any], Callable[[Any], str]] = {
    TicketReceived: lambda e: "自行处置上报" if e.self_resolved else f"受理（{e.channel}）",
    TicketLocated: lambda e: f"定位至网格 {e.grid_code}" if e.inside else "位置不在辖区网格内",
    TicketRouted: lambda e: f"派至{e.assignment.unit_name}（{e.reason}）",
    TicketNotAccepted: lambda e: f"不予受理：{e.reason}",
    TicketSigned: lambda e: "签收",
    TicketStarted: lambda e: "开始处置",
    TicketResolved: lambda e: f"办结：{e.result}" if e.result else "办结",
    TicketVerified: lambda e: "核查通过" if e.passed else f"核查不通过：{e.note}",
    TicketClosed: lambda e: "自行处置结案" if e.self_resolved else "结案",
    TicketEvaluated: lambda e: f"评价：{e.rating}",
    TicketReturned: lambda e: f"退回：{e.reason}",
    TicketReportedUp: lambda e: f"上报：{e.reason}",
    TicketExtensionRequested: lambda e: f"申请延期{e.amount:g}{_UNITS_ZH[e.unit]}：{e.reason}",
    TicketExtended: lambda e: f"批准延期{e.amount:g}{_UNITS_ZH[e.unit]}",
    TicketSuspended: lambda e: f"挂起：{e.reason}",
    TicketResumed: lambda e: "恢复办理",
    TicketReopened: lambda e: f"重办：{e.reason}",
    TicketMerged: lambda e: f"合并至 {e.master_id}",
    TicketJointRequested: lambda e: f"吹哨报到：{'、'.join(e.co_unit_codes)}",
    TicketArbitrationRequested: lambda e: f"多次退回（{e.returns} 次），提请协调",
    TicketReminded: lambda e: f"{_CLOCKS_ZH[e.clock]}时限已过 {e.percent}%，催办",
    TicketSupervised: lambda e: f"督办（{_CLOCKS_ZH[e.clock]}）：{e.reason}",
    TicketEscalated: lambda e: f"升级 {e.from_level}→{e.to_level}：{e.reason}",
    TicketOverdue: lambda e: f"{_CLOCKS_ZH[e.clock]}超期",
}


def timeline_entry(event: TicketEvent) -> dict[str, str]:
    """One timeline line for ``event``: type is the verb of its ``ce_type``, the note is for operators."""
    actor = getattr(event, "actor", None) or _SYSTEM_ACTORS.get(type(event), "system")
    note = _NOTES.get(type(event), lambda e: "")(event)
    return {"type": event.ce_type.split(".")[3], "time": event.occurred_at.isoformat(), "actor": actor, "note": note}
