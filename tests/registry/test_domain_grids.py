import dataclasses
from datetime import UTC, datetime

import pytest

from services.registry.domain.errors import (
    DuplicateCode,
    InvalidGrid,
    InvalidPolygon,
    OverlappingGrids,
    UnknownParentCode,
)
from services.registry.domain.geojson_import import import_grids
from services.registry.domain.grids import Grid, TeamMember, check_grid, grid_upserted, rectangle, to_shape
from services.registry.domain.tree import Division, JurisdictionTree
from services.registry.domain.validation import check_no_overlap, find_overlaps, uncovered_communities

NOW = datetime(2026, 11, 24, tzinfo=UTC)


def _tree() -> JurisdictionTree:
    return JurisdictionTree([
        Division("330903", "普陀区", "district"), Division("330903001", "沈家门街道", "street"),
        Division("330903001001", "滨港社区", "community"), Division("330903001002", "墩头社区", "community"),
    ])


def _grid(code: str, box: tuple[float, float, float, float], **kw) -> Grid:
    kind, grid_class = kw.pop("kind", "comprehensive"), kw.pop("grid_class", "C")
    return Grid(code, f"网格{code[-3:]}", kind, grid_class, rectangle(*box), **kw)


def test_bow_tie_polygon_is_invalid_with_reason():
    ring = [[122.1, 29.7], [122.2, 29.8], [122.2, 29.7], [122.1, 29.8], [122.1, 29.7]]
    bow_tie = {"type": "Polygon", "coordinates": [ring]}
    with pytest.raises(InvalidPolygon, match="Self-intersection"):
        to_shape(bow_tie)


@pytest.mark.parametrize(
    "polygon",
    [
        {"type": "Point", "coordinates": [122.1, 29.7]},
        {"type": "Polygon", "coordinates": [[[122.1, 29.7], [122.2]]]},
        {"type": "Polygon", "coordinates": [[[3300000, 29.7], [3300001, 29.7], [3300001, 29.8], [3300000, 29.7]]]},
        {"type": "Polygon", "coordinates": []},
    ],
)
def test_non_polygons_malformed_and_projected_coordinates_are_invalid(polygon):
    with pytest.raises(InvalidPolygon):
        to_shape(polygon)


def test_grid_needs_a_known_community():
    with pytest.raises(UnknownParentCode):
        check_grid(_grid("330903001009001", (122.1, 29.7, 122.2, 29.8)), _tree())


def test_sea_grid_needs_vessels_not_a_polygon():
    with pytest.raises(InvalidGrid):
        check_grid(Grid("330903001001901", "海上网格", "sea", "B"), _tree())
    sea = Grid("330903001001901", "海上网格", "sea", "B", vessel_ids=("浙普渔12345",))
    assert check_grid(sea, _tree()) is sea


def test_area_grid_without_polygon_is_invalid():
    with pytest.raises(InvalidPolygon):
        check_grid(Grid("330903001001001", "网格", "comprehensive", "C"), _tree())


def test_overlap_inside_a_community_is_found_but_shared_edges_and_other_communities_are_not():
    grids = [
        _grid("330903001001001", (122.10, 29.70, 122.11, 29.71)),
        _grid("330903001001002", (122.11, 29.70, 122.12, 29.71)),
        _grid("330903001001003", (122.105, 29.705, 122.115, 29.715)),
        _grid("330903001002001", (122.10, 29.70, 122.11, 29.71)),
    ]
    overlaps = find_overlaps(grids)
    assert [(o.first, o.second) for o in overlaps] == [
        ("330903001001001", "330903001001003"), ("330903001001002", "330903001001003"),
    ]
    with pytest.raises(OverlappingGrids, match="330903001001001"):
        check_no_overlap(grids[2], grids[:2])


def test_grid_inside_another_counts_as_overlap():
    outer = _grid("330903001001001", (122.10, 29.70, 122.12, 29.72))
    inner = _grid("330903001001002", (122.105, 29.705, 122.11, 29.71))
    assert len(find_overlaps([outer, inner])) == 1


def test_communities_without_grids_or_with_gaps_are_uncovered():
    tree = _tree()
    grids = [_grid("330903001001001", (122.10, 29.70, 122.11, 29.71))]
    assert uncovered_communities(tree, grids) == ["330903001002"]
    boundaries = {"330903001001": rectangle(122.10, 29.70, 122.12, 29.71)}
    assert uncovered_communities(tree, grids, boundaries=boundaries) == ["330903001001", "330903001002"]
    grids.append(_grid("330903001001002", (122.11, 29.70, 122.12, 29.71)))
    assert "330903001001" not in uncovered_communities(tree, grids, boundaries=boundaries)


def _feature(code, box=None, **props):
    geometry = rectangle(*box) if box else None
    return {"type": "Feature", "geometry": geometry, "properties": {"code": code, "name": f"网格{code[-3:]}", **props}}


def test_geojson_import_keeps_good_features_and_reports_each_bad_one():
    existing = [_grid("330903001001001", (122.10, 29.70, 122.11, 29.71))]
    collection = {"type": "FeatureCollection", "features": [
        _feature("330903001001002", (122.11, 29.70, 122.12, 29.71), kind="market", **{"class": "A"}),
        _feature("330903001001001", (122.20, 29.70, 122.21, 29.71)),
        _feature("330903001009001", (122.30, 29.70, 122.31, 29.71)),
        _feature("330903001001003", (122.115, 29.70, 122.125, 29.71)),
        _feature("330903001001004", (122.13, 29.70, 122.14, 29.71), kind="castle"),
        "not a feature",
        _feature("330903001001901", None, kind="sea", vessel_ids="浙普渔00001, 浙普渔00002"),
    ]}
    report = import_grids(collection, tree=_tree(), existing=existing)
    assert [g.code for g in report.accepted] == ["330903001001002", "330903001001901"]
    assert report.accepted[0].kind == "market" and report.accepted[0].grid_class == "A"
    assert report.accepted[1].vessel_ids == ("浙普渔00001", "浙普渔00002")
    assert [(e.index, e.error) for e in report.errors] == [
        (1, DuplicateCode.__name__), (2, UnknownParentCode.__name__), (3, OverlappingGrids.__name__),
        (4, InvalidGrid.__name__), (5, "RegistryError"),
    ]
    assert all(e.reason for e in report.errors)


def test_geojson_import_rejects_a_document_that_is_not_a_collection():
    report = import_grids({"type": "Feature"}, tree=_tree())
    assert not report.accepted and report.errors[0].index == -1


def test_full_team_needs_leader_and_four_officers():
    roles = ("leader", "supervisor", "manager", "information")
    grid = _grid("330903001001001", (122.1, 29.7, 122.11, 29.71), team=tuple(TeamMember(r, "王伟") for r in roles))
    assert not grid.has_full_team()
    full = dataclasses.replace(grid, team=(*grid.team, TeamMember("security", "李强")))
    assert full.has_full_team()


def test_grid_event_carries_polygon_community_and_worker_count():
    grid = _grid("330903001001001", (122.1, 29.7, 122.11, 29.71), worker_ids=("GW-1",))
    event = grid_upserted(grid, now=NOW)
    assert (event.community_code, event.worker_count, event.polygon["type"]) == ("330903001001", 1, "Polygon")
