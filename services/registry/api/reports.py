"""Residency verification tasks, anomaly reports and coverage/vacancy reports (with alert-raising checks)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.registry.deps import CallerDep, DatabaseDep
from services.registry.handlers import reports as handlers

router = APIRouter(tags=["residency and coverage"])
Jurisdiction = Annotated[str | None, Query(pattern=r"^\d{4,18}$")]


@router.get("/residency/tasks")
async def verification_tasks(caller: CallerDep, db: DatabaseDep, jurisdiction: Jurisdiction = None) -> dict[str, Any]:
    """Expired floating/foreign records to re-verify, each for its grid's worker."""
    async with db.uow() as uow:
        tasks = await handlers.pending_verifications(uow, caller.narrow(jurisdiction), now=datetime.now(UTC))
    return {"items": [asdict(task) for task in tasks]}


@router.get("/residency/anomalies")
async def residency_anomalies(caller: CallerDep, db: DatabaseDep, jurisdiction: Jurisdiction = None) -> dict[str, Any]:
    """Grids whose resident counts jump or exceed their buildings' capacity."""
    async with db.uow() as uow:
        anomalies = await handlers.residency_anomalies(uow, caller.narrow(jurisdiction), now=datetime.now(UTC))
    return {"items": [asdict(anomaly) for anomaly in anomalies]}


@router.post("/residency/checks")
async def check_residency(caller: CallerDep, db: DatabaseDep, jurisdiction: Jurisdiction = None) -> dict[str, Any]:
    """Run the anomaly report, raise one residency alert per grid and remember the counts."""
    caller.require_role("admin", "system")
    async with db.uow() as uow:
        anomalies = await handlers.check_residency(uow, caller.narrow(jurisdiction), now=datetime.now(UTC))
        await uow.commit()
    return {"items": [asdict(anomaly) for anomaly in anomalies], "alerts": len(anomalies)}


@router.get("/coverage")
async def coverage(caller: CallerDep, db: DatabaseDep, jurisdiction: Jurisdiction = None) -> dict[str, Any]:
    """Grids without a worker, overloaded workers, class-A grids without a full team, uncovered communities."""
    async with db.uow() as uow:
        prefix = caller.narrow(jurisdiction)
        issues = await handlers.coverage_issues(uow, prefix)
        bare = await handlers.uncovered(uow, prefix)
    return {"items": [asdict(issue) for issue in issues], "uncovered_communities": bare}


@router.post("/coverage/checks")
async def check_coverage(caller: CallerDep, db: DatabaseDep, jurisdiction: Jurisdiction = None) -> dict[str, Any]:
    """Raise one coverage alert per vacancy."""
    caller.require_role("admin", "system")
    async with db.uow() as uow:
        issues = await handlers.check_coverage(uow, caller.narrow(jurisdiction), now=datetime.now(UTC))
        await uow.commit()
    return {"items": [asdict(issue) for issue in issues], "alerts": len(issues)}
