import json
from pathlib import Path

import pytest

import shared.taxonomy
from shared.taxonomy import (
    FUNCTION_LEVEL,
    FUNCTIONS,
    HANDLING_LEVELS,
    Item,
    Limit,
    Taxonomy,
    UnknownCategory,
    UnknownTaxonomyVersion,
    available_versions,
    hotline_mapping,
    load_taxonomy,
)
from shared.taxonomy.build import render

EXPECTED_LEVELS = {
    "community": "community",
    **dict.fromkeys(["governance", "market", "enforcement", "services", "park_office"], "street"),
    **dict.fromkeys(
        [
            "emergency",
            "housing",
            "urban_management",
            "environment",
            "market_regulation",
            "police",
            "health",
            "civil_affairs",
            "fisheries",
            "transport",
            "water",
            "education",
            "human_resources",
            "natural_resources",
            "fire",
            "maritime",
            "center",
        ],
        "district",
    ),
}


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy()


def _by_name(taxonomy: Taxonomy, name: str) -> Item:
    (item,) = [item for item in taxonomy.items.values() if item.name == name]
    return item


def test_newest_version_is_loaded_when_no_version_is_given(taxonomy: Taxonomy) -> None:
    assert taxonomy.version == available_versions()[-1] == "2026.1"
    assert load_taxonomy("2026.1") is taxonomy


def test_unknown_version_is_refused() -> None:
    with pytest.raises(UnknownTaxonomyVersion):
        load_taxonomy("1999.9")


def test_taxonomy_has_at_least_5_modules_30_classes_and_150_items(taxonomy: Taxonomy) -> None:
    modules = taxonomy.tree()
    classes = [klass for module in modules for klass in module["classes"]]
    items = [item for klass in classes for sub in klass["subclasses"] for item in sub["items"]]
    assert len(modules) >= 5
    assert len(classes) >= 30
    assert len(items) == len(taxonomy.items) >= 150


def test_yuelu_five_modules_come_first(taxonomy: Taxonomy) -> None:
    names = [module["name"] for module in taxonomy.tree()]
    assert names[:5] == ["综治安全", "城市管理", "党建群团", "经济管理", "社会事务"]


def test_codes_are_unique_and_each_starts_with_its_parent_code(taxonomy: Taxonomy) -> None:
    seen: set[str] = set()

    def walk(nodes: list[dict[str, object]], parent: str, children: list[str]) -> None:
        for node in nodes:
            code = str(node["code"])
            assert code.isdigit() and len(code) == len(parent) + 2 and code.startswith(parent)
            assert code not in seen
            seen.add(code)
            if children:
                child_nodes = node[children[0]]
                assert child_nodes, f"{code} has no {children[0]}"
                walk(child_nodes, code, children[1:])  # type: ignore[arg-type]

    walk(taxonomy.tree(), "", ["classes", "subclasses", "items"])
    assert set(taxonomy.items) <= seen


def test_item_fields_agree_with_its_place_in_the_tree(taxonomy: Taxonomy) -> None:
    for module in taxonomy.tree():
        for klass in module["classes"]:
            for sub in klass["subclasses"]:
                for raw in sub["items"]:
                    item = taxonomy.item(raw["code"])
                    assert (item.module_code, item.module_name) == (module["code"], module["name"])
                    assert (item.class_code, item.class_name) == (klass["code"], klass["name"])
                    assert (item.subclass_code, item.subclass_name) == (sub["code"], sub["name"])
                    assert item.name == raw["name"] and len(item.code) == 8


def test_functions_are_exactly_the_agreed_units_at_their_levels() -> None:
    assert FUNCTION_LEVEL == EXPECTED_LEVELS
    assert set(FUNCTIONS) == set(EXPECTED_LEVELS)
    assert FUNCTIONS["enforcement"] == "综合执法平台"
    assert FUNCTIONS["center"] == "区社会治理中心"


def test_every_authority_names_a_known_function_at_its_own_level(taxonomy: Taxonomy) -> None:
    for item in taxonomy.items.values():
        assert item.authority, item.code
        for level, function in item.authority.items():
            assert level in HANDLING_LEVELS, item.code
            assert FUNCTION_LEVEL[function] == level, (item.code, level, function)


def test_item_level_is_the_lowest_level_in_its_authority(taxonomy: Taxonomy) -> None:
    for item in taxonomy.items.values():
        assert item.level == min(item.authority, key=HANDLING_LEVELS.index), item.code


def test_limits_are_positive_in_known_units(taxonomy: Taxonomy) -> None:
    for item in taxonomy.items.values():
        for limit in (item.sign_off, item.handling, item.verification):
            assert limit.amount > 0, item.code
            assert limit.unit in ("working_hours", "working_days", "hours"), item.code


def test_urgent_items_run_on_the_natural_clock_with_half_hour_sign_off(taxonomy: Taxonomy) -> None:
    urgent = [item for item in taxonomy.items.values() if item.priority == "urgent"]
    assert len(urgent) >= 5
    for item in urgent:
        assert item.sign_off == Limit(0.5, "hours"), item.code
        assert {item.handling.unit, item.verification.unit} == {"hours"}, item.code


def test_hotline_mapping_has_typical_categories_and_every_target_exists(taxonomy: Taxonomy) -> None:
    mapping = hotline_mapping()
    assert len(mapping) >= 40
    assert all(code in taxonomy.items for code in mapping.values())
    assert taxonomy.item(mapping["社会治安-邻里纠纷"]).name == "邻里纠纷"
    assert taxonomy.item(mapping["环境保护-噪音扰民"]).class_name == "噪声污染"


def test_street_vending_goes_to_street_enforcement_then_urban_management(taxonomy: Taxonomy) -> None:
    item = taxonomy.item(hotline_mapping()["城市管理-占道经营"])
    assert item.name == "占道经营" and item.kind == "event"
    assert item.level == "street"
    assert item.authority == {"street": "enforcement", "district": "urban_management"}
    assert item.handling == Limit(4, "working_hours")


def test_gas_leak_is_urgent_for_district_emergency_management(taxonomy: Taxonomy) -> None:
    item = taxonomy.item(hotline_mapping()["安全生产-燃气"])
    assert item.name == "燃气泄漏"
    assert (item.level, item.authority, item.priority) == ("district", {"district": "emergency"}, "urgent")
    assert item.handling == Limit(4, "hours")


def test_neighbour_dispute_starts_at_the_community(taxonomy: Taxonomy) -> None:
    item = _by_name(taxonomy, "邻里纠纷")
    assert item.authority == {"community": "community", "street": "governance", "district": "civil_affairs"}
    assert item.handling == Limit(7, "working_days")
    assert item.verification.unit == "working_days"


def test_sea_grid_items_go_to_fisheries_or_maritime(taxonomy: Taxonomy) -> None:
    sea = [item for item in taxonomy.items.values() if item.module_name == "海洋渔业"]
    assert len(sea) >= 10
    assert _by_name(taxonomy, "非法捕捞").authority == {"district": "fisheries"}
    assert _by_name(taxonomy, "船舶油污").authority == {"district": "maritime"}
    assert sum(item.authority.get("district") in ("fisheries", "maritime") for item in sea) >= len(sea) - 2


def test_city_parts_are_components_and_manholes_are_among_them(taxonomy: Taxonomy) -> None:
    manhole = _by_name(taxonomy, "污水井盖")
    assert manhole.kind == "component" and manhole.class_name == "公用设施"
    assert _by_name(taxonomy, "消防栓").authority["district"] == "fire"
    assert {item.kind for item in taxonomy.items.values()} == {"event", "component"}


def test_park_office_handles_park_matters_at_street_level(taxonomy: Taxonomy) -> None:
    item = _by_name(taxonomy, "园区企业安全隐患")
    assert item.level == "street" and item.authority["street"] == "park_office"


def test_unknown_item_code_raises_unknown_category(taxonomy: Taxonomy) -> None:
    with pytest.raises(UnknownCategory):
        taxonomy.item("99999999")
    assert issubclass(UnknownCategory, LookupError)


def test_family_is_the_class_code_of_a_known_code(taxonomy: Taxonomy) -> None:
    code = hotline_mapping()["城市管理-占道经营"]
    assert taxonomy.family(code) == code[:4] == taxonomy.item(code).class_code
    assert taxonomy.family(code[:6]) == code[:4]
    with pytest.raises(UnknownCategory):
        taxonomy.family("9999")


def test_tree_is_json_ready_with_limits_per_item(taxonomy: Taxonomy) -> None:
    tree = json.loads(json.dumps(taxonomy.tree(), ensure_ascii=False))
    item = tree[0]["classes"][0]["subclasses"][0]["items"][0]
    assert set(item) == {"code", "name", "kind", "level", "authority", "priority", "limits"}
    assert set(item["limits"]) == {"sign_off", "handling", "verification"}


def test_items_are_frozen_and_hashable(taxonomy: Taxonomy) -> None:
    item = _by_name(taxonomy, "邻里纠纷")
    assert hash(item) == hash(taxonomy.item(item.code))
    with pytest.raises(AttributeError):
        item.level = "district"  # type: ignore[misc]


def test_data_file_is_in_sync_with_its_source() -> None:
    data_file = Path(shared.taxonomy.__file__).with_name("v2026.1.json")
    assert data_file.read_text(encoding="utf-8") == render()
