"""Routes for the jurisdiction tree, grids, units and grid workers (scoped to the caller's code prefix)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from shared.events.registry import GridKind, UnitKind
from shared.problems import Forbidden, NotFound
from services.registry import store
from services.registry.deps import CallerDep, DatabaseDep, GeocodersDep
from services.registry.domain.grids import Employment, Grid, GridWorker, TeamMember, TeamRole
from services.registry.domain.tree import Division, DivisionKind
from services.registry.handlers import tree as handlers

router = APIRouter(tags=["jurisdictions"])
WRITERS = ("admin", "system")
CodeQuery = Annotated[str | None, Query(pattern=r"^\d{4,18}$", description="code prefix inside your scope")]


class DivisionCreate(BaseModel):
    code: str = Field(pattern=r"^\d{4}(\d{2}(\d{3}){0,2})?$")
    name: str = Field(min_length=1, max_length=100)
    kind: DivisionKind
    community_class: Literal["A", "B", "C"] | None = None
    boundary: dict[str, Any] | None = Field(default=None, description="GeoJSON Polygon, lon/lat")


class DivisionRead(DivisionCreate):
    level: str
    parent_code: str | None


class TeamMemberModel(BaseModel):
    role: TeamRole
    name: str = Field(min_length=1, max_length=50)
    phone: str = Field(default="", max_length=20)


class GridCreate(BaseModel):
    code: str = Field(pattern=r"^\d{15}(\d{3})?$")
    name: str = Field(min_length=1, max_length=100)
    kind: GridKind = "comprehensive"
    grid_class: Literal["A", "B", "C"] = "C"
    polygon: dict[str, Any] | None = Field(default=None, description="GeoJSON Polygon/MultiPolygon, lon/lat")
    vessel_ids: list[str] = Field(default_factory=list)
    worker_ids: list[str] = Field(default_factory=list)
    team: list[TeamMemberModel] = Field(default_factory=list)

    def domain(self) -> Grid:
        team = tuple(TeamMember(m.role, m.name, m.phone) for m in self.team)
        return Grid(self.code, self.name, self.kind, self.grid_class, self.polygon, tuple(self.vessel_ids),
                    tuple(self.worker_ids), team)


class GridRead(GridCreate):
    community_code: str
    updated_at: datetime


class GridPage(BaseModel):
    items: list[GridRead]
    next_cursor: str | None


class UnitCreate(BaseModel):
    division_code: str = Field(pattern=r"^\d{6}(\d{3}){0,2}$")
    function: str = Field(pattern=r"^[a-z_]{2,40}$", description="community, governance, enforcement, police, center …")
    name: str = Field(default="", max_length=100)
    contact: str = Field(default="", max_length=100)
    webhook_url: str | None = Field(default=None, max_length=500, pattern=r"^https?://")
    active: bool = True


class UnitRead(UnitCreate):
    code: str
    kind: UnitKind
    level: str


class WorkerCreate(BaseModel):
    id: str = Field(pattern=r"^[A-Za-z0-9\-]{2,40}$")
    name: str = Field(min_length=1, max_length=50)
    phone: str = Field(default="", max_length=20)
    employment: Employment


def _division(row: store.DivisionRow) -> DivisionRead:
    return DivisionRead(code=row.code, name=row.name, kind=row.kind, community_class=row.community_class,  # type: ignore[arg-type]
                        boundary=row.boundary, level=row.level, parent_code=row.parent_code)


def _grid(row: store.GridRow) -> GridRead:
    return GridRead.model_validate({**row.model_dump(), "team": row.team})


def _unit(row: store.UnitRow) -> UnitRead:
    return UnitRead.model_validate(row.model_dump())


@router.get("/divisions", response_model=dict[str, list[DivisionRead]])
async def list_divisions(caller: CallerDep, db: DatabaseDep, jurisdiction: CodeQuery = None,
                         level: Literal["district", "street", "community"] | None = None) -> dict[str, Any]:
    """Divisions under the caller's scope (or a narrower prefix)."""
    async with db.uow() as uow:
        rows = await store.under(uow, store.DivisionRow, column="code", prefix=caller.narrow(jurisdiction))
    return {"items": [_division(row) for row in rows if level is None or row.level == level]}


@router.get("/divisions/{code}", response_model=DivisionRead)
async def read_division(code: str, caller: CallerDep, db: DatabaseDep) -> DivisionRead:
    """One district, street/town or community/village."""
    async with db.uow() as uow:
        row = await store.get(uow, store.DivisionRow, code)
    if row is None or not caller.can_see(code):
        raise NotFound(f"division '{code}' not found")
    return _division(row)


async def _save_division(body: DivisionCreate, caller: CallerDep, *, db: DatabaseDep, geocoders: GeocodersDep,
                         create: bool) -> DivisionRead:
    caller.require_role(*WRITERS)
    caller.require_within(body.code)
    division = Division(body.code, body.name, body.kind, body.community_class)
    async with db.uow() as uow:
        row = await handlers.save_division(uow, division, now=datetime.now(UTC), create=create, boundary=body.boundary)
        await uow.commit()
    geocoders.invalidate()
    return _division(row)


@router.post("/divisions", status_code=201, response_model=DivisionRead)
async def create_division(body: DivisionCreate, caller: CallerDep, db: DatabaseDep,
                          geocoders: GeocodersDep) -> DivisionRead:
    """Add a street/town or community/village under an existing parent."""
    return await _save_division(body, caller, db=db, geocoders=geocoders, create=True)


@router.put("/divisions/{code}", response_model=DivisionRead)
async def replace_division(code: str, body: DivisionCreate, caller: CallerDep, db: DatabaseDep,
                           geocoders: GeocodersDep) -> DivisionRead:
    """Create or rename a division."""
    return await _save_division(body.model_copy(update={"code": code}), caller, db=db, geocoders=geocoders,
                                create=False)


@router.get("/tree")
async def read_tree(caller: CallerDep, db: DatabaseDep, jurisdiction: CodeQuery = None) -> dict[str, Any]:
    """The nested tree under a prefix: divisions with their grids' codes and names."""
    prefix = caller.narrow(jurisdiction)
    async with db.uow() as uow:
        divisions = await store.under(uow, store.DivisionRow, column="code", prefix=prefix)
        grids = await store.under(uow, store.GridRow, column="code", prefix=prefix)
    nodes: dict[str, dict[str, Any]] = {
        row.code: {"code": row.code, "name": row.name, "level": row.level, "children": []} for row in divisions}
    for row in grids:
        nodes[row.code] = {"code": row.code, "name": row.name, "level": "grid", "kind": row.kind, "children": []}
    roots: list[dict[str, Any]] = []
    for code, node in nodes.items():
        parent = next((code[:n] for n in (15, 12, 9, 6) if n < len(code) and code[:n] in nodes), None)
        (nodes[parent]["children"] if parent else roots).append(node)
    return {"items": roots}


@router.get("/grids", response_model=GridPage)
async def list_grids(caller: CallerDep, db: DatabaseDep, jurisdiction: CodeQuery = None,
                     kind: GridKind | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 200,
                     cursor: str | None = None) -> GridPage:
    """Grids under a prefix, by code."""
    async with db.uow() as uow:
        rows = await store.under(uow, store.GridRow, prefix=caller.narrow(jurisdiction), limit=limit + 1,
                                 after=cursor)
    items = [_grid(row) for row in rows[:limit] if kind is None or row.kind == kind]
    return GridPage(items=items, next_cursor=rows[limit - 1].code if len(rows) > limit else None)


@router.get("/grids/{code}", response_model=GridRead)
async def read_grid(code: str, caller: CallerDep, db: DatabaseDep) -> GridRead:
    """One grid with polygon, vessels, workers and team."""
    async with db.uow() as uow:
        row = await store.get(uow, store.GridRow, code)
    if row is None or not caller.can_see(code):
        raise NotFound(f"grid '{code}' not found")
    return _grid(row)


async def _save_grid(body: GridCreate, caller: CallerDep, *, db: DatabaseDep, geocoders: GeocodersDep,
                     create: bool) -> GridRead:
    caller.require_role(*WRITERS)
    caller.require_within(body.code)
    async with db.uow() as uow:
        row = await handlers.save_grid(uow, body.domain(), now=datetime.now(UTC), create=create)
        await uow.commit()
    geocoders.invalidate()
    return _grid(row)


@router.post("/grids", status_code=201, response_model=GridRead)
async def create_grid(body: GridCreate, caller: CallerDep, db: DatabaseDep, geocoders: GeocodersDep) -> GridRead:
    """Add a grid: valid polygon, known community, no overlap inside the community."""
    return await _save_grid(body, caller, db=db, geocoders=geocoders, create=True)


@router.put("/grids/{code}", response_model=GridRead)
async def replace_grid(code: str, body: GridCreate, caller: CallerDep, db: DatabaseDep,
                       geocoders: GeocodersDep) -> GridRead:
    """Create or replace a grid (polygon, class, workers, team)."""
    return await _save_grid(body.model_copy(update={"code": code}), caller, db=db, geocoders=geocoders, create=False)


@router.delete("/grids/{code}", status_code=204)
async def delete_grid(code: str, caller: CallerDep, db: DatabaseDep, geocoders: GeocodersDep) -> Response:
    """Remove a grid that has no people or places left."""
    caller.require_role(*WRITERS)
    if not caller.can_see(code):
        raise NotFound(f"grid '{code}' not found")
    async with db.uow() as uow:
        await handlers.remove_grid(uow, code, now=datetime.now(UTC))
        await uow.commit()
    geocoders.invalidate()
    return Response(status_code=204)


@router.get("/units", response_model=dict[str, list[UnitRead]])
async def list_units(caller: CallerDep, db: DatabaseDep, jurisdiction: CodeQuery = None) -> dict[str, Any]:
    """Handling units whose division lies under a prefix."""
    async with db.uow() as uow:
        rows = await store.under(uow, store.UnitRow, column="division_code", prefix=caller.narrow(jurisdiction))
    return {"items": [_unit(row) for row in rows]}


@router.get("/units/{code}", response_model=UnitRead)
async def read_unit(code: str, caller: CallerDep, db: DatabaseDep) -> UnitRead:
    """One unit with its contact and webhook."""
    async with db.uow() as uow:
        row = await store.get(uow, store.UnitRow, code)
    if row is None or not caller.can_see(row.division_code):
        raise NotFound(f"unit '{code}' not found")
    return _unit(row)


@router.post("/units", status_code=201, response_model=UnitRead)
async def save_unit(body: UnitCreate, caller: CallerDep, db: DatabaseDep) -> UnitRead:
    """Create or replace the unit ``<division>-<function>``."""
    caller.require_role(*WRITERS)
    caller.require_within(body.division_code)
    async with db.uow() as uow:
        row = await handlers.save_unit(uow, body.division_code, function=body.function, now=datetime.now(UTC),
                                       name=body.name, contact=body.contact, webhook_url=body.webhook_url,
                                       active=body.active)
        await uow.commit()
    return _unit(row)


@router.post("/workers", status_code=201, response_model=WorkerCreate)
async def save_worker(body: WorkerCreate, caller: CallerDep, db: DatabaseDep) -> WorkerCreate:
    """Create or replace a grid worker (专职/兼职); assign them through a grid's worker_ids."""
    caller.require_role(*WRITERS)
    worker = GridWorker(body.id, body.name, body.phone, body.employment, caller.scope[:6])
    async with db.uow() as uow:
        existing = await store.get(uow, store.WorkerRow, body.id)
        if existing is not None and existing.district_code != worker.district_code:
            raise Forbidden(f"worker '{body.id}' is outside your jurisdiction {caller.scope}")
        await handlers.save_worker(uow, worker)
        await uow.commit()
    return body
