from datetime import UTC, datetime

import pytest
from stdnum.cn import ric, uscc

from services.registry.domain import seed_names
from services.registry.domain.coverage import coverage_report
from services.registry.domain.geocoder import Geocoder
from services.registry.domain.grids import check_grid, to_shape
from services.registry.domain.places import check_component
from services.registry.domain.residency import anomaly_report, live_counts
from services.registry.domain.seed import (
    DEMO_GRID,
    DEMO_POINT,
    INCOMPLETE_TEAM_GRID,
    NO_WORKER_GRID,
    putuo_district,
)
from services.registry.domain.units import DISTRICT_DEPARTMENTS, STREET_PLATFORMS
from services.registry.domain.validation import find_overlaps, uncovered_communities

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def data():
    return putuo_district(now=NOW)


def test_seed_is_deterministic(data):
    again = putuo_district(now=NOW)
    assert [g.code for g in again.grids] == [g.code for g in data.grids]
    assert [p.id_number for p in again.persons[:50]] == [p.id_number for p in data.persons[:50]]


def test_seed_has_putuo_streets_towns_and_a_few_hundred_grids_of_every_kind(data):
    tree = data.tree()
    assert tree.get("330903").name == "普陀区"
    assert tree.get("330903001").name == "沈家门街道" and tree.get("330903100").kind == "town"
    assert tree.get("330903103").name == "东极镇"
    assert 250 <= len(data.grids) <= 500
    assert {g.kind for g in data.grids} == {
        "comprehensive", "park", "market", "school", "migrant_housing", "commercial_building", "sea",
    }
    for grid in data.grids:
        check_grid(grid, tree)


def test_seed_grids_tile_each_community_without_overlap(data):
    assert find_overlaps(data.grids) == []
    assert uncovered_communities(data.tree(), data.grids, boundaries=data.boundaries) == []
    for grid in data.grids:
        if grid.polygon:
            minx, miny, maxx, maxy = to_shape(grid.polygon).bounds
            assert 122.1 <= minx and maxx <= 122.5 and 29.7 <= miny and maxy <= 30.0


def test_demo_point_lies_in_the_demo_grid(data):
    geocoder = Geocoder.from_grids(data.grids, names=data.tree().names())
    result = geocoder.locate(*DEMO_POINT)
    assert result.grid_code == DEMO_GRID == "330903001001001"
    assert [link["name"] for link in result.chain[:3]] == ["普陀区", "沈家门街道", "滨港社区"]


def test_sea_grid_vessels_geocode_to_their_grid(data):
    geocoder = Geocoder.from_grids(data.grids, names=data.tree().names())
    sea = next(g for g in data.grids if g.kind == "sea")
    assert geocoder.locate_vessel(sea.vessel_ids[0]).grid_code == sea.code


def test_every_level_has_every_unit_function(data):
    codes = {u.code for u in data.units}
    assert {f"330903-{f}" for f in [*DISTRICT_DEPARTMENTS, "center"]} <= codes
    streets = [d.code for d in data.divisions if d.level == "street"]
    assert {f"{s}-{f}" for s in streets for f in STREET_PLATFORMS} <= codes
    communities = [d.code for d in data.divisions if d.level == "community"]
    assert {f"{c}-community" for c in communities} <= codes
    assert "330903100-park_office" in codes
    assert all(u.contact for u in data.units)


def test_seeded_identifiers_are_valid(data):
    assert all(ric.is_valid(p.id_number) for p in data.persons if p.kind != "foreign")
    assert all(uscc.is_valid(o.credit_code) for o in data.organisations)
    for component in data.components:
        check_component(component)
    assert len({p.id for p in data.persons}) == len(data.persons)


def test_anomaly_report_finds_exactly_the_jianye_style_grid(data):
    report = anomaly_report(data.persons, data.buildings, now=NOW)
    assert [a.grid_code for a in report] == [seed_names.ANOMALY_GRID]
    assert report[0].recorded > 300 and report[0].live == 5
    assert live_counts(data.persons, now=NOW)[seed_names.ANOMALY_GRID] == 5


def test_coverage_report_finds_the_planted_vacancies(data):
    issues = {(i.kind, i.subject) for i in coverage_report(data.grids)}
    assert issues == {
        ("grid_without_worker", NO_WORKER_GRID), ("class_a_team_incomplete", INCOMPLETE_TEAM_GRID),
        ("worker_overloaded", "GW-OVERLOAD"),
    }
