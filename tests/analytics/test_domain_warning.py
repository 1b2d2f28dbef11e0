"""Early warning: the Poisson spike test, repeat-complaint clusters, and precision/recall on planted spikes."""

from __future__ import annotations

import math
import random
from datetime import date

import pytest

from services.analytics.domain.evaluation import detect, generate, precision_recall
from services.analytics.domain.warning import (
    Complaint,
    SpikeParams,
    cluster_alert,
    poisson_tail,
    repeat_cluster,
    repeat_of,
    spike_alert,
    spike_test,
)

from .builders import GRID, at


def test_poisson_tail_matches_hand_values() -> None:
    assert poisson_tail(0, 3.0) == 1.0
    assert poisson_tail(1, 2.0) == pytest.approx(1 - math.exp(-2))
    assert poisson_tail(3, 0.1) == pytest.approx(1 - math.exp(-0.1) * 1.105, rel=1e-6)  # ≈ 1.547e-4
    assert poisson_tail(400, 10.0) < 1e-300 or poisson_tail(400, 10.0) == 0.0


def test_six_against_a_baseline_of_one_is_a_spike_but_five_is_not() -> None:
    history = [1] * 28
    six, five = spike_test(history, 6), spike_test(history, 5)
    assert six.spike and six.p_value == pytest.approx(5.94e-4, rel=1e-2)
    assert not five.spike and five.p_value == pytest.approx(3.66e-3, rel=1e-2)


def test_baseline_uses_only_the_rolling_window_and_a_floor() -> None:
    assert spike_test([50] * 10 + [1] * 28, 1).baseline == 1.0
    assert spike_test([], 0).baseline == SpikeParams().min_rate
    assert not spike_test([0] * 28, 2).spike  # below min_count whatever the tail


def test_spike_alert_is_stable_per_series_and_day_and_carries_evidence() -> None:
    test = spike_test([1] * 28, 7)
    alert = spike_alert(test, "330903001001", category="01010101", day=date(2026, 3, 2), now=at(3),
                        category_name="占道经营")
    assert alert.alert_id == "spike-330903001001-01010101-20260302" and alert.kind == "spike"
    assert alert.evidence["count"] == 7 and alert.evidence["baseline"] == 1.0
    assert "占道经营" in alert.title


def complaint(n: int, hours: float, *, lon: float | None = 122.3, lat: float | None = 29.95,
              category: str = "01010101", jurisdiction: str = GRID) -> Complaint:
    return Complaint(f"t{n}", at(hours), category, jurisdiction, lon, lat)


def test_repeat_needs_same_category_nearby_and_inside_the_window() -> None:
    new = complaint(9, 100)
    assert repeat_of(new, [complaint(1, 10, lat=29.9505)]) == "t1"  # ≈ 56 m away
    assert repeat_of(new, [complaint(1, 10, lat=29.952)]) is None  # ≈ 222 m away
    assert repeat_of(new, [complaint(1, 10, category="01010102")]) is None
    assert repeat_of(new, [complaint(1, 100 - 31 * 24)]) is None
    assert repeat_of(new, [complaint(1, 10), complaint(2, 50)]) == "t2"


def test_without_coordinates_only_the_same_grid_is_the_same_place() -> None:
    new = complaint(9, 5, lon=None, lat=None)
    assert repeat_of(new, [complaint(1, 1, lon=None, lat=None)]) == "t1"
    community = complaint(8, 5, lon=None, lat=None, jurisdiction=GRID[:12])
    assert repeat_of(community, [complaint(1, 1, lon=None, lat=None, jurisdiction=GRID[:12])]) is None


def test_third_repeat_in_a_week_forms_a_cluster_alert() -> None:
    earlier = [complaint(1, 0), complaint(2, 30)]
    assert repeat_cluster(complaint(3, 60), earlier[:1]) is None
    cluster = repeat_cluster(complaint(3, 60), earlier)
    assert cluster is not None and [c.ticket_id for c in cluster] == ["t1", "t2", "t3"]
    alert = cluster_alert(cluster, now=at(60))
    assert alert.alert_id == "repeat-t1" and alert.evidence["ticket_ids"] == ["t1", "t2", "t3"]
    assert repeat_cluster(complaint(3, 60 + 7 * 24), earlier) is None


def test_precision_recall_by_hand() -> None:
    score = precision_recall({1, 2, 3, 4}, {2, 3, 5})
    assert (score.true_positives, score.false_positives, score.false_negatives) == (2, 2, 1)
    assert (score.precision, score.recall) == (0.5, pytest.approx(0.6667))
    assert precision_recall(set(), set()).precision == 1.0


def test_planted_spikes_are_found_with_high_precision_and_recall() -> None:
    data = generate(random.Random(2026), series=200, days=120, spikes=60)
    score = precision_recall(detect(data.counts), data.planted)
    print(f"spike detection on planted data: {score}")
    assert score.precision >= 0.8 and score.recall >= 0.8


def test_without_planted_spikes_false_alarms_are_rare() -> None:
    data = generate(random.Random(11), series=200, days=120, spikes=0)
    false_alarms = detect(data.counts)
    assert len(false_alarms) <= 0.002 * 200 * (120 - 28)


def test_generated_spike_is_planted_on_a_day_after_warmup() -> None:
    data = generate(random.Random(3), series=5, days=40, warmup=28, spikes=4)
    assert len(data.planted) == 4 and all(28 <= day < 40 for _, day in data.planted)


def test_cluster_counts_complaints_consumed_out_of_order() -> None:
    cluster = repeat_cluster(complaint(1, 0), [complaint(2, 30), complaint(3, 60)])
    assert cluster is not None and [c.ticket_id for c in cluster] == ["t1", "t2", "t3"]
