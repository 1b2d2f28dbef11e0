"""A mergeable histogram of handling times with fixed log-spaced buckets.

Bucket ``i`` holds durations in minutes within ``[EDGES[i], EDGES[i + 1])``; edges grow by 2^(1/4)
(about 19 %), so a quantile read back is within one bucket (≤ 19 %) of the exact value. Histograms of
different buckets add element-wise, which is what lets p90 come from pre-aggregated counters.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence

_RATIO = 2 ** 0.25
_MAX_MINUTES = 366 * 24 * 60

EDGES: tuple[float, ...] = (0.0, *(_RATIO ** k for k in range(80) if _RATIO ** k <= _MAX_MINUTES))
BUCKETS = len(EDGES)
PREFIX = "h"


def bucket_of(minutes: float) -> int:
    """Index of the bucket holding ``minutes`` (the last bucket is open-ended)."""
    return max(0, bisect.bisect_right(EDGES, max(0.0, minutes)) - 1)


def counter_name(index: int) -> str:
    return f"{PREFIX}{index:02d}"


def counts_from(counter: Mapping[str, int]) -> list[int]:
    """The histogram stored inside a counter map (names ``h00``, ``h01`` …)."""
    return [int(counter.get(counter_name(i), 0)) for i in range(BUCKETS)]


def quantile(counts: Sequence[int], q: float) -> float | None:
    """The q-quantile in minutes (bucket upper edge, so it errs on the slow side); None when empty."""
    total = sum(counts)
    if total <= 0:
        return None
    rank = q * total
    running = 0
    for index, count in enumerate(counts):
        running += count
        if running >= rank and count > 0:
            return EDGES[index + 1] if index + 1 < BUCKETS else EDGES[index]
    return EDGES[-1]
