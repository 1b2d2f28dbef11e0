from datetime import UTC, datetime, timedelta

import pytest

from services.registry.domain.errors import (
    InvalidComponentCode,
    InvalidCreditCode,
    InvalidIdNumber,
    InvalidRecord,
)
from services.registry.domain.people import (
    FLOATING_VALIDITY,
    Organisation,
    Person,
    check_id_number,
    check_organisation,
    check_person,
    verify,
)
from services.registry.domain.places import (
    Building,
    Component,
    KeyPlace,
    check_building,
    check_component,
    check_key_place,
)

NOW = datetime(2026, 11, 24, tzinfo=UTC)
GRID = "330903001001001"


def _person(**kw) -> Person:
    return Person(**{"id": "P1", "name": "张三", "id_number": "330903199001011234", "kind": "registered",
                     "grid_code": GRID, **kw})


def test_valid_resident_id_is_compacted_and_upper_cased():
    assert check_id_number("33090319900101123 4") == "330903199001011234"


@pytest.mark.parametrize(
    ("number", "reason"),
    [("330903199001011235", "checksum"), ("3309031990010112", "length"),
     ("33090319901301123X", "format|birth|checksum")],
)
def test_bad_resident_ids_name_what_is_wrong(number, reason):
    with pytest.raises(InvalidIdNumber, match=reason):
        check_id_number(number)


def test_registered_resident_never_expires_but_floating_one_does():
    assert check_person(_person(), now=NOW).expires_at is None
    floating = check_person(_person(kind="floating"), now=NOW)
    assert floating.verified_at == NOW and floating.expires_at == NOW + FLOATING_VALIDITY


def test_given_verification_date_sets_the_expiry_from_it():
    old = NOW - timedelta(days=400)
    assert check_person(_person(kind="floating", verified_at=old), now=NOW).expires_at == old + FLOATING_VALIDITY


def test_foreign_resident_uses_a_travel_document():
    person = check_person(_person(kind="foreign", id_number="e12345678"), now=NOW)
    assert person.id_number == "E12345678" and person.expires_at is not None
    with pytest.raises(InvalidIdNumber):
        check_person(_person(kind="foreign", id_number="??"), now=NOW)


def test_person_with_bad_id_or_grid_is_refused():
    with pytest.raises(InvalidIdNumber):
        check_person(_person(id_number="330903199001011235"), now=NOW)
    with pytest.raises(InvalidRecord):
        check_person(_person(grid_code="330903001"), now=NOW)


def test_verification_restarts_the_validity():
    later = NOW + timedelta(days=100)
    assert verify(check_person(_person(kind="floating"), now=NOW), now=later).expires_at == later + FLOATING_VALIDITY


def test_organisation_credit_code_is_checked():
    organisation = Organisation("O1", "普陀远洋渔业有限公司", "91330903MA2A1B3C5B", "enterprise", GRID)
    assert check_organisation(organisation).credit_code == "91330903MA2A1B3C5B"
    with pytest.raises(InvalidCreditCode):
        check_organisation(Organisation("O1", "x", "91330903MA2A1B3C5C", "enterprise", GRID))


def test_component_code_has_16_digits_in_the_district_with_a_known_class():
    good = Component("3309030110000001", "消火栓", GRID, "330903-fire", 122.1, 29.7)
    assert check_component(good).major_class == "01"
    for code in ("330903011000001", "3309020110000001", "3309039910000001"):
        with pytest.raises(InvalidComponentCode):
            check_component(Component(code, "消火栓", GRID, "330903-fire", 122.1, 29.7))


def test_buildings_and_key_places_are_checked():
    assert check_building(Building("B1", "1号楼", GRID, "rental", 30)).is_rental
    with pytest.raises(InvalidRecord):
        check_building(Building("B1", "1号楼", GRID, "rental", -1))
    with pytest.raises(InvalidRecord):
        check_key_place(KeyPlace("K1", "某地", "castle", GRID))  # type: ignore[arg-type]
