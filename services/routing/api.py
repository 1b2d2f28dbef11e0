"""Routing's API: why a ticket went where it went, the authority-list versions, and what-if simulation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.routing import handlers, store
from services.routing.deps import CallerDep, DatabaseDep, SettingsDep
from services.routing.domain.explain import bilingual
from services.routing.domain.rule_data import RuleDataError, version_from_dict, version_to_dict
from services.routing.domain.rules import RuleVersion
from shared.auth import Principal
from shared.db import UnitOfWork
from shared.problems import Conflict, Forbidden, Invalid, NotFound

router = APIRouter(prefix="/api/v1/routing", tags=["routing"])

REASON_ZH = {"initial": "首次分派", "returned": "退回重派", "reported_up": "上报", "escalated": "升级",
             "unroutable": "无规则覆盖", "arbitration": "争议裁定", "joint": "吹哨报到", "reopened": "重办"}


class DecisionRead(BaseModel):
    sequence: int
    reason: str
    reason_zh: str
    rule_version: str
    decided_at: datetime
    assignment: dict[str, Any]
    co_units: list[dict[str, Any]]
    explanation: list[dict[str, Any]]


class TicketDecisionsRead(BaseModel):
    ticket_id: str
    jurisdiction: str
    pending: bool = Field(description="waiting for the ticket's geocode before routing")
    rule_version: str | None
    returns: int
    first_unit_code: str | None = Field(description="首接负责: the first unit stays responsible until arbitration")
    arbitration: bool
    decisions: list[DecisionRead]


class SimulationRequest(BaseModel):
    draft: dict[str, Any] | None = Field(default=None, description="a rule version in the upload format")
    draft_version: str | None = Field(default=None, description="or the name of a stored version")
    days: int = Field(default=30, ge=1, le=366)
    limit: int = Field(default=20000, ge=1, le=100000)


class RuleVersionSummary(BaseModel):
    version: str
    district: str
    effective_from: datetime
    in_force: bool
    note: str


def _decision(row: store.DecisionRow) -> DecisionRead:
    event = row.event
    return DecisionRead(sequence=row.sequence, reason=row.reason, reason_zh=REASON_ZH.get(row.reason, row.reason),
                        rule_version=row.rule_version, decided_at=row.decided_at, assignment=event["assignment"],
                        co_units=event.get("co_units", []), explanation=bilingual(event.get("explanation", [])))


def _require_district(caller: Principal, district: str) -> None:
    if not (district.startswith(caller.scope) or caller.scope.startswith(district)):
        raise Forbidden(f"district {district} is outside your jurisdiction {caller.scope}")


@router.get("/decisions/{ticket_id}", response_model=TicketDecisionsRead)
async def read_decisions(ticket_id: str, caller: CallerDep, db: DatabaseDep) -> TicketDecisionsRead:
    """Every routing decision of a ticket, with its explanation in Chinese and English keys."""
    async with db.uow() as uow:
        row = await store.get_ticket(uow, ticket_id)
        if row is None or not caller.can_see(row.jurisdiction):
            raise NotFound(f"no routing decisions for ticket '{ticket_id}'")
        decisions = await store.decisions_of(uow, ticket_id)
    state = row.state or {}
    return TicketDecisionsRead(
        ticket_id=row.ticket_id, jurisdiction=row.jurisdiction, pending=row.pending, rule_version=row.rule_version,
        returns=row.returns, first_unit_code=state.get("first_unit_code"), arbitration=state.get("arbitration", False),
        decisions=[_decision(d) for d in decisions],
    )


@router.get("/rules", response_model=list[RuleVersionSummary])
async def list_rules(caller: CallerDep, db: DatabaseDep, settings: SettingsDep) -> list[RuleVersionSummary]:
    """The district's authority-list versions, oldest first, with the one in force now marked."""
    district = settings.common.district_code
    _require_district(caller, district)
    async with db.uow() as uow:
        versions = await store.list_versions(uow, district)
        in_force = await store.version_at(uow, district, at=datetime.now(UTC))
    return [RuleVersionSummary(version=v.version, district=v.district, effective_from=v.effective_from,
                               in_force=in_force is not None and v.version == in_force.version, note=v.note)
            for v in versions]


@router.get("/rules/{version}")
async def read_rules(version: str, caller: CallerDep, db: DatabaseDep, settings: SettingsDep) -> dict[str, Any]:
    """One authority-list version in the upload format."""
    district = settings.common.district_code
    _require_district(caller, district)
    async with db.uow() as uow:
        found = await store.get_version(uow, district, version=version)
    if found is None:
        raise NotFound(f"no rule version '{version}'")
    return version_to_dict(found)


@router.post("/rules", status_code=201)
async def upload_rules(body: dict[str, Any], caller: CallerDep, db: DatabaseDep, settings: SettingsDep) -> dict[str, Any]:
    """Upload a new authority-list version; every problem found is listed in a 422 answer."""
    district = settings.common.district_code
    caller.require_within(district)
    caller.require_role("admin")
    async with db.uow() as uow:
        try:
            version = await handlers.upload_version(uow, body, district=district, actor=caller.key_id,
                                                    now=datetime.now(UTC))
        except RuleDataError as error:
            raise Invalid(f"the rule version has {len(error.problems)} problem(s)",
                          extra={"problems": error.problems}) from None
        except handlers.VersionExists as error:
            raise Conflict(str(error)) from None
    return version_to_dict(version)


@router.post("/simulate")
async def simulate(body: SimulationRequest, caller: CallerDep, db: DatabaseDep, settings: SettingsDep) -> dict[str, Any]:
    """Replay the last N days of tickets under a draft version and compare with the version in force."""
    district = settings.common.district_code
    caller.require_within(district)
    now = datetime.now(UTC)
    async with db.uow() as uow:
        draft = await _draft(uow, body, district=district)
        return await handlers.simulate_draft(uow, draft, district=district, since=now - timedelta(days=body.days),
                                             now=now, limit=body.limit)


async def _draft(uow: UnitOfWork, body: SimulationRequest, *, district: str) -> RuleVersion:
    if body.draft is not None:
        try:
            return version_from_dict(body.draft)
        except RuleDataError as error:
            raise Invalid("the draft rule version is malformed", extra={"problems": error.problems}) from None
    if body.draft_version is None:
        raise Invalid("send either 'draft' or 'draft_version'")
    found = await store.get_version(uow, district, version=body.draft_version)
    if found is None:
        raise NotFound(f"no rule version '{body.draft_version}'")
    return found
