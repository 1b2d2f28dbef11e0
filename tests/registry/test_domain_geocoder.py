import time

import numpy as np

from services.registry.domain.geocoder import Geocoder
from services.registry.domain.grids import Grid, rectangle
from services.registry.domain.synthetic import synthetic_district

NAMES = {"330903": "普陀区", "330903001": "沈家门街道", "330903001001": "滨港社区"}


def _geocoder() -> Geocoder:
    grids = [
        Grid("330903001001002", "二网格", "comprehensive", "C", rectangle(122.11, 29.70, 122.12, 29.71)),
        Grid("330903001001001", "一网格", "comprehensive", "C", rectangle(122.10, 29.70, 122.11, 29.71)),
        Grid("330903001001901", "海上网格", "sea", "B", None, ("浙普渔12345",)),
        Grid("330903001001001001", "微网格", "comprehensive", "C", rectangle(122.10, 29.70, 122.101, 29.701)),
    ]
    return Geocoder.from_grids(grids, names=NAMES)


def test_point_inside_a_grid_answers_its_code_and_full_chain():
    result = _geocoder().locate(122.105, 29.705).as_dict()
    assert result == {"inside": True, "grid_code": "330903001001001", "chain": [
        {"level": "district", "code": "330903", "name": "普陀区"},
        {"level": "street", "code": "330903001", "name": "沈家门街道"},
        {"level": "community", "code": "330903001001", "name": "滨港社区"},
        {"level": "grid", "code": "330903001001001", "name": "一网格"},
    ]}


def test_point_outside_every_grid_is_a_result_not_an_error():
    assert _geocoder().locate(121.0, 29.0).as_dict() == {"inside": False}


def test_point_on_a_shared_edge_goes_to_the_lower_code():
    assert _geocoder().locate(122.11, 29.705).grid_code == "330903001001001"


def test_batch_keeps_request_order_and_micro_grids_are_not_indexed():
    results = _geocoder().locate_many([(122.115, 29.705), (0.0, 0.0), (122.1005, 29.7005)])
    assert [r.grid_code for r in results] == ["330903001001002", None, "330903001001001"]
    assert len(_geocoder()) == 2


def test_vessel_id_finds_its_sea_grid_case_insensitively():
    geocoder = _geocoder()
    assert geocoder.locate_vessel(" 浙普渔12345 ").grid_code == "330903001001901"
    assert geocoder.locate_vessel("浙普渔12345").chain[-1]["name"] == "海上网格"
    assert not geocoder.locate_vessel("浙普渔00000").inside


def test_empty_geocoder_answers_outside():
    assert Geocoder.from_grids([], names={}).locate_many([(122.1, 29.7)])[0].inside is False


def test_codes_many_returns_none_outside():
    assert _geocoder().codes_many([122.105, 10.0], [29.705, 10.0]) == ["330903001001001", None]


def test_batch_geocoding_of_a_synthetic_district_exceeds_50000_points_per_second():
    district = synthetic_district(20_000)
    geocoder = Geocoder(
        [g.code for g in district.grids], district.shapes, names=district.names()
    )
    rng = np.random.default_rng(7)
    points = np.column_stack([rng.uniform(122.1, 122.5, 100_000), rng.uniform(29.7, 30.0, 100_000)])
    rates = []
    for _ in range(3):  # best of three: the test machine is shared
        started = time.perf_counter()
        results = geocoder.locate_many(points)
        rates.append(len(points) / (time.perf_counter() - started))
    assert sum(r.inside for r in results) > 0.99 * len(points)
    assert max(rates) > 50_000, f"{max(rates):.0f} points/s"


def test_synthetic_grid_centre_geocodes_to_that_grid():
    district = synthetic_district(1_000)
    geocoder = Geocoder.from_grids(district.grids, names=district.names())
    target = district.grids[537]
    centre = district.shapes[537].centroid
    assert geocoder.locate(centre.x, centre.y).grid_code == target.code
    assert len({g.code for g in district.grids}) == 1_000
