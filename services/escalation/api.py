"""Escalation's REST API: the deadline calculator, a ticket's clocks, and the district's ladder."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, Field

from services.escalation import handlers
from services.escalation.deps import CallerDep, DatabaseDep, Principal, SettingsDep, WorkPeriodsDep
from services.escalation.domain.clock import Clock
from services.escalation.domain.ladder import InvalidLadder, ladder_to_dict
from shared.codes import InvalidCode, validate_code
from shared.problems import Forbidden, Invalid, NotFound
from shared.workcal import CalendarError

router = APIRouter(prefix="/api/v1", tags=["escalation"])
_CST = ZoneInfo("Asia/Shanghai")
_LADDER_EXAMPLE = {"rules": [{"step": "notice-50", "action": "notice", "percent": 50},
                             {"step": "remind", "action": "remind", "percent": 100},
                             {"step": "supervise", "action": "supervise", "target": "parent",
                              "after_due": {"amount": 4, "unit": "working_hours"}}]}


class DeadlineRead(BaseModel):
    deadline: datetime
    start: datetime
    amount: float
    unit: str
    jurisdiction: str


class ClockRead(BaseModel):
    seq: int
    kind: str
    state: str
    unit_code: str
    level: str
    limit: dict[str, Any]
    policy_version: str
    started_at: datetime
    due_at: datetime
    stopped_at: datetime | None
    stop_reason: str
    history: list[dict[str, Any]]
    timers: list[dict[str, Any]]


class ClocksRead(BaseModel):
    ticket_id: str
    jurisdiction: str
    policy_version: str
    clocks: list[ClockRead]


class OverrideUpdate(BaseModel):
    working: bool = Field(description="true: a working day (e.g. an extra 调休 day); false: a day off (typhoon)")
    note: str = Field(default="", max_length=200)


class OverridesRead(BaseModel):
    district: str
    overrides: dict[date, bool]


class LadderRead(BaseModel):
    district: str
    version: int
    rules: list[dict[str, Any]]


@router.get("/calendar/deadline", response_model=DeadlineRead)
async def get_deadline(
    caller: CallerDep, db: DatabaseDep, settings: SettingsDep, periods: WorkPeriodsDep,
    start: str = Query(description="ISO 8601 with an offset, e.g. 2026-09-30T16:00:00+08:00"),
    amount: float = Query(ge=0, le=10000),
    unit: Literal["working_hours", "working_days", "hours"] = Query(),
    jurisdiction: str | None = Query(default=None, description="district code (default: this deployment's)"),
) -> DeadlineRead:
    """Compute a deadline with the district's working calendar, as every time limit does."""
    district = _district(jurisdiction or settings.common.district_code)
    _require_related(caller.scope, district)
    begin = _parse_start(start)
    try:
        due = await handlers.deadline(db, start=begin, amount=amount, unit=unit, district=district,
                                      periods=periods)
    except CalendarError as error:
        raise Invalid(str(error), extra={"errors": [{"field": "amount", "message": str(error)}]}) from None
    return DeadlineRead(deadline=due, start=begin, amount=amount, unit=unit, jurisdiction=district)


@router.get("/calendar/overrides", response_model=OverridesRead)
async def get_overrides(caller: CallerDep, db: DatabaseDep, settings: SettingsDep,
                        jurisdiction: str | None = Query(default=None)) -> OverridesRead:
    """The district's own working-day decisions on top of the official calendar."""
    district = _district(jurisdiction or settings.common.district_code)
    _require_related(caller.scope, district)
    return OverridesRead(district=district, overrides=await handlers.list_overrides(db, district=district))


@router.put("/calendar/overrides/{day}", response_model=OverridesRead)
async def put_override(day: date, update: OverrideUpdate, caller: CallerDep, db: DatabaseDep, settings: SettingsDep,
                       periods: WorkPeriodsDep, jurisdiction: str | None = Query(default=None)) -> OverridesRead:
    """Declare a day off (typhoon, local holiday) or an extra working day; running deadlines move with it."""
    district = _admin_district(caller, jurisdiction or settings.common.district_code)
    overrides = await handlers.set_override(db, day, working=update.working, district=district, note=update.note,
                                            now=datetime.now(UTC), periods=periods)
    return OverridesRead(district=district, overrides=overrides)


@router.delete("/calendar/overrides/{day}", response_model=OverridesRead)
async def delete_override(day: date, caller: CallerDep, db: DatabaseDep, settings: SettingsDep,
                          periods: WorkPeriodsDep, jurisdiction: str | None = Query(default=None)) -> OverridesRead:
    """Withdraw a district decision: the official calendar applies to that day again."""
    district = _admin_district(caller, jurisdiction or settings.common.district_code)
    overrides = await handlers.set_override(db, day, working=None, district=district, note="",
                                            now=datetime.now(UTC), periods=periods)
    return OverridesRead(district=district, overrides=overrides)


@router.get("/clocks/{ticket_id}", response_model=ClocksRead)
async def get_clocks(ticket_id: str, caller: CallerDep, db: DatabaseDep) -> ClocksRead:
    """A ticket's time-limit clocks, each with its history and its timers."""
    found = await handlers.clock_history(db, ticket_id)
    if found is None or not caller.can_see(found[0].jurisdiction):
        raise NotFound(f"no clocks for ticket {ticket_id}")
    track, timers = found
    return ClocksRead(ticket_id=track.ticket_id, jurisdiction=track.jurisdiction, policy_version=track.policy_version,
                      clocks=[_clock_read(clock, timers) for clock in track.clocks])


@router.get("/ladder", response_model=LadderRead)
async def get_ladder(caller: CallerDep, db: DatabaseDep, settings: SettingsDep,
                     jurisdiction: str | None = Query(default=None)) -> LadderRead:
    """The district's escalation ladder (the default one until the district uploads its own)."""
    district = _district(jurisdiction or settings.common.district_code)
    _require_related(caller.scope, district)
    data = await handlers.read_ladder(db, district=district)
    return LadderRead(district=district, version=data["version"], rules=data["rules"])


@router.put("/ladder", response_model=LadderRead)
async def put_ladder(caller: CallerDep, db: DatabaseDep, settings: SettingsDep, periods: WorkPeriodsDep,
                     body: Annotated[dict[str, Any], Body(examples=[_LADDER_EXAMPLE])],
                     jurisdiction: str | None = Query(default=None)) -> LadderRead:
    """Replace the district's ladder; 422 lists every problem of an invalid one."""
    district = _admin_district(caller, jurisdiction or settings.common.district_code)
    try:
        ladder = await handlers.upload_ladder(db, body, district=district, actor=caller.key_id, now=datetime.now(UTC),
                                             periods=periods)
    except InvalidLadder as error:
        raise Invalid(f"the ladder has {len(error.problems)} problem(s)", extra={"problems": error.problems}) from None
    data = ladder_to_dict(ladder)
    return LadderRead(district=district, version=ladder.version, rules=data["rules"])


def _district(code: str) -> str:
    try:
        validate_code(code)
    except InvalidCode as error:
        raise Invalid(str(error), extra={"errors": [{"field": "jurisdiction", "message": str(error)}]}) from None
    if len(code) < 6:
        raise Invalid(f"'{code}' is a city; give a district code", extra={"errors": [{"field": "jurisdiction"}]})
    return code[:6]


def _admin_district(caller: Principal, code: str) -> str:
    """District settings are changed by the district itself (an admin or a system key), not by a street."""
    district = _district(code)
    caller.require_within(district)
    caller.require_role("admin", "system")
    return district


def _require_related(scope: str, district: str) -> None:
    """Anyone inside the district (a street, a community) may read its calendar and ladder."""
    if not (scope.startswith(district) or district.startswith(scope)):
        raise Forbidden(f"district {district} is outside your jurisdiction {scope}")


def _parse_start(raw: str) -> datetime:
    text = raw.strip().replace(" ", "+") if "T" in raw else raw.strip()  # a '+' sent unencoded arrives as a space
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise Invalid(f"start '{raw}' is not ISO 8601", extra={"errors": [{"field": "start"}]}) from None
    if value.tzinfo is None:
        raise Invalid(f"start '{raw}' has no UTC offset (e.g. +08:00)", extra={"errors": [{"field": "start"}]})
    return value


def _clock_read(clock: Clock, timers: list[dict[str, Any]]) -> ClockRead:
    stopped = clock.stopped_at.astimezone(_CST) if clock.stopped_at else None
    return ClockRead(
        seq=clock.seq, kind=clock.kind, state=clock.state, unit_code=clock.unit_code, level=clock.level,
        limit={"amount": clock.limit.amount, "unit": clock.limit.unit}, policy_version=clock.policy_version,
        started_at=clock.started_at.astimezone(_CST), due_at=clock.due_at.astimezone(_CST), stopped_at=stopped,
        stop_reason=clock.stop_reason,
        history=[{"at": e.at.astimezone(_CST), "action": e.action, "due_at": e.due_at.astimezone(_CST), "note": e.note}
                 for e in clock.history],
        timers=[{"step": t["step"], "fire_at": t["fire_at"].astimezone(_CST), "status": t["status"]}
                for t in timers if t["clock_seq"] == clock.seq],
    )
