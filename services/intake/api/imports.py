"""Bulk import of historical tickets from CSV or XLSX, with a per-row error report."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from openpyxl import load_workbook
from pydantic import ValidationError

from services.intake import handlers
from services.intake.api.tickets import TicketCreate
from services.intake.deps import CallerDep, DatabaseDep, SettingsDep
from services.intake.domain.model import NewTicket
from shared.problems import Invalid

router = APIRouter(prefix="/api/v1", tags=["import"])
MAX_ROWS = 50_000
COLUMNS = ("category", "description", "grid_code", "address", "severity", "lon", "lat", "external_id", "reported_at")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _rows(content: bytes, media_type: str) -> list[dict[str, Any]]:
    if media_type.startswith(XLSX):
        sheet = load_workbook(io.BytesIO(content), read_only=True).active
        values = [list(row) for row in sheet.iter_rows(values_only=True)] if sheet is not None else []
        header = [str(cell or "").strip() for cell in (values[0] if values else [])]
        return [dict(zip(header, row, strict=False)) for row in values[1:]]
    if media_type.startswith("text/csv"):
        return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    raise Invalid("send text/csv or an .xlsx workbook", status=415, kind="unsupported-media-type")


def _ticket(row: dict[str, Any]) -> tuple[TicketCreate, datetime | None]:
    clean = {key: (str(value).strip() if value is not None else "") for key, value in row.items() if key in COLUMNS}
    body: dict[str, Any] = {k: v for k, v in clean.items() if v and k not in ("lon", "lat", "reported_at")}
    if clean.get("lon") and clean.get("lat"):
        body["location"] = {"lon": clean["lon"], "lat": clean["lat"]}
    reported = datetime.fromisoformat(clean["reported_at"]) if clean.get("reported_at") else None
    return TicketCreate.model_validate(body), reported


@router.post("/imports")
async def import_tickets(request: Request, caller: CallerDep, db: DatabaseDep, settings: SettingsDep) -> dict[str, Any]:
    """Import rows (columns: category, description, grid_code, address, severity, lon, lat, external_id, reported_at)."""
    caller.require_role("admin", "system")
    rows = _rows(await request.body(), request.headers.get("content-type", ""))
    if len(rows) > MAX_ROWS:
        raise Invalid(f"at most {MAX_ROWS} rows per import", status=413, kind="too-large")
    valid, errors = [], []
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        try:
            body, reported = _ticket(row)
            caller.require_within(body.grid_code or settings.common.district_code)
        except (ValidationError, ValueError) as error:
            errors.append({"row": number, "errors": _messages(error)})
            continue
        valid.append((body, reported))
    accepted: list[str] = []
    size = db.group.max_batch
    for start in range(0, len(valid), size):
        # A group commit batch of rows accepted at once shares one transaction (one per ticket took 2.4 ms of CPU
        # on SQLite against ~1 ms in batches); ticket ids keep the rows' order.
        chunk = valid[start:start + size]
        accepted += await asyncio.gather(*(_create(db, settings, body, reported=reported, actor=caller.key_id)
                                           for body, reported in chunk))
    return {"rows": len(rows), "accepted": len(accepted), "ticket_ids": accepted, "errors": errors}


def _messages(error: Exception) -> list[dict[str, str]]:
    if isinstance(error, ValidationError):
        return [{"field": ".".join(map(str, e["loc"])) or "row", "message": e["msg"]} for e in error.errors()]
    return [{"field": "reported_at", "message": str(error)}]


async def _create(db: Any, settings: Any, body: TicketCreate, *, reported: datetime | None, actor: str) -> str:
    new = NewTicket(channel="import", category=body.category, description=body.description, severity=body.severity,
                    location=body.location, grid_code=body.grid_code, address=body.address,
                    external_id=body.external_id)
    now = (reported if reported and reported.tzinfo else datetime.now(UTC))
    row = await handlers.accept(db, new, district=settings.common.district_code, actor=actor, now=now)
    return row.id
