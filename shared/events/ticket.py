"""Ticket lifecycle events on ``gridgov.tickets``. Never carry personal data in clear."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared import topics
from shared.events.base import Event

Channel = Literal["rest", "hotline", "open311", "grid_worker", "import"]
Severity = Literal["一般", "较大", "重大", "特别重大"]
Rating = Literal["满意", "基本满意", "不满意"]
LevelName = Literal["grid", "community", "street", "district", "city"]
ClockKind = Literal["sign_off", "handling", "verification"]


class Point(BaseModel):
    model_config = ConfigDict(frozen=True)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


class TicketEvent(Event):
    topic: ClassVar[str] = topics.TICKETS
    ticket_id: str
    occurred_at: datetime
    jurisdiction: str = Field(description="grid code once geocoded, else the most precise division code")


def batch_ticket_ids(envelopes: Iterable[Any]) -> set[str]:
    """The tickets a consumed batch of envelopes is about (consumers load them in one query)."""
    return {env.data.ticket_id for env in envelopes if isinstance(env.data, TicketEvent)}


class TicketReceived(TicketEvent):
    ce_type: ClassVar[str] = "cn.gridgov.ticket.received.v1"
    channel: Channel
    category: str
    category_mapped: bool = True
    severity: Severity = "一般"
    grid_code: str | None = None
    location: Point | None = None
    address: str | None = None
    description: str = ""
    reporter_masked: str | None = Field(default=None, description="masked name or phone, never clear")
    external_id: str | None = None
    entry_level: LevelName = "grid"
    geocode_pending: bool = False
    self_resolved: bool = Field(default=False, description="grid worker fixed it on the spot (自行处置)")
    component_code: str | None = Field(default=None, description="city component (部件) the ticket is about")


class TicketLocated(TicketEvent):
    """A ticket accepted while the registry was unreachable has now been geocoded."""

    ce_type: ClassVar[str] = "cn.gridgov.ticket.located.v1"
    grid_code: str | None
    inside: bool


class Assignment(BaseModel):
    model_config = ConfigDict(frozen=True)
    unit_code: str
    unit_name: str
    level: LevelName
    unit_jurisdiction: str
    role: Literal["lead", "co"] = "lead"
    due_at: datetime | None = None


class TicketRouted(TicketEvent):
    ce_type: ClassVar[str] = "cn.gridgov.ticket.routed.v1"
    category: str
    assignment: Assignment
    co_units: list[Assignment] = Field(default_factory=list)
    reason: Literal["initial", "returned", "reported_up", "escalated", "unroutable", "arbitration", "joint", "reopened"]
    rule_version: str
    explanation: list[dict[str, Any]] = Field(default_factory=list)
    sequence: int = Field(default=1, description="1 for the first routing of this ticket, +1 each re-route")


class TicketNotAccepted(TicketEvent):
    ce_type: ClassVar[str] = "cn.gridgov.ticket.not_accepted.v1"
    reason: str
    actor: str


class TicketSigned(TicketEvent):
    ce_type: ClassVar[str] = "cn.gridgov.ticket.signed.v1"
    unit_code: str
    actor: str


class TicketStarted(TicketEvent):
    ce_type: ClassVar[str] = "cn.gridgov.ticket.started.v1"
    unit_code: str
    actor: str


class TicketResolved(TicketEvent):
    ce_type: ClassVar[str] = "cn.gridgov.ticket.resolved.v1"
    unit_code: str
    actor: str
    result: str = ""


class TicketVerified(TicketEvent):
    ce_type: ClassVar[str] = "cn.gridgov.ticket.verified.v1"
    passed: bool
    actor: str
    note: str = ""


class TicketClosed(TicketEvent):
    ce_type: ClassVar[str] = "cn.gridgov.ticket.closed.v1"
    actor: str
    self_resolved: bool = False


class TicketEvaluated(TicketEvent):
    ce_type: ClassVar[str] = "cn.gridgov.ticket.evaluated.v1"
    rating: Rating
    actor: str


class TicketReturned(TicketEvent):
    ce_type: ClassVar[str] = "cn.gridgov.ticket.returned.v1"
    unit_code: str
    reason: str
    actor: str


class TicketReportedUp(TicketEvent):
    ce_type: ClassVar[str] = "cn.gridgov.ticket.reported_up.v1"
    unit_code: str
    reason: str
    actor: str


class TicketExtensionRequested(TicketEvent):
    ce_type: ClassVar[str] = "cn.gridgov.ticket.extension_requested.v1"
    unit_code: str
    amount: float
    unit: Literal["working_hours", "working_days", "hours"]
    reason: str
    actor: str


class TicketExtended(TicketEvent):
    ce_type: ClassVar[str] = "cn.gridgov.ticket.extended.v1"
    amount: float
    unit: Literal["working_hours", "working_days", "hours"]
    actor: str


class TicketSuspended(TicketEvent):
    ce_type: ClassVar[str] = "cn.gridgov.ticket.suspended.v1"
    reason: str
    actor: str


class TicketResumed(TicketEvent):
    ce_type: ClassVar[str] = "cn.gridgov.ticket.resumed.v1"
    actor: str


class TicketReopened(TicketEvent):
    ce_type: ClassVar[str] = "cn.gridgov.ticket.reopened.v1"
    reason: str
    actor: str


class TicketMerged(TicketEvent):
    ce_type: ClassVar[str] = "cn.gridgov.ticket.merged.v1"
    master_id: str
    confidence: float
    actor: str


class TicketJointRequested(TicketEvent):
    """A street blows the whistle (吹哨): departments must report (报到) as co-units."""

    ce_type: ClassVar[str] = "cn.gridgov.ticket.joint_requested.v1"
    lead_unit_code: str
    co_unit_codes: list[str]
    actor: str


class TicketArbitrationRequested(TicketEvent):
    ce_type: ClassVar[str] = "cn.gridgov.ticket.arbitration_requested.v1"
    returns: int
    first_unit_code: str


class TicketReminded(TicketEvent):
    ce_type: ClassVar[str] = "cn.gridgov.ticket.reminded.v1"
    clock: ClockKind
    percent: int
    unit_code: str
    due_at: datetime
    reason: str


class TicketSupervised(TicketEvent):
    ce_type: ClassVar[str] = "cn.gridgov.ticket.supervised.v1"
    clock: ClockKind
    unit_code: str
    supervisor_level: LevelName
    reason: str


class TicketEscalated(TicketEvent):
    ce_type: ClassVar[str] = "cn.gridgov.ticket.escalated.v1"
    from_level: LevelName
    to_level: LevelName
    unit_code: str
    reason: str


class TicketOverdue(TicketEvent):
    ce_type: ClassVar[str] = "cn.gridgov.ticket.overdue.v1"
    clock: ClockKind
    unit_code: str
    due_at: datetime
