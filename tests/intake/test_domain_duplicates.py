from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.intake.domain import duplicate_samples as samples
from services.intake.domain import duplicates as dup

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone(timedelta(hours=8)))
GRID = "330903001001001"


def report(ticket_id: str, text: str, **changes: object) -> dup.Report:
    fields: dict[str, object] = {"ticket_id": ticket_id, "category": "02020202", "grid_code": GRID, "received_at": NOW,
                                     "text": text, "location": (122.3, 29.95)}
    fields.update(changes)
    return dup.Report(**fields)  # type: ignore[arg-type]


HOTLINE = report("h", "市民来电反映：人民路128号附近马路有个大坑，晚上特别危险，请相关部门尽快处理。", channel="hotline",
                 location=None)
WORKER = report("w", "巡查发现人民路128号车行道有个大坑", channel="grid_worker",
                received_at=NOW + timedelta(hours=2))
OPEN311 = report("o", "马路有个大坑了，在人民路128号，影响通行", channel="open311", location=(122.30005, 29.95002),
                 received_at=NOW + timedelta(hours=5))


def test_the_same_pothole_from_three_channels_becomes_one_cluster() -> None:
    [first] = dup.decide(WORKER, [HOTLINE])
    assert (first.master_id, first.decision) == ("h", "merge")
    merged_worker = report("w", WORKER.text, received_at=WORKER.received_at, master_id="h")
    [second] = dup.decide(OPEN311, [HOTLINE, merged_worker])
    assert (second.master_id, second.decision) == ("h", "merge") and second.confidence >= dup.AUTO_MERGE


@pytest.mark.parametrize(("other", "why"), [
    (report("x", WORKER.text, category="03010101"), "other family"),
    (report("x", WORKER.text, received_at=NOW + timedelta(days=4)), "outside the window"),
    (report("x", WORKER.text, grid_code="330903001002001"), "other community"),
    (report("x", WORKER.text, grid_code=None, location=(122.31, 29.95)), "not geocoded and far"),
])
def test_reports_outside_the_candidate_rules_are_not_compared(other: dup.Report, why: str) -> None:
    assert not dup.is_candidate(WORKER, other), why
    assert dup.decide(WORKER, [other]) == []


def test_neighbouring_grid_of_the_same_community_is_a_candidate() -> None:
    assert dup.is_candidate(WORKER, report("x", "y", grid_code="330903001001002"))


def test_custom_neighbour_function_widens_the_search() -> None:
    far = report("x", WORKER.text, grid_code="330903001002001")
    assert dup.is_candidate(WORKER, far, neighbours=lambda a, b: True)


def test_different_house_numbers_are_not_merged() -> None:
    other = report("x", "巡查发现人民路176号车行道有个大坑", location=(122.3024, 29.95))
    assert all(m.decision != "merge" for m in dup.decide(WORKER, [other]))


def test_another_item_of_the_family_at_the_same_address_is_only_suggested() -> None:
    other = report("x", "巡查发现人民路128号人行道地砖松动", category="02020201")
    matches = dup.decide(WORKER, [other], suggest=0.3)
    assert matches and all(m.decision == "suggest" for m in matches)


def test_words_alone_without_place_evidence_are_only_a_suggestion() -> None:
    a = report("a", "巡查发现人民路上车行道有个大坑", location=None)
    b = report("b", "车行道有个大坑了，在人民路上", location=None)
    [match] = dup.decide(a, [b])
    assert match.decision == "suggest" and "no place evidence" in match.reasons


def test_only_the_best_match_is_merged_and_each_cluster_appears_once() -> None:
    weak = report("z", "人民路128号路面有点不平", received_at=NOW + timedelta(hours=1))
    clustered = report("w2", WORKER.text, master_id="h")
    matches = dup.decide(OPEN311, [HOTLINE, clustered, weak], suggest=0.2)
    assert [m.decision for m in matches].count("merge") == 1
    assert len({m.master_id for m in matches}) == len(matches)
    assert matches == sorted(matches, key=lambda m: -m.confidence)


def test_text_similarity_ignores_channel_boilerplate_and_punctuation() -> None:
    assert dup.text_similarity("市民来电反映：人民路128号井盖缺失，请相关部门尽快处理。", "人民路128号 井盖缺失") > 0.95
    assert dup.text_similarity("人民路128号井盖缺失", "和平路路灯不亮") < 0.2
    assert dup.text_similarity("", "井盖") == 0.0


def test_minhash_estimates_jaccard_and_is_stable() -> None:
    a, b = "人民路128号附近马路有个大坑晚上特别危险", "人民路128号马路有个大坑影响通行"
    exact = len(dup.shingles(a) & dup.shingles(b)) / len(dup.shingles(a) | dup.shingles(b))
    assert abs(dup.estimated_jaccard(dup.signature(a), dup.signature(b)) - exact) < 0.2
    assert dup.signature(a) == dup.signature(a) and len(dup.signature(a)) == 64
    assert set(dup.band_keys(dup.signature(a))) & set(dup.band_keys(dup.signature(a + "。")))


def test_family_is_the_class_code() -> None:
    assert dup.family("02020202") == "0202"


def test_labelled_set_is_deterministic_and_labelled() -> None:
    first = samples.labelled_set(seed=3, incidents=50, start=NOW)
    assert first == samples.labelled_set(seed=3, incidents=50, start=NOW)
    assert len({s.incident for s in first}) == 50 and len(first) > 50
    assert {s.report.channel for s in first} == {"hotline", "grid_worker", "open311", "rest"}


def test_measured_precision_and_recall_on_the_generated_set() -> None:
    quality = samples.evaluate(samples.labelled_set(seed=7, incidents=400, start=NOW))
    assert quality.precision >= 0.9
    assert quality.recall >= 0.4
    assert quality.suggest_recall >= 0.75


def test_evaluate_counts_a_wrong_merge_against_precision() -> None:
    labelled = [samples.LabelledReport(report("a", "人民路128号井盖缺失"), "A"),
               samples.LabelledReport(report("b", "人民路128号井盖缺失", received_at=NOW + timedelta(hours=1)), "B")]
    quality = samples.evaluate(labelled)
    assert (quality.precision, quality.merged_pairs, quality.true_pairs) == (0.0, 1, 0)


@given(lon=st.floats(73.0, 135.0), lat=st.floats(3.0, 53.5), bearing=st.floats(0.0, 2 * math.pi),
       metres=st.floats(0.0, dup.NEAR_METRES))
@settings(max_examples=300, deadline=None)
def test_near_box_holds_every_point_within_near_metres(lon: float, lat: float, bearing: float, metres: float) -> None:
    # a point `metres` away along `bearing` (small-distance approximation, then checked with the real distance)
    dlat = math.degrees(metres * math.cos(bearing) / 6_371_000)
    dlon = math.degrees(metres * math.sin(bearing) / 6_371_000) / math.cos(math.radians(lat))
    other = (lon + dlon, lat + dlat)
    lon_min, lon_max, lat_min, lat_max = dup.near_box((lon, lat))
    if dup.distance_m((lon, lat), other) <= dup.NEAR_METRES:
        assert lon_min <= other[0] <= lon_max and lat_min <= other[1] <= lat_max


def test_near_box_is_not_much_larger_than_the_circle() -> None:
    lon_min, lon_max, lat_min, lat_max = dup.near_box((122.3, 29.95))
    assert dup.distance_m((lon_min, 29.95), (lon_max, 29.95)) == pytest.approx(2 * dup.NEAR_METRES, rel=0.01)
    assert dup.distance_m((122.3, lat_min), (122.3, lat_max)) == pytest.approx(2 * dup.NEAR_METRES, rel=0.01)
