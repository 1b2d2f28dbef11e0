"""Routes for people (personal data masked in every reply) and places, things and organisations."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from shared import pii
from shared.problems import NotFound
from services.registry import store
from services.registry.deps import CallerDep, DatabaseDep, PiiKeysDep
from services.registry.domain.people import Organisation, OrganisationKind, Person, PersonKind
from services.registry.domain.places import Building, BuildingUse, Component, KeyPlace, KeyPlaceKind
from services.registry.domain.residency import is_expired, is_live
from services.registry.handlers import people as handlers

router = APIRouter(tags=["people and places"])
COLLECTORS = ("admin", "system", "grid_worker")
GridCode = Annotated[str, Field(pattern=r"^\d{15}(\d{3})?$")]


class PersonCreate(BaseModel):
    id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9\-]{2,40}$")
    name: str = Field(min_length=1, max_length=50)
    id_number: str = Field(min_length=5, max_length=24, description="resident ID (户籍/流动) or travel document (境外)")
    kind: PersonKind
    grid_code: GridCode
    phone: str = Field(default="", max_length=20)
    building_id: str | None = Field(default=None, max_length=60)
    verified_at: datetime | None = None

    def domain(self) -> Person:
        return Person(self.id or f"P{uuid.uuid4().hex[:12]}", self.name, self.id_number, self.kind, self.grid_code,
                      self.phone, self.building_id, self.verified_at)


class PersonRead(BaseModel):
    id: str
    kind: str
    grid_code: str
    building_id: str | None
    name: str = Field(description="masked, e.g. 张*")
    id_number: str = Field(description="masked, e.g. 330903********1234")
    phone: str = Field(description="masked, e.g. 138****5678")
    verified_at: datetime | None
    expires_at: datetime | None
    moved_out_at: datetime | None
    live: bool
    needs_verification: bool


class PersonPage(BaseModel):
    items: list[PersonRead]
    next_cursor: str | None


class BuildingCreate(BaseModel):
    kind: Literal["building"]
    id: str = Field(pattern=r"^[A-Za-z0-9\-]{2,40}$")
    name: str
    grid_code: GridCode
    use: BuildingUse
    capacity: int = Field(ge=0, description="how many people it can house")
    address: str = ""
    lon: float | None = None
    lat: float | None = None


class ComponentCreate(BaseModel):
    kind: Literal["component"]
    code: str = Field(description="16 digits: county 6 + major 2 + minor 2 + sequence 6 (CJ/T 214)")
    name: str
    grid_code: GridCode
    owner_unit: str
    lon: float
    lat: float
    status: Literal["normal", "damaged", "missing", "removed"] = "normal"


class KeyPlaceCreate(BaseModel):
    kind: Literal["key_place"]
    id: str = Field(pattern=r"^[A-Za-z0-9\-]{2,40}$")
    name: str
    place_kind: KeyPlaceKind
    grid_code: GridCode
    risk_level: Literal["high", "medium", "low"] = "medium"
    address: str = ""
    lon: float | None = None
    lat: float | None = None


class OrganisationCreate(BaseModel):
    kind: Literal["organisation"]
    id: str = Field(pattern=r"^[A-Za-z0-9\-]{2,40}$")
    name: str
    credit_code: str = Field(description="统一社会信用代码, checked with python-stdnum")
    organisation_kind: OrganisationKind = "enterprise"
    grid_code: GridCode
    address: str = ""
    legal_representative: str = ""


PlaceCreate = Annotated[BuildingCreate | ComponentCreate | KeyPlaceCreate | OrganisationCreate,
                        Field(discriminator="kind")]


class PlaceRead(BaseModel):
    id: str
    kind: str
    grid_code: str
    name: str
    data: dict[str, Any]


def _person_read(row: store.PersonRow, *, now: datetime) -> PersonRead:
    person = handlers.residency_of(row)
    return PersonRead(id=row.id, kind=row.kind, grid_code=row.grid_code, building_id=row.building_id,
                      name=row.masked.get("name", ""), id_number=row.masked.get("id_number", ""),
                      phone=row.masked.get("phone", ""), verified_at=row.verified_at, expires_at=row.expires_at,
                      moved_out_at=row.moved_out_at, live=is_live(person, now=now),
                      needs_verification=is_expired(person, now=now))


def _place_domain(body: BuildingCreate | ComponentCreate | KeyPlaceCreate | OrganisationCreate) -> handlers.Place:
    fields = body.model_dump(exclude={"kind"})
    if isinstance(body, BuildingCreate):
        return Building(**fields)
    if isinstance(body, ComponentCreate):
        return Component(**fields)
    if isinstance(body, KeyPlaceCreate):
        return KeyPlace(**{**fields, "kind": fields.pop("place_kind")})
    return Organisation(**{**fields, "kind": fields.pop("organisation_kind")})


async def _person_in_scope(db: DatabaseDep, caller: CallerDep, *, person_id: str) -> store.PersonRow:
    async with db.uow() as uow:
        row = await store.get(uow, store.PersonRow, person_id)
    if row is None or not caller.can_see(row.grid_code):
        raise NotFound(f"person '{person_id}' not found")
    return row


@router.post("/people", status_code=201, response_model=PersonRead)
async def register_person(body: PersonCreate, caller: CallerDep, db: DatabaseDep, keys: PiiKeysDep) -> PersonRead:
    """Register a resident; the ID number is checked, stored encrypted and answered masked."""
    caller.require_role(*COLLECTORS)
    caller.require_within(body.grid_code)
    now = datetime.now(UTC)
    async with db.uow() as uow:
        row = await handlers.register_person(uow, body.domain(), keys=keys, now=now)
        await uow.commit()
    return _person_read(row, now=now)


@router.get("/people", response_model=PersonPage)
async def list_people(
    caller: CallerDep, db: DatabaseDep, keys: PiiKeysDep,
    jurisdiction: Annotated[str | None, Query(pattern=r"^\d{4,18}$")] = None,
    id_number: Annotated[str | None, Query(max_length=24, description="exact match via the blind index")] = None,
    phone: Annotated[str | None, Query(max_length=20, description="exact match via the blind index")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100, cursor: str | None = None,
) -> PersonPage:
    """People under a prefix, or the one matching an ID number or phone (masked)."""
    prefix, now = caller.narrow(jurisdiction), datetime.now(UTC)
    async with db.uow() as uow:
        if id_number or phone:
            column, value = ("id_number_index", id_number) if id_number else ("phone_index", phone)
            digest = pii.blind_index(value or "", key=keys.index)
            rows = await store.persons_by_index(uow, column=column, digest=digest, prefix=prefix)
        else:
            rows = await store.under(uow, store.PersonRow, column="grid_code", prefix=prefix, limit=limit + 1,
                                     after=cursor, key="id")
    next_cursor = rows[limit - 1].id if len(rows) > limit else None
    return PersonPage(items=[_person_read(row, now=now) for row in rows[:limit]], next_cursor=next_cursor)


@router.get("/people/{person_id}", response_model=PersonRead)
async def read_person(person_id: str, caller: CallerDep, db: DatabaseDep) -> PersonRead:
    """One person, masked."""
    return _person_read(await _person_in_scope(db, caller, person_id=person_id), now=datetime.now(UTC))


@router.post("/people/{person_id}/verification", response_model=PersonRead)
async def confirm_residence(person_id: str, caller: CallerDep, db: DatabaseDep) -> PersonRead:
    """A grid worker confirmed the person still lives here; the validity restarts."""
    caller.require_role(*COLLECTORS)
    row, now = await _person_in_scope(db, caller, person_id=person_id), datetime.now(UTC)
    async with db.uow() as uow:
        row = await handlers.confirm_residence(uow, row, now=now)
        await uow.commit()
    return _person_read(row, now=now)


@router.post("/people/{person_id}/move-out", response_model=PersonRead)
async def record_move_out(person_id: str, caller: CallerDep, db: DatabaseDep) -> PersonRead:
    """The person moved away: the record leaves every count (the Jianye fix)."""
    caller.require_role(*COLLECTORS)
    row, now = await _person_in_scope(db, caller, person_id=person_id), datetime.now(UTC)
    async with db.uow() as uow:
        row = await handlers.record_move_out(uow, row, now=now)
        await uow.commit()
    return _person_read(row, now=now)


@router.post("/places", status_code=201, response_model=PlaceRead)
async def register_place(body: PlaceCreate, caller: CallerDep, db: DatabaseDep) -> PlaceRead:
    """Register a building/rental (with capacity), a component (部件), a key place or an organisation."""
    caller.require_role(*COLLECTORS)
    caller.require_within(body.grid_code)
    async with db.uow() as uow:
        row = await handlers.register_place(uow, _place_domain(body), now=datetime.now(UTC))
        await uow.commit()
    return PlaceRead.model_validate(row.model_dump())


@router.get("/places", response_model=dict[str, list[PlaceRead]])
async def list_places(caller: CallerDep, db: DatabaseDep,
                      kind: Literal["building", "component", "key_place", "organisation"],
                      jurisdiction: Annotated[str | None, Query(pattern=r"^\d{4,18}$")] = None) -> dict[str, Any]:
    """Places of one kind under a prefix."""
    async with db.uow() as uow:
        rows = await store.places_of(uow, kind=kind, prefix=caller.narrow(jurisdiction))
    return {"items": [PlaceRead.model_validate(row.model_dump()) for row in rows]}


@router.get("/places/{place_id}", response_model=PlaceRead)
async def read_place(place_id: str, caller: CallerDep, db: DatabaseDep) -> PlaceRead:
    """One place, thing or organisation."""
    async with db.uow() as uow:
        row = await store.get(uow, store.PlaceRow, place_id)
    if row is None or not caller.can_see(row.grid_code):
        raise NotFound(f"place '{place_id}' not found")
    return PlaceRead.model_validate(row.model_dump())
