"""Commands a handling unit (or an operator) sends about one ticket; checked by ``lifecycle.decide``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal, get_args

from shared.events.ticket import ClockKind, LevelName, Rating

TimeUnit = Literal["working_hours", "working_days", "hours"]


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
