"""People (实有人口) and organisations (单位组织), with ID checks by python-stdnum."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Literal

from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

from services.registry.domain.errors import InvalidCreditCode, InvalidIdNumber, InvalidRecord

PersonKind = Literal["registered", "floating", "foreign"]
OrganisationKind = Literal["enterprise", "social_organisation", "public_institution", "individual_business"]

PERSON_KIND_NAMES_ZH = {"registered": "户籍人口", "floating": "流动人口", "foreign": "境外人员"}
PERSON_KINDS_BY_NAME = {**{v: k for k, v in PERSON_KIND_NAMES_ZH.items()}, "户籍": "registered", "流动": "floating",
                        "境外": "foreign"}
# Zhejiang residence registration is re-checked every half year; a record not confirmed since then is stale.
FLOATING_VALIDITY = timedelta(days=180)
FOREIGN_VALIDITY = timedelta(days=90)


@dataclass(frozen=True, slots=True)
class Person:
    """Personal fields are plaintext here; the store encrypts them and every reply masks them."""

    id: str
    name: str
    id_number: str
    kind: PersonKind
    grid_code: str
    phone: str = ""
    building_id: str | None = None
    verified_at: datetime | None = None
    expires_at: datetime | None = None
    moved_out_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Organisation:
    id: str
    name: str
    credit_code: str
    kind: OrganisationKind
    grid_code: str
    address: str = ""
    legal_representative: str = ""


def check_id_number(value: str) -> str:
    """The compact 18-character resident ID, or :class:`InvalidIdNumber` naming what is wrong."""
    try:
        return str(ric.validate("".join(value.split()).replace("-", "").upper()))
    except ValidationError as error:
        reason = {"InvalidChecksum": "checksum", "InvalidLength": "length", "InvalidFormat": "format",
                  "InvalidComponent": "birth date or region"}.get(type(error).__name__, "format")
        raise InvalidIdNumber(f"resident ID number has an invalid {reason}") from None


def birth_date_of(id_number: str) -> date:
    return ric.get_birth_date(id_number)


def check_credit_code(value: str) -> str:
    try:
        return str(uscc.validate(value))
    except ValidationError:
        raise InvalidCreditCode(f"'{value}' is not a valid unified social credit code") from None


def _validity(kind: PersonKind) -> timedelta | None:
    return {"floating": FLOATING_VALIDITY, "foreign": FOREIGN_VALIDITY}.get(kind)


def check_person(person: Person, *, now: datetime) -> Person:
    """Validate the ID (resident ID for 户籍/流动, any document for 境外) and set the residency expiry."""
    if not person.name.strip():
        raise InvalidRecord("a person needs a name")
    if not (person.grid_code.isdigit() and len(person.grid_code) in (15, 18)):
        raise InvalidRecord(f"'{person.grid_code}' is not a grid code")
    if person.kind not in PERSON_KIND_NAMES_ZH:
        raise InvalidRecord(f"unknown person kind '{person.kind}'")
    if person.kind == "foreign":
        id_number = person.id_number.strip().upper()
        if not 5 <= len(id_number) <= 20 or not id_number.isalnum():
            raise InvalidIdNumber("a travel document number has 5-20 letters or digits")
    else:
        id_number = check_id_number(person.id_number)
    return verify(replace(person, id_number=id_number), now=person.verified_at or now)


def verify(person: Person, *, now: datetime) -> Person:
    """Record that a grid worker confirmed the person still lives here: expiry restarts from ``now``."""
    validity = _validity(person.kind)
    return replace(person, verified_at=now, expires_at=now + validity if validity else None)


def check_organisation(organisation: Organisation) -> Organisation:
    if not organisation.name.strip():
        raise InvalidRecord("an organisation needs a name")
    return replace(organisation, credit_code=check_credit_code(organisation.credit_code))
