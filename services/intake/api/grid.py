"""Grid workers' patrol reports (信息采集), including problems fixed on the spot (自行处置)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from services.intake import handlers
from services.intake.api.tickets import TicketCreate, TicketRead, protect_reporter, ticket_read
from services.intake.deps import CallerDep, DatabaseDep, SettingsDep
from services.intake.domain.model import NewTicket

router = APIRouter(prefix="/api/v1", tags=["grid workers"])


class Photo(BaseModel):
    """Attachment metadata only: the picture itself lives in the worker app's object store."""

    url: str = Field(max_length=1000, pattern=r"^https?://")
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    taken_at: datetime | None = None


class GridReportCreate(TicketCreate):
    grid_code: str = Field(pattern=r"^\d{15}(\d{3})?$", description="the grid the worker patrols")
    self_resolved: bool = Field(default=False, description="fixed on the spot (自行处置): closed at once, still counted")
    photos: list[Photo] = Field(default_factory=list, max_length=9)


@router.post("/grid-reports", status_code=201, response_model=TicketRead)
async def create_grid_report(body: GridReportCreate, caller: CallerDep, db: DatabaseDep, settings: SettingsDep,
                             response: Response) -> TicketRead:
    """Accept a grid worker's report; a self-resolved one comes back already closed."""
    caller.require_role("grid_worker", "system")
    caller.require_within(body.grid_code)
    encrypted, masked = protect_reporter(body.reporter, settings)
    new = NewTicket(
        channel="grid_worker", category=body.category, description=body.description, severity=body.severity,
        location=body.location, grid_code=body.grid_code, address=body.address, external_id=body.external_id,
        reporter_masked=" ".join(masked.values()) if masked else None, entry_level="grid",
        self_resolved=body.self_resolved,
    )
    row = await handlers.accept(
        db, new, district=settings.common.district_code, actor=caller.key_id, now=datetime.now(UTC),
        reporter_encrypted=encrypted, reporter_masked=masked,
        attachments=[photo.model_dump(mode="json") for photo in body.photos])
    response.headers["Location"] = f"/api/v1/tickets/{row.id}"
    return ticket_read(row)
