"""Residency, coverage and snapshot reads; the checks publish AlertRaised on gridgov.alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.db import UnitOfWork
from shared.events.registry import RegistryEvent
from services.registry import store
from services.registry.domain.coverage import CoverageIssue, coverage_alerts, coverage_report
from services.registry.domain.places import Building
from services.registry.domain.residency import (
    GridAnomaly, VerificationTask, anomaly_alerts, anomaly_report, live_counts, verification_tasks,
)
from services.registry.domain.tree import JurisdictionTree, division_upserted
from services.registry.domain.validation import uncovered_communities
from services.registry.domain.grids import grid_upserted
from services.registry.domain.units import unit_upserted
from services.registry.handlers.people import residency_of

SNAPSHOT_KINDS = ("divisions", "grids", "units")


async def _residents(uow: UnitOfWork, prefix: str) -> list[Any]:
    rows = await store.under(uow, store.PersonRow, column="grid_code", prefix=prefix, key="id")
    return [residency_of(row) for row in rows]


async def pending_verifications(uow: UnitOfWork, prefix: str, *, now: datetime) -> list[VerificationTask]:
    """Expired 流动/境外 records under ``prefix``: each one a visit for the grid's worker."""
    grids = await store.under(uow, store.GridRow, column="code", prefix=prefix)
    workers = {row.code: tuple(row.worker_ids) for row in grids}
    return verification_tasks(await _residents(uow, prefix), now=now, workers_by_grid=workers)


async def _buildings(uow: UnitOfWork, prefix: str) -> list[Building]:
    rows = await store.places_of(uow, kind="building", prefix=prefix)
    return [Building(row.id, row.name, row.grid_code, row.data.get("use", "residential"),
                     int(row.data.get("capacity", 0))) for row in rows]


async def residency_anomalies(uow: UnitOfWork, prefix: str, *, now: datetime) -> list[GridAnomaly]:
    """Grids whose counts jump since the last check or exceed what their buildings hold."""
    counts = await store.under(uow, store.CountSnapshotRow, column="grid_code", prefix=prefix, key="grid_code")
    previous = {row.grid_code: row.live for row in counts}
    return anomaly_report(await _residents(uow, prefix), await _buildings(uow, prefix), now=now, previous=previous)


async def check_residency(uow: UnitOfWork, prefix: str, *, now: datetime) -> list[GridAnomaly]:
    """Publish one residency alert per anomalous grid and remember today's live counts for the jump rule."""
    await store.claim_writer(uow)
    anomalies = await residency_anomalies(uow, prefix, now=now)
    for alert in anomaly_alerts(anomalies, now=now):
        uow.publish(alert, key=alert.alert_id, jurisdiction=alert.jurisdiction)
    for grid, live in live_counts(await _residents(uow, prefix), now=now).items():
        row = await store.get(uow, store.CountSnapshotRow, grid) or store.CountSnapshotRow(grid_code=grid, live=live,
                                                                                            counted_at=now)
        row.live, row.counted_at = live, now
        uow.session.add(row)
    return anomalies


async def coverage_issues(uow: UnitOfWork, prefix: str) -> list[CoverageIssue]:
    """Grids without a worker, overloaded workers, class-A grids without a full 1+4+X team."""
    rows = await store.under(uow, store.GridRow, prefix=prefix)
    return coverage_report(store.grid_of(row) for row in rows)


async def uncovered(uow: UnitOfWork, prefix: str) -> list[str]:
    """Communities under ``prefix`` that no grid covers, or whose recorded boundary the grids leave partly bare."""
    divisions = await store.under(uow, store.DivisionRow, prefix=prefix[:6])
    tree = JurisdictionTree(store.division_of(row) for row in divisions)
    boundaries = {row.code: row.boundary for row in divisions if row.boundary and row.code.startswith(prefix)}
    grids = [store.grid_of(row) for row in await store.under(uow, store.GridRow, prefix=prefix)]
    return [code for code in uncovered_communities(tree, grids, boundaries=boundaries) if code.startswith(prefix)]


async def check_coverage(uow: UnitOfWork, prefix: str, *, now: datetime) -> list[CoverageIssue]:
    """Publish one coverage alert per vacancy."""
    await store.claim_writer(uow)
    issues = await coverage_issues(uow, prefix)
    for alert in coverage_alerts(issues, now=now):
        uow.publish(alert, key=alert.alert_id, jurisdiction=alert.jurisdiction)
    return issues


def _item(kind: str, row: Any) -> RegistryEvent:
    if kind == "divisions":
        return division_upserted(store.division_of(row), now=row.updated_at)
    if kind == "grids":
        return grid_upserted(store.grid_of(row), now=row.updated_at)
    return unit_upserted(store.unit_of(row), now=row.updated_at)


async def snapshot_page(uow: UnitOfWork, kind: str, *, prefix: str, after: str | None,
                        limit: int) -> tuple[list[dict[str, Any]], str | None, int]:
    """A page of items shaped like their *Upserted events, the next cursor and the outbox position."""
    position = await store.last_position(uow)
    model, column = {"divisions": (store.DivisionRow, "code"), "grids": (store.GridRow, "code"),
                     "units": (store.UnitRow, "division_code")}[kind]
    rows: list[Any] = await store.under(uow, model, column=column, prefix=prefix, limit=limit + 1, after=after)
    items = [_item(kind, row).model_dump(mode="json") for row in rows[:limit]]
    return items, (rows[limit - 1].code if len(rows) > limit else None), position
