"""The monthly assessment table, ranked within peer groups (community class A/B/C, street, district)."""

from __future__ import annotations

from services.analytics.domain.assessment import COLUMNS, assessment, group_rulers, peer_group, score, table
from services.analytics.domain.measures import measures

GOOD = {"received": 10, "accepted": 10, "dispatched": 10, "responded_on_time": 10, "closed": 10, "solved": 10,
        "closed_on_time": 10, "first_time_solved": 10, "evaluated": 4, "satisfied": 4}
HALF = {"received": 10, "accepted": 10, "dispatched": 10, "responded_on_time": 5, "closed": 10, "solved": 5,
        "closed_on_time": 5, "first_time_solved": 5, "evaluated": 4, "satisfied": 2}
CLASSES = {"330903001001": "A", "330903001002": "A", "330903001003": "B"}


def test_score_is_the_weighted_mean_of_available_rates() -> None:
    assert score(measures(GOOD)) == 100.0
    # response .5×.15 + closure 1×.20 + on-time .5×.20 + resolution .5×.15 + satisfaction .5×.20 + first-time 1×.10
    assert score(measures(HALF)) == 65.0
    # nothing closed: only response (0.15 × 1.0) and closure (0.20 × 0/2) are known → 0.15 / 0.35
    partial = {"accepted": 2, "dispatched": 1, "responded_on_time": 1}
    assert score(measures(partial)) == round(100 * 0.15 / 0.35, 2)
    assert score(measures({})) is None


def test_units_fall_into_peer_groups() -> None:
    assert peer_group("330903001001-community", community_classes=CLASSES) == "A"
    assert peer_group("330903001009-community", community_classes=CLASSES) == "community"
    assert peer_group("330903001-enforcement", community_classes=CLASSES) == "street"
    assert peer_group("330903-emergency", community_classes=CLASSES) == "district"


def test_units_are_ranked_within_their_class_only() -> None:
    by_unit = {"330903001001-community": HALF, "330903001002-community": GOOD, "330903001003-community": HALF,
               "330903001-enforcement": GOOD, "330903-emergency": {}}
    rows = assessment(by_unit, community_classes=CLASSES, unit_names={"330903001002-community": "东港社区"})
    order = [(r.unit_code, r.group, r.rank) for r in rows]
    assert order == [("330903001002-community", "A", 1), ("330903001001-community", "A", 2),
                     ("330903001003-community", "B", 1), ("330903001-enforcement", "street", 1),
                     ("330903-emergency", "district", None)]
    assert rows[0].unit_name == "东港社区"


def test_equal_scores_share_a_rank() -> None:
    rows = assessment({"330903001001-community": GOOD, "330903001002-community": GOOD}, community_classes=CLASSES)
    assert [r.rank for r in rows] == [1, 1]


def test_group_ruler_sums_counters_of_the_class() -> None:
    rulers = group_rulers({"330903001001-community": HALF, "330903001002-community": GOOD},
                          community_classes=CLASSES)
    assert rulers["A"].response_rate == 0.75 and rulers["A"].received == 20


def test_table_has_chinese_header_and_one_row_per_unit() -> None:
    rows = assessment({"330903001001-community": GOOD}, community_classes=CLASSES)
    out = table(rows)
    assert out[0][:3] == ["单位编码", "单位名称", "考核分组"] and len(out[0]) == len(COLUMNS)
    assert out[1][0] == "330903001001-community" and out[1][2] == "A类社区(重点)"
