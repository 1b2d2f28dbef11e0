"""The ticket state machine: a handling unit's command becomes events; events move the state and timeline."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, ClassVar, Literal, get_args

from shared.events.ticket import (
    ClockKind,
    LevelName,
    Rating,
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

State = Literal[
    "received", "not_accepted", "routed", "signed", "in_progress", "suspended",
    "resolved", "verified", "closed", "reopened", "merged",
]
STATES: tuple[State, ...] = get_args(State)
TimeUnit = Literal["working_hours", "working_days", "hours"]
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


@dataclass(frozen=True)
class Sign:
    name: ClassVar[str] = "sign"


@dataclass(frozen=True)
class Start:
    name: ClassVar[str] = "start"


@dataclass(frozen=True)
class Resolve:
    name: ClassVar[str] = "resolve"
    result: str = ""


@dataclass(frozen=True)
class Verify:
    name: ClassVar[str] = "verify"
    passed: bool
    note: str = ""


@dataclass(frozen=True)
class Close:
    name: ClassVar[str] = "close"


@dataclass(frozen=True)
class Evaluate:
    name: ClassVar[str] = "evaluate"
    rating: Rating


@dataclass(frozen=True)
class NotAccept:
    name: ClassVar[str] = "not_accept"
    reason: str


@dataclass(frozen=True)
class Return:
    name: ClassVar[str] = "return"
    reason: str


@dataclass(frozen=True)
class ReportUp:
    name: ClassVar[str] = "report_up"
    reason: str


@dataclass(frozen=True)
class RequestExtension:
    name: ClassVar[str] = "request_extension"
    amount: float
    unit: TimeUnit
    reason: str


@dataclass(frozen=True)
class ApproveExtension:
    name: ClassVar[str] = "approve_extension"
    amount: float | None = None
    unit: TimeUnit | None = None


@dataclass(frozen=True)
class Suspend:
    name: ClassVar[str] = "suspend"
    reason: str


@dataclass(frozen=True)
class Resume:
    name: ClassVar[str] = "resume"


@dataclass(frozen=True)
class Supervise:
    name: ClassVar[str] = "supervise"
    reason: str
    clock: ClockKind = "handling"
    supervisor_level: LevelName = "district"


@dataclass(frozen=True)
class Reopen:
    name: ClassVar[str] = "reopen"
    reason: str


@dataclass(frozen=True)
class Merge:
    name: ClassVar[str] = "merge"
    master_id: str
    confidence: float = 1.0


@dataclass(frozen=True)
class Joint:
    name: ClassVar[str] = "joint"
    co_unit_codes: tuple[str, ...]


Command = (
    Sign | Start | Resolve | Verify | Close | Evaluate | NotAccept | Return | ReportUp | RequestExtension
    | ApproveExtension | Suspend | Resume | Supervise | Reopen | Merge | Joint
)
COMMANDS: dict[str, type[Any]] = {c.name: c for c in get_args(Command)}

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
