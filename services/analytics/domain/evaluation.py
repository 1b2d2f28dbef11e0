"""Judging the early warning on generated data with planted spikes (used by tests and the bench)."""

from __future__ import annotations

import math
import random
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from services.analytics.domain.warning import DEFAULT_SPIKE_PARAMS, SpikeParams, spike_test


@dataclass(frozen=True, slots=True)
class Score:
    true_positives: int
    false_positives: int
    false_negatives: int
    precision: float
    recall: float
    f1: float


def precision_recall(predicted: Iterable[Hashable], actual: Iterable[Hashable]) -> Score:
    """Precision and recall of a set of detections; an empty prediction has precision 1 by convention."""
    found, truth = set(predicted), set(actual)
    tp, fp, fn = len(found & truth), len(found - truth), len(truth - found)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Score(tp, fp, fn, round(precision, 4), round(recall, 4), round(f1, 4))


def poisson_sample(rng: random.Random, lam: float) -> int:
    """One Poisson draw (Knuth for small λ, rounded normal approximation above 30)."""
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


@dataclass(frozen=True, slots=True)
class Synthetic:
    counts: dict[str, list[int]]
    planted: set[tuple[str, int]]


def generate(
    rng: random.Random, *, series: int = 200, days: int = 120, warmup: int = 28,
    spikes: int = 60, rates: tuple[float, float] = (0.2, 4.0), magnitude: float = 4.0,
) -> Synthetic:
    """Daily counts per series at a steady Poisson rate, with ``spikes`` days lifted to ≈ ``magnitude``×rate."""
    rate = {f"s{i:04d}": rng.uniform(*rates) for i in range(series)}
    counts = {name: [poisson_sample(rng, lam) for _ in range(days)] for name, lam in rate.items()}
    planted: set[tuple[str, int]] = set()
    while len(planted) < spikes:
        name, day = rng.choice(sorted(rate)), rng.randrange(warmup, days)
        if (name, day) in planted:
            continue
        planted.add((name, day))
        extra = max(3, round((magnitude - 1) * rate[name] + 2 * math.sqrt(rate[name])))
        counts[name][day] += extra + poisson_sample(rng, rate[name] * 0.5)
    return Synthetic(counts, planted)


def detect(
    counts: Mapping[str, Sequence[int]], *, params: SpikeParams = DEFAULT_SPIKE_PARAMS, warmup: int = 28,
) -> set[tuple[str, int]]:
    """Every (series, day) the spike test flags, each day judged on the days before it only."""
    flagged: set[tuple[str, int]] = set()
    for name, series in counts.items():
        for day in range(warmup, len(series)):
            if spike_test(series[max(0, day - params.window_days):day], series[day], params=params).spike:
                flagged.add((name, day))
    return flagged
