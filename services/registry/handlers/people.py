"""Commands on people and places: personal data is encrypted before it reaches the session."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from shared import pii
from shared.db import UnitOfWork
from shared.events.registry import PlaceUpserted, ResidentRecordChanged
from services.registry import store
from services.registry.domain.residency import is_live
from services.registry.domain.errors import DuplicateRecord, UnknownCode
from services.registry.domain.people import Organisation, Person, check_organisation, check_person, verify
from services.registry.domain.places import (
    Building, Component, KeyPlace, check_building, check_component, check_key_place,
)

Place = Building | Component | KeyPlace | Organisation
PLACE_KINDS: dict[type[Any], str] = {
    Building: "building", Component: "component", KeyPlace: "key_place", Organisation: "organisation",
}


@dataclass(frozen=True, slots=True)
class PiiKeys:
    encryption: bytes
    index: bytes

    @classmethod
    def from_secret(cls, secret: str, pii_key_b64: str = "") -> PiiKeys:
        encryption, index = pii.keys_from_secret(secret, pii_key_b64)
        return cls(encryption, index)


def masked(person: Person) -> dict[str, str]:
    """The display form of the personal fields: 张*, 330903********1234, 138****5678."""
    return {"name": pii.mask_name(person.name), "id_number": pii.mask_id_number(person.id_number),
            "phone": pii.mask_phone(person.phone) if person.phone else ""}


def person_row(person: Person, *, keys: PiiKeys, now: datetime) -> store.PersonRow:
    """The stored form: tokens, blind indexes and masks, never the clear values."""
    return store.PersonRow(
        id=person.id, kind=person.kind, grid_code=person.grid_code, building_id=person.building_id,
        name_enc=pii.encrypt(person.name, key=keys.encryption),
        id_number_enc=pii.encrypt(person.id_number, key=keys.encryption),
        phone_enc=pii.encrypt(person.phone, key=keys.encryption) if person.phone else None,
        id_number_index=pii.blind_index(person.id_number, key=keys.index),
        phone_index=pii.blind_index(person.phone, key=keys.index) if person.phone else None,
        masked=masked(person), verified_at=person.verified_at, expires_at=person.expires_at,
        moved_out_at=person.moved_out_at, updated_at=now,
    )


def residency_of(row: store.PersonRow) -> Person:
    """The non-personal part of a row, enough for counts, tasks and anomaly reports."""
    return Person(row.id, "", "", row.kind, row.grid_code, building_id=row.building_id,  # type: ignore[arg-type]
                  verified_at=row.verified_at, expires_at=row.expires_at, moved_out_at=row.moved_out_at)


def _announce(uow: UnitOfWork, row: store.PersonRow, *, now: datetime) -> None:
    """Tell replicas (counts, analytics) that a resident record changed, without any personal data."""
    event = ResidentRecordChanged(
        occurred_at=now, jurisdiction=row.grid_code, person_id=row.id, grid_code=row.grid_code, kind=row.kind,
        live=is_live(residency_of(row), now=now), verified_at=row.verified_at, expires_at=row.expires_at,
        moved_out_at=row.moved_out_at)
    uow.publish(event, key=row.id, jurisdiction=row.grid_code)


async def _require_grid(uow: UnitOfWork, grid_code: str) -> None:
    if await store.get(uow, store.GridRow, grid_code) is None:
        raise UnknownCode(f"grid '{grid_code}' is not in the registry")


async def register_person(uow: UnitOfWork, person: Person, *, keys: PiiKeys, now: datetime) -> store.PersonRow:
    """Validate (ID checksum, residency expiry) and store one person; an ID number is registered once."""
    await store.claim_writer(uow)
    person = check_person(person, now=now)
    await _require_grid(uow, person.grid_code)
    digest = pii.blind_index(person.id_number, key=keys.index)
    if await store.persons_by_index(uow, column="id_number_index", digest=digest, prefix=""):
        raise DuplicateRecord("a person with this ID number is already registered")
    if await store.get(uow, store.PersonRow, person.id) is not None:
        raise DuplicateRecord(f"person '{person.id}' already exists")
    row = person_row(person, keys=keys, now=now)
    uow.session.add(row)
    _announce(uow, row, now=now)
    return row


async def confirm_residence(uow: UnitOfWork, row: store.PersonRow, *, now: datetime) -> store.PersonRow:
    """A grid worker confirmed the person still lives here: the record counts again until the new expiry."""
    await store.claim_writer(uow)
    person = verify(residency_of(row), now=now)
    row.verified_at, row.expires_at, row.moved_out_at, row.updated_at = person.verified_at, person.expires_at, None, now
    uow.session.add(row)
    _announce(uow, row, now=now)
    return row


async def record_move_out(uow: UnitOfWork, row: store.PersonRow, *, now: datetime) -> store.PersonRow:
    """The person left: the record stays for history but never counts again."""
    await store.claim_writer(uow)
    row.moved_out_at, row.updated_at = now, now
    uow.session.add(row)
    _announce(uow, row, now=now)
    return row


def reveal(row: store.PersonRow, *, keys: PiiKeys) -> Person:
    """Decrypt a row (for re-encryption or an authorised export; never for an API reply)."""
    base = residency_of(row)
    return replace(base, name=pii.decrypt(row.name_enc, key=keys.encryption),
                   id_number=pii.decrypt(row.id_number_enc, key=keys.encryption),
                   phone=pii.decrypt(row.phone_enc, key=keys.encryption) if row.phone_enc else "")


def _checked(place: Place) -> Place:
    if isinstance(place, Building):
        return check_building(place)
    if isinstance(place, Component):
        return check_component(place)
    if isinstance(place, KeyPlace):
        return check_key_place(place)
    return check_organisation(place)


async def register_place(uow: UnitOfWork, place: Place, *, now: datetime) -> store.PlaceRow:
    """Validate and store a building, component (by its 16-digit code), key place or organisation."""
    await store.claim_writer(uow)
    place = _checked(place)
    await _require_grid(uow, place.grid_code)
    key = place.code if isinstance(place, Component) else place.id
    if await store.get(uow, store.PlaceRow, key) is not None:
        raise DuplicateRecord(f"'{key}' is already registered")
    data = {k: v for k, v in asdict(place).items() if k not in ("id", "code", "name", "grid_code")}
    row = store.PlaceRow(id=key, kind=PLACE_KINDS[type(place)], grid_code=place.grid_code, name=place.name,
                         data=data, updated_at=now)
    uow.session.add(row)
    uow.publish(PlaceUpserted(occurred_at=now, jurisdiction=row.grid_code, place_id=row.id, kind=row.kind,
                              grid_code=row.grid_code, name=row.name), key=row.id, jurisdiction=row.grid_code)
    return row
