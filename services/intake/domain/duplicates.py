"""Duplicate detection across channels: the same pothole from the hotline, a grid worker and Open311.

Candidates share a grid (or a neighbouring one), a category family and a time window; the score mixes
Chinese character-bigram overlap (MinHash for stored signatures), rapidfuzz, place and house numbers.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timedelta
from typing import Literal

from rapidfuzz import fuzz

Decision = Literal["merge", "suggest"]
Neighbours = Callable[[str, str], bool]
WINDOW = timedelta(days=3)
AUTO_MERGE = 0.80
SUGGEST = 0.55
NEAR_METRES = 300.0
SUGGEST_ONLY_CAP = 0.75  # below AUTO_MERGE: what may only ever be suggested
# Words every channel adds around the substance; they say nothing about which place or problem.
_BOILERPLATE = (
    "市民来电反映", "来电人反映", "市民反映", "群众反映", "网格员巡查发现", "巡查发现", "请相关部门", "相关部门",
    "尽快处理", "尽快解决", "及时处理", "处理一下", "希望", "谢谢", "麻烦", "请", "反映", "附近", "门口", "旁边",
    "一带", "存在", "发现", "该处", "此处", "现场",
)
# A house number with the two characters before it ("民路170号" ≠ "平路170号").
_HOUSE_NUMBER = re.compile(r"([^\W\d_]{0,2}\d+)\s*(?:号|幢|栋|弄|单元|室)")
_PRIME = (1 << 61) - 1


@dataclass(frozen=True)
class Report:
    """What duplicate detection needs to know of one ticket."""

    ticket_id: str
    category: str
    grid_code: str | None
    received_at: datetime
    text: str
    location: tuple[float, float] | None = None  # (lon, lat)
    channel: str = ""
    master_id: str | None = None  # set once the ticket is merged into a cluster's master


@dataclass(frozen=True)
class Match:
    ticket_id: str
    master_id: str
    confidence: float
    decision: Decision
    reasons: tuple[str, ...] = ()


def family(code: str) -> str:
    """The category family: the class code, i.e. the first 4 digits of an 8-digit item code."""
    return code[:4]


def community(jurisdiction: str) -> str | None:
    """The community a ticket is placed in (first 12 digits), or None while only a coarser division is known."""
    return jurisdiction[:12] if len(jurisdiction) >= 12 else None


def same_community(a: str, b: str) -> bool:
    """Default neighbourhood: two grids of the same community (first 12 digits)."""
    return community(a) is not None and community(a) == community(b)


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (lon, lat) points."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def near_box(point: tuple[float, float], metres: float = NEAR_METRES) -> tuple[float, float, float, float]:
    """(lon_min, lon_max, lat_min, lat_max) of a box holding every point within ``metres`` of ``point``."""
    lon, lat = point
    dlat = math.degrees(metres / 6_371_000)
    dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
    return lon - dlon, lon + dlon, lat - dlat, lat + dlat


def is_candidate(
    report: Report, other: Report, *, window: timedelta = WINDOW, neighbours: Neighbours = same_community
) -> bool:
    """Same or neighbouring grid (or close by when not geocoded), same family, within the window."""
    if report.ticket_id == other.ticket_id or family(report.category) != family(other.category):
        return False
    if abs(report.received_at - other.received_at) > window:
        return False
    if report.grid_code and other.grid_code:
        return report.grid_code == other.grid_code or neighbours(report.grid_code, other.grid_code)
    if report.location and other.location:
        return distance_m(report.location, other.location) <= NEAR_METRES
    return False


def normalise(text: str) -> str:
    """NFKC, lower case, boilerplate removed, only letters and digits kept."""
    text = unicodedata.normalize("NFKC", text).lower()
    for phrase in _BOILERPLATE:
        text = text.replace(phrase, "")
    return "".join(ch for ch in text if ch.isalnum())


def shingles(text: str, n: int = 2) -> frozenset[str]:
    """Character n-grams of the normalised text (Chinese has no spaces to split words on)."""
    norm = normalise(text)
    return frozenset(norm[i:i + n] for i in range(max(len(norm) - n + 1, 1))) if norm else frozenset()


@lru_cache(maxsize=8192)
def _prepared(text: str) -> tuple[str, frozenset[str], frozenset[str]]:
    """Normalised text, bigrams and house numbers of one report, computed once however often it is compared."""
    return normalise(text), shingles(text), frozenset(_HOUSE_NUMBER.findall(unicodedata.normalize("NFKC", text)))


def stable_hash(value: str) -> int:
    """A 64-bit hash that is the same in every process (unlike ``hash``)."""
    return int.from_bytes(hashlib.blake2b(value.encode(), digest_size=8).digest(), "big")


def _permutations(count: int) -> list[tuple[int, int]]:
    return [(stable_hash(f"a{i}") % (_PRIME - 1) + 1, stable_hash(f"b{i}") % _PRIME) for i in range(count)]


_PERMS = _permutations(64)


def signature(text: str, *, n: int = 2) -> tuple[int, ...]:
    """A 64-value MinHash signature of the text's n-grams, stable across processes (for storage)."""
    hashes = [stable_hash(s) for s in shingles(text, n)] or [0]
    return tuple(min((a * h + b) % _PRIME for h in hashes) for a, b in _PERMS)


def estimated_jaccard(a: Sequence[int], b: Sequence[int]) -> float:
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


def band_keys(sig: Sequence[int], *, bands: int = 16) -> list[str]:
    """LSH band keys: two texts sharing one key are likely similar (store them to look candidates up)."""
    rows = len(sig) // bands
    return [f"{i}:{hashlib.blake2b(repr(tuple(sig[i * rows:(i + 1) * rows])).encode(), digest_size=6).hexdigest()}"
            for i in range(bands)]


def text_similarity(a: str, b: str) -> float:
    """0–1: bigram Jaccard and overlap (terse vs verbose reports) blended with rapidfuzz's partial ratio."""
    (norm_a, sa, _), (norm_b, sb, _) = _prepared(a), _prepared(b)
    if not sa or not sb:
        return 0.0
    common = len(sa & sb)
    jaccard, overlap = common / len(sa | sb), common / min(len(sa), len(sb))
    partial = fuzz.partial_ratio(norm_a, norm_b) / 100
    return 0.3 * jaccard + 0.4 * overlap + 0.3 * partial


def _numbers(text: str) -> frozenset[str]:
    return _prepared(text)[2]


def score(report: Report, other: Report) -> tuple[float, tuple[str, ...]]:
    """Confidence 0–1 that both report the same incident, with the reasons that moved it."""
    value = text_similarity(report.text, other.text)
    reasons = [f"text {value:.2f}"]
    same_item = report.category == other.category
    adjustments = [
        (same_item, 0.08, "same item"), (not same_item, -0.15, "other item of the family"),
        (report.grid_code is not None and report.grid_code == other.grid_code, 0.04, "same grid"),
        *_place_adjustments(report, other),
    ]
    for applies, delta, reason in adjustments:
        if applies:
            value += delta
            reasons.append(reason)
    if not {"same house number", "within 60 m"} & set(reasons):  # never merge on words alone
        value = min(value, SUGGEST_ONLY_CAP)
        reasons.append("no place evidence")
    if not same_item:  # a different item may be a coarse hotline mapping: an operator decides
        value = min(value, SUGGEST_ONLY_CAP)
    return max(0.0, min(1.0, value)), tuple(reasons)


def _place_adjustments(report: Report, other: Report) -> list[tuple[bool, float, str]]:
    numbers_a, numbers_b = _numbers(report.text), _numbers(other.text)
    both_numbered = bool(numbers_a and numbers_b)
    adjustments = [
        (both_numbered and not numbers_a & numbers_b, -0.30, "different house numbers"),
        (both_numbered and bool(numbers_a & numbers_b), 0.15, "same house number"),
    ]
    if report.location and other.location:
        metres = distance_m(report.location, other.location)
        adjustments += [(metres <= 60, 0.08, "within 60 m"), (metres > 150, -0.25, "over 150 m apart")]
    return adjustments


def decide(
    report: Report, candidates: Iterable[Report], *, auto_merge: float = AUTO_MERGE, suggest: float = SUGGEST,
    window: timedelta = WINDOW, neighbours: Neighbours = same_community,
) -> list[Match]:
    """Matches of a new report against earlier ones, best first; at most one is ``merge``."""
    matches: dict[str, Match] = {}
    for other in candidates:
        if not is_candidate(report, other, window=window, neighbours=neighbours):
            continue
        confidence, reasons = score(report, other)
        if confidence < suggest:
            continue
        master = other.master_id or other.ticket_id
        if master not in matches or matches[master].confidence < confidence:
            matches[master] = Match(report.ticket_id, master, round(confidence, 3), "suggest", reasons)
    ranked = sorted(matches.values(), key=lambda m: -m.confidence)
    if ranked and ranked[0].confidence >= auto_merge:
        best = ranked[0]
        ranked[0] = Match(best.ticket_id, best.master_id, best.confidence, "merge", best.reasons)
    return ranked

