"""Analytics's JSON API: measures, the assessment table (JSON/CSV/XLSX), alerts, map and the live SSE tail."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import StreamingResponse

from services.analytics import queries, store
from services.analytics.deps import CallerDep, DatabaseDep, HubDep
from services.analytics.domain.assessment import table
from services.analytics.domain.readmodel import CHINA, Dimension, Period
from services.analytics.domain.ring import LiveItem
from services.analytics.live import LiveHub
from shared.problems import Invalid

router = APIRouter(prefix="/api/v1", tags=["analytics"])
Code = Annotated[str | None, Query(pattern=r"^\d{4,18}$")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _today() -> date:
    return datetime.now(CHINA).date()


@router.get("/me")
async def me(caller: CallerDep) -> dict[str, Any]:
    """Who is signed in and the jurisdiction they may see."""
    return {"user": caller.key_id, "label": caller.label, "scope": caller.scope, "roles": list(caller.roles)}


@router.get("/jurisdictions")
async def jurisdictions(caller: CallerDep, db: DatabaseDep) -> dict[str, Any]:
    """Divisions the caller may pick (their scope and below)."""
    async with db.uow() as uow:
        return {"items": await queries.jurisdictions(uow, scope=caller.scope)}


MAX_RANGE_DAYS = 3 * 366  # a range is summed over whole-period buckets: a century would be thousands of them


def _checked_range(since: date, until: date) -> date:
    if since > until or (until - since).days > MAX_RANGE_DAYS:
        raise Invalid("since must not be after until, and the range must be at most three years")
    return since


@router.get("/metrics/summary")
async def metrics_summary(
    caller: CallerDep, db: DatabaseDep, jurisdiction: Code = None, since: date | None = None,
    until: date | None = None, period: Period | None = None, by: Dimension | None = None,
) -> dict[str, Any]:
    """Measures of the tickets received in a date range under a jurisdiction prefix (default: this month)."""
    prefix = caller.narrow(jurisdiction)
    until = until or _today()
    since = _checked_range(since or until.replace(day=1), until)
    async with db.uow() as uow:
        return await queries.summary(uow, prefix=prefix, since=since, until=until, period=period, by=by)


@router.get("/assessment", response_model=None)
async def assessment(
    caller: CallerDep, db: DatabaseDep, month: Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] = None,
    jurisdiction: Code = None, format: Literal["json", "csv", "xlsx"] = "json",
) -> dict[str, Any] | Response:
    """The monthly assessment table per handling unit, ranked within peer groups (community class A/B/C)."""
    prefix = caller.narrow(jurisdiction)
    first = date.fromisoformat(f"{month}-01") if month else _today().replace(day=1)
    async with db.uow() as uow:
        rows, rulers = await queries.assessment_table(uow, prefix=prefix, month=first)
    if format == "json":
        return {"month": f"{first:%Y-%m}", "jurisdiction": prefix, "rows": [r.as_dict() for r in rows],
                "rulers": {group: m.as_dict() for group, m in rulers.items()}}
    name = f"assessment-{prefix}-{first:%Y%m}.{format}"
    body, media = (_csv(table(rows)), "text/csv; charset=utf-8") if format == "csv" else (_xlsx(table(rows)), XLSX)
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _csv(cells: list[list[object]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["" if v is None else v for v in row] for row in cells])
    return ("\ufeff" + buffer.getvalue()).encode()  # BOM: Excel on Chinese Windows reads UTF-8 correctly


def _xlsx(cells: list[list[object]]) -> bytes:
    from openpyxl import Workbook  # type: ignore[import-untyped]

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "考核"
    for row in cells:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@router.get("/alerts")
async def alerts(
    caller: CallerDep, db: DatabaseDep, jurisdiction: Code = None,
    kind: Literal["spike", "repeat_cluster", "coverage", "residency_anomaly"] | None = None,
    since: datetime | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """Early-warning alerts under the jurisdiction, newest first."""
    prefix = caller.narrow(jurisdiction)
    async with db.uow() as uow:
        rows = await store.list_alerts(uow, prefix=prefix, kind=kind, since=since, limit=limit)
    return {"items": [{"alert_id": r.alert_id, "occurred_at": r.occurred_at.isoformat(), "jurisdiction": r.jurisdiction,
                       "kind": r.kind, "category": r.category, "title": r.title, "evidence": r.evidence} for r in rows]}


@router.get("/map")
async def heatmap(caller: CallerDep, db: DatabaseDep, jurisdiction: Code = None, since: date | None = None,
                  until: date | None = None) -> dict[str, Any]:
    """Grid polygons under the jurisdiction with their ticket counts (GeoJSON), for the heatmap."""
    prefix = caller.narrow(jurisdiction)
    until = until or _today()
    since = _checked_range(since or until - timedelta(days=29), until)
    async with db.uow() as uow:
        return await queries.heatmap(uow, prefix=prefix, since=since, until=until)


@router.get("/stream", response_class=StreamingResponse)
async def stream(
    caller: CallerDep, hub: HubDep, jurisdiction: Code = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    backlog: Annotated[int, Query(ge=0, le=500)] = 20, limit: Annotated[int | None, Query(ge=1)] = None,
    heartbeat: Annotated[float, Query(gt=0, le=60)] = 15.0,
) -> StreamingResponse:
    """Live tail of ticket events and alerts under the jurisdiction (Server-Sent Events, resumable)."""
    prefix = caller.narrow(jurisdiction)
    if last_event_id and last_event_id.isdigit():
        first = hub.ring.after(int(last_event_id), prefix=prefix)
    else:
        first = hub.ring.after(0, prefix=prefix)[-backlog:] if backlog else []
    after = int(last_event_id) if last_event_id and last_event_id.isdigit() else hub.ring.last_seq
    return StreamingResponse(_sse(hub, prefix=prefix, first=first, after=after, limit=limit, heartbeat=heartbeat),
                             media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


async def _sse(hub: LiveHub, *, prefix: str, first: list[LiveItem], after: int, limit: int | None,
               heartbeat: float) -> AsyncIterator[str]:
    """Frames of everything new since the last wake-up go out as one chunk (one write per client per batch)."""
    sent = 0
    yield f"retry: 3000\n: connected {datetime.now(UTC).isoformat()}\n\n"
    pending = first
    while limit is None or sent < limit:
        if limit is not None:
            pending = pending[:limit - sent]
        if pending:
            yield "".join(hub.frame(item) for item in pending)
            after, sent = max(after, pending[-1].seq), sent + len(pending)
            if limit is not None and sent >= limit:
                return
        pending = await hub.wait(after, prefix=prefix, timeout=heartbeat)
        if not pending:
            yield ": keep-alive\n\n"
