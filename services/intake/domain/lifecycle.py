"""The ticket state machine: a handling unit's command becomes events; events move the state and timeline."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from services.intake.domain.commands import (
    ApproveExtension,
    Close,
    Command,
    Evaluate,
    Joint,
    Merge,
    NotAccept,
    Reopen,
    ReportUp,
    RequestExtension,
    Resolve,
    Resume,
    Return,
    Sign,
    Start,
    Supervise,
    Suspend,
    TimeUnit,
    Verify,
)
from shared.events.ticket import (
    Rating,
    TicketClosed,
    TicketEvaluated,
    TicketEvent,
    TicketExtended,
    TicketExtensionRequested,
    TicketJointRequested,
    TicketMerged,
    TicketNotAccepted,
    TicketReopened,
    TicketReportedUp,
    TicketResolved,
    TicketResumed,
    TicketReturned,
    TicketSigned,
    TicketStarted,
    TicketSupervised,
    TicketSuspended,
    TicketVerified,
)

State = Literal[
    "received", "not_accepted", "routed", "signed", "in_progress", "suspended",
    "resolved", "verified", "closed", "reopened", "merged",
]
STATES: tuple[State, ...] = get_args(State)
STATE_LABELS_ZH: dict[State, str] = {
    "received": "已受理", "not_accepted": "不予受理", "routed": "已派遣", "signed": "已签收",
    "in_progress": "处置中", "suspended": "已挂起", "resolved": "已办结", "verified": "已核查",
    "closed": "已结案", "reopened": "重办", "merged": "已合并",
}
# States in which a ticket is still being worked on (for merge, supervision).
ACTIVE: frozenset[State] = frozenset({"received", "routed", "signed", "in_progress", "suspended", "reopened"})


class IllegalTransition(Exception):
    """A command the ticket's current state does not allow (the API answers 409)."""

    def __init__(self, command: str, state: State, allowed: Iterable[State], *, detail: str = "") -> None:
        self.command, self.state = command, state
        self.allowed = tuple(s for s in STATES if s in set(allowed))
        reason = detail or f"'{command}' is not allowed in state '{state}'"
        super().__init__(f"{reason}; allowed in: {', '.join(self.allowed) or 'no state'}")


@dataclass(frozen=True)
class TicketState:
    """What the state machine knows of one ticket; rebuilt by applying its events in order."""

    ticket_id: str
    jurisdiction: str
    state: State = "received"
    category: str = ""
    unit_code: str | None = None
    co_unit_codes: tuple[str, ...] = ()
    due_at: datetime | None = None
    resume_to: State | None = None
    pending_extension: tuple[float, TimeUnit] | None = None
    master_id: str | None = None
    rating: Rating | None = None
    result: str = ""
    returns: int = 0
    reopens: int = 0
    supervisions: int = 0
    overdue: bool = False
    timeline: tuple[dict[str, str], ...] = ()


_HANDLING: frozenset[State] = frozenset({"signed", "in_progress"})
ALLOWED: dict[str, frozenset[State]] = {
    "sign": frozenset({"routed", "reopened"}),
    "start": frozenset({"signed"}),
    "resolve": _HANDLING,
    "verify": frozenset({"resolved"}),
    "close": frozenset({"verified"}),
    "evaluate": frozenset({"closed"}),
    "not_accept": frozenset({"received", "routed"}),
    "return": frozenset({"routed", "signed"}),
    "report_up": frozenset({"routed", "signed", "in_progress"}),
    "request_extension": _HANDLING,
    "approve_extension": _HANDLING,
    "suspend": _HANDLING,
    "resume": frozenset({"suspended"}),
    "supervise": ACTIVE | {"resolved"},
    "reopen": frozenset({"resolved", "verified", "closed"}),
    "merge": ACTIVE,
    "joint": frozenset({"routed", "signed", "in_progress", "reopened"}),
}


def allowed_commands(state: State) -> list[str]:
    """The commands a ticket in ``state`` accepts, in declaration order."""
    return [name for name, states in ALLOWED.items() if state in states]


def decide(ticket: TicketState, command: Command, *, now: datetime, actor: str) -> list[TicketEvent]:
    """Check ``command`` against the state machine and return the events it causes."""
    allowed = ALLOWED[command.name]
    if ticket.state not in allowed:
        raise IllegalTransition(command.name, ticket.state, allowed)
    return _DECIDERS[type(command)](ticket, command, now, actor)


def _base(ticket: TicketState, now: datetime) -> dict[str, Any]:
    return {"ticket_id": ticket.ticket_id, "occurred_at": now, "jurisdiction": ticket.jurisdiction}


def _unit(ticket: TicketState, actor: str) -> str:
    return ticket.unit_code or actor


def sign(ticket: TicketState, command: Sign, now: datetime, actor: str) -> list[TicketEvent]:
    return [TicketSigned(**_base(ticket, now), unit_code=_unit(ticket, actor), actor=actor)]


def start(ticket: TicketState, command: Start, now: datetime, actor: str) -> list[TicketEvent]:
    return [TicketStarted(**_base(ticket, now), unit_code=_unit(ticket, actor), actor=actor)]


def resolve(ticket: TicketState, command: Resolve, now: datetime, actor: str) -> list[TicketEvent]:
    unit = _unit(ticket, actor)
    return [TicketResolved(**_base(ticket, now), unit_code=unit, actor=actor, result=command.result)]


def verify(ticket: TicketState, command: Verify, now: datetime, actor: str) -> list[TicketEvent]:
    events: list[TicketEvent] = [
        TicketVerified(**_base(ticket, now), passed=command.passed, actor=actor, note=command.note)
    ]
    if not command.passed:  # 核查不通过 → 重办
        reason = command.note or "核查不通过"
        events.append(TicketReopened(**_base(ticket, now), reason=reason, actor=actor))
    return events


def close(ticket: TicketState, command: Close, now: datetime, actor: str) -> list[TicketEvent]:
    return [TicketClosed(**_base(ticket, now), actor=actor)]


def evaluate(ticket: TicketState, command: Evaluate, now: datetime, actor: str) -> list[TicketEvent]:
    if ticket.rating is not None:
        raise IllegalTransition("evaluate", ticket.state, (), detail="the ticket has already been evaluated")
    events: list[TicketEvent] = [TicketEvaluated(**_base(ticket, now), rating=command.rating, actor=actor)]
    if command.rating == "不满意":  # an unsatisfied evaluation reopens the ticket (重办)
        events.append(TicketReopened(**_base(ticket, now), reason="评价不满意", actor=actor))
    return events


def not_accept(ticket: TicketState, command: NotAccept, now: datetime, actor: str) -> list[TicketEvent]:
    return [TicketNotAccepted(**_base(ticket, now), reason=_required(command.reason), actor=actor)]


def return_ticket(ticket: TicketState, command: Return, now: datetime, actor: str) -> list[TicketEvent]:
    unit, reason = _unit(ticket, actor), _required(command.reason)
    return [TicketReturned(**_base(ticket, now), unit_code=unit, reason=reason, actor=actor)]


def report_up(ticket: TicketState, command: ReportUp, now: datetime, actor: str) -> list[TicketEvent]:
    unit, reason = _unit(ticket, actor), _required(command.reason)
    return [TicketReportedUp(**_base(ticket, now), unit_code=unit, reason=reason, actor=actor)]


def request_extension(
    ticket: TicketState, command: RequestExtension, now: datetime, actor: str
) -> list[TicketEvent]:
    if command.amount <= 0:
        raise ValueError("an extension must be a positive amount")
    return [TicketExtensionRequested(
        **_base(ticket, now), unit_code=_unit(ticket, actor), amount=command.amount, unit=command.unit,
        reason=_required(command.reason), actor=actor,
    )]


def approve_extension(
    ticket: TicketState, command: ApproveExtension, now: datetime, actor: str
) -> list[TicketEvent]:
    if ticket.pending_extension is None:
        allowed = ALLOWED["approve_extension"]
        raise IllegalTransition("approve_extension", ticket.state, allowed, detail="no extension was requested")
    amount = command.amount if command.amount is not None else ticket.pending_extension[0]
    unit = command.unit or ticket.pending_extension[1]
    return [TicketExtended(**_base(ticket, now), amount=amount, unit=unit, actor=actor)]


def suspend(ticket: TicketState, command: Suspend, now: datetime, actor: str) -> list[TicketEvent]:
    return [TicketSuspended(**_base(ticket, now), reason=_required(command.reason), actor=actor)]


def resume(ticket: TicketState, command: Resume, now: datetime, actor: str) -> list[TicketEvent]:
    return [TicketResumed(**_base(ticket, now), actor=actor)]


def supervise(ticket: TicketState, command: Supervise, now: datetime, actor: str) -> list[TicketEvent]:
    return [TicketSupervised(
        **_base(ticket, now), clock=command.clock, unit_code=ticket.unit_code or "",
        supervisor_level=command.supervisor_level, reason=_required(command.reason),
    )]


def reopen(ticket: TicketState, command: Reopen, now: datetime, actor: str) -> list[TicketEvent]:
    return [TicketReopened(**_base(ticket, now), reason=_required(command.reason), actor=actor)]


def merge(ticket: TicketState, command: Merge, now: datetime, actor: str) -> list[TicketEvent]:
    if command.master_id == ticket.ticket_id:
        raise ValueError("a ticket cannot be merged into itself")
    return [TicketMerged(
        **_base(ticket, now), master_id=command.master_id, confidence=command.confidence, actor=actor
    )]


def joint(ticket: TicketState, command: Joint, now: datetime, actor: str) -> list[TicketEvent]:
    co_units = [code for code in dict.fromkeys(command.co_unit_codes) if code != ticket.unit_code]
    if not co_units:
        raise ValueError("joint handling needs at least one co-unit other than the lead unit")
    return [TicketJointRequested(
        **_base(ticket, now), lead_unit_code=_unit(ticket, actor), co_unit_codes=co_units, actor=actor
    )]


def _required(reason: str) -> str:
    if not reason.strip():
        raise ValueError("a reason is required")
    return reason.strip()


_DECIDERS: dict[type[Any], Callable[[TicketState, Any, datetime, str], list[TicketEvent]]] = {
    Sign: sign, Start: start, Resolve: resolve, Verify: verify, Close: close, Evaluate: evaluate,
    NotAccept: not_accept, Return: return_ticket, ReportUp: report_up, RequestExtension: request_extension,
    ApproveExtension: approve_extension, Suspend: suspend, Resume: resume, Supervise: supervise,
    Reopen: reopen, Merge: merge, Joint: joint,
}

