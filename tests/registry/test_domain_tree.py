from datetime import UTC, datetime

import pytest

from services.registry.domain.errors import DuplicateCode, InvalidDivisionCode, UnknownParentCode
from services.registry.domain.tree import Division, JurisdictionTree, chain, division_upserted
from services.registry.domain.units import make_unit, standard_units, unit_upserted

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def _tree() -> JurisdictionTree:
    return JurisdictionTree([
        Division("330903", "普陀区", "district"),
        Division("330903001", "沈家门街道", "street"),
        Division("330903100", "六横镇", "town"),
        Division("330903001001", "滨港社区", "community", "A"),
        Division("330903100201", "双塘村", "village", "C"),
    ])


def test_tree_accepts_divisions_in_any_order_and_lists_children():
    tree = JurisdictionTree(reversed(list(_tree())))
    assert [d.code for d in tree.children("330903")] == ["330903001", "330903100"]
    assert [d.code for d in tree.under("330903001", level="community")] == ["330903001001"]


def test_child_of_unknown_parent_is_refused():
    with pytest.raises(UnknownParentCode):
        _tree().add(Division("330903002001", "东港社区", "community"))


def test_duplicate_code_is_refused_but_put_replaces():
    tree = _tree()
    with pytest.raises(DuplicateCode):
        tree.add(Division("330903001", "沈家门街道", "street"))
    tree.put(Division("330903001", "沈家门街道（新）", "street"))
    assert tree.get("330903001").name == "沈家门街道（新）"


@pytest.mark.parametrize(
    "division",
    [
        Division("33090300", "bad", "street"),
        Division("330903002", "东港街道", "community"),
        Division("330903001002", "", "community"),
        Division("330903002", "东港街道", "street", "A"),
        Division("330903001001001", "网格", "community"),
    ],
)
def test_malformed_divisions_are_refused(division):
    with pytest.raises(InvalidDivisionCode):
        _tree().add(division)


def test_chain_runs_from_district_to_grid_with_names():
    names = _tree().names() | {"330903001001001": "滨港社区第1网格"}
    assert chain("330903001001001", names) == [
        {"level": "district", "code": "330903", "name": "普陀区"},
        {"level": "street", "code": "330903001", "name": "沈家门街道"},
        {"level": "community", "code": "330903001001", "name": "滨港社区"},
        {"level": "grid", "code": "330903001001001", "name": "滨港社区第1网格"},
    ]


def test_division_event_carries_level_parent_and_class():
    event = division_upserted(_tree().get("330903001001"), now=NOW)
    assert (event.level, event.parent_code, event.community_class, event.jurisdiction) == (
        "community", "330903001", "A", "330903001001"
    )


def test_unit_codes_names_and_kinds_follow_the_convention():
    tree = _tree()
    platform = make_unit(tree, "330903001", function="enforcement")
    assert (platform.code, platform.name, platform.kind, platform.level) == (
        "330903001-enforcement", "沈家门街道综合执法平台", "street_platform", "street"
    )
    assert make_unit(tree, "330903100201", function="community").name == "双塘村村两委"
    assert make_unit(tree, "330903001001", function="community").name == "滨港社区社区两委"
    center = make_unit(tree, "330903", function="center")
    assert (center.name, center.kind) == ("普陀区社会治理中心", "district_center")
    park = make_unit(tree, "330903100", function="park_office")
    assert (park.code, park.kind) == ("330903100-park_office", "park_office")


def test_unit_with_function_foreign_to_its_level_is_refused():
    with pytest.raises(InvalidDivisionCode):
        make_unit(_tree(), "330903001", function="police")
    with pytest.raises(UnknownParentCode):
        make_unit(_tree(), "330903009", function="market")


def test_standard_units_cover_every_function_of_a_level():
    tree = _tree()
    district = {u.function for u in standard_units(tree, tree.get("330903"))}
    assert {"center", "emergency", "urban_management", "fisheries", "maritime"} <= district
    street = {u.function for u in standard_units(tree, tree.get("330903001"))}
    assert street == {"governance", "market", "enforcement", "services"}


def test_unit_event_is_scoped_to_its_division():
    event = unit_upserted(make_unit(_tree(), "330903001", function="market"), now=NOW)
    assert (event.jurisdiction, event.code, event.function) == ("330903001", "330903001-market", "market")
