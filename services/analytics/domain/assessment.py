"""The monthly assessment table: one row per unit, ranked against its peers (Jianye: one ruler per class)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.analytics.domain.measures import Counter, Measures, measures, summed

# Weights of the composite score; rates missing for a unit (no denominator) are left out and the rest renormalised.
WEIGHTS: dict[str, float] = {
    "response_rate": 0.15, "closure_rate": 0.20, "on_time_rate": 0.20,
    "resolution_rate": 0.15, "satisfaction_rate": 0.20, "first_time_resolution_rate": 0.10,
}
GROUP_LABELS: dict[str, str] = {
    "A": "A类社区(重点)", "B": "B类社区(次重)", "C": "C类社区(常态)", "community": "未分类社区",
    "street": "街道平台", "district": "区级部门", "other": "其他",
}
COLUMNS: tuple[tuple[str, str], ...] = (
    ("unit_code", "单位编码"), ("unit_name", "单位名称"), ("group", "考核分组"), ("rank", "组内排名"),
    ("score", "综合得分"), ("received", "受理量"), ("response_rate", "响应率"), ("resolution_rate", "解决率"),
    ("satisfaction_rate", "满意率"), ("closure_rate", "办结率"), ("on_time_rate", "按时办结率"),
    ("local_resolution_share", "小事不出村占比"), ("first_time_resolution_rate", "一次性解决率"),
    ("repeat_rate", "重复投诉率"), ("mean_handling_hours", "平均处置时长(小时)"),
    ("p90_handling_hours", "P90处置时长(小时)"), ("overdue", "超时件数"), ("grid_reports", "网格员上报"),
    ("self_resolved", "自行处置"),
)


@dataclass(frozen=True, slots=True)
class AssessmentRow:
    unit_code: str
    unit_name: str
    group: str
    measures: Measures
    score: float | None
    rank: int | None

    def as_dict(self) -> dict[str, object]:
        head = {"unit_code": self.unit_code, "unit_name": self.unit_name, "group": self.group,
                "group_label": GROUP_LABELS.get(self.group, self.group), "rank": self.rank, "score": self.score}
        return {**head, **self.measures.as_dict()}


def score(m: Measures) -> float | None:
    """Weighted mean of the available rates, on a 0–100 scale."""
    parts = [(w, getattr(m, name)) for name, w in WEIGHTS.items() if getattr(m, name) is not None]
    weight = sum(w for w, _ in parts)
    return round(100 * sum(w * v for w, v in parts) / weight, 2) if weight else None


def peer_group(unit_code: str, *, community_classes: Mapping[str, str]) -> str:
    """Community units compare within their class A/B/C; street platforms and district departments among themselves."""
    division = unit_code.split("-", 1)[0]
    if len(division) == 12:
        return community_classes.get(division) or "community"
    return {9: "street", 6: "district"}.get(len(division), "other")


def assessment(
    by_unit: Mapping[str, Counter], *, unit_names: Mapping[str, str] | None = None,
    community_classes: Mapping[str, str] | None = None,
) -> list[AssessmentRow]:
    """Rows for every unit, ordered by peer group then rank (best score first, ties share a rank)."""
    names, classes = unit_names or {}, community_classes or {}
    rows = [
        AssessmentRow(code, names.get(code, code), peer_group(code, community_classes=classes),
                      measures(counter), score(measures(counter)), None)
        for code, counter in by_unit.items()
    ]
    return _ranked(rows)


def _ranked(rows: list[AssessmentRow]) -> list[AssessmentRow]:
    order = list(GROUP_LABELS)
    rows.sort(key=lambda r: (order.index(r.group) if r.group in order else len(order),
                             -(r.score if r.score is not None else -1), r.unit_code))
    ranked: list[AssessmentRow] = []
    for row in rows:
        peers = [r for r in ranked if r.group == row.group]
        if row.score is None:
            rank = None
        elif peers and peers[-1].score == row.score:
            rank = peers[-1].rank
        else:
            rank = len(peers) + 1
        ranked.append(AssessmentRow(row.unit_code, row.unit_name, row.group, row.measures, row.score, rank))
    return ranked


def group_rulers(by_unit: Mapping[str, Counter], *, community_classes: Mapping[str, str]) -> dict[str, Measures]:
    """The measures of each peer group as a whole: the ruler its members are compared with."""
    groups: dict[str, list[Counter]] = {}
    for code, counter in by_unit.items():
        groups.setdefault(peer_group(code, community_classes=community_classes), []).append(counter)
    return {group: measures(summed(counters)) for group, counters in groups.items()}


def table(rows: list[AssessmentRow]) -> list[list[object]]:
    """Header (Chinese) plus one list per row, in ``COLUMNS`` order, for CSV and XLSX export."""
    body = []
    for row in rows:
        record = row.as_dict()
        record["group"] = record["group_label"]
        body.append([record.get(key) for key, _ in COLUMNS])
    return [[label for _, label in COLUMNS], *body]
