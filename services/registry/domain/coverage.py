"""Coverage and vacancy: grids without a worker, overloaded workers, class-A grids without a full 1+4+X team."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from services.registry.domain.grids import CORE_ROLES, ROLE_NAMES_ZH, Grid
from shared.events.alert import AlertRaised

IssueKind = Literal["grid_without_worker", "worker_overloaded", "class_a_team_incomplete"]
MAX_GRIDS_PER_WORKER = 2
_TITLES = {
    "grid_without_worker": "网格 {subject} 无网格员",
    "worker_overloaded": "网格员 {subject} 负责网格过多",
    "class_a_team_incomplete": "A类网格 {subject} 1+4+X 团队不完整",
}


@dataclass(frozen=True, slots=True)
class CoverageIssue:
    kind: IssueKind
    subject: str
    jurisdiction: str
    detail: str


def _worker_issues(grids: list[Grid], *, max_grids: int) -> list[CoverageIssue]:
    by_worker: defaultdict[str, list[str]] = defaultdict(list)
    for grid in grids:
        for worker in grid.worker_ids:
            by_worker[worker].append(grid.code)
    issues = []
    for worker, codes in sorted(by_worker.items()):
        if len(codes) > max_grids:
            prefix = _common_prefix(codes)
            issues.append(CoverageIssue("worker_overloaded", worker, prefix, f"{len(codes)} grids: {', '.join(codes)}"))
    return issues


def _common_prefix(codes: list[str]) -> str:
    for length in (15, 12, 9, 6):
        if len({code[:length] for code in codes}) == 1:
            return codes[0][:length]
    return codes[0][:6]


def coverage_report(grids: Iterable[Grid], *, max_grids_per_worker: int = MAX_GRIDS_PER_WORKER) -> list[CoverageIssue]:
    """Every vacancy, grid first, then workers; micro-grids are left to their grid's team."""
    grids = sorted((g for g in grids if len(g.code) == 15), key=lambda g: g.code)
    issues = [CoverageIssue("grid_without_worker", g.code, g.code, "no grid worker") for g in grids if not g.worker_ids]
    for grid in grids:
        missing = [ROLE_NAMES_ZH[r] for r in CORE_ROLES if r not in {m.role for m in grid.team}]
        if grid.grid_class == "A" and missing:
            issues.append(CoverageIssue("class_a_team_incomplete", grid.code, grid.code, "缺少: " + "、".join(missing)))
    return issues + _worker_issues(grids, max_grids=max_grids_per_worker)


def coverage_alerts(issues: Iterable[CoverageIssue], *, now: datetime) -> list[AlertRaised]:
    return [
        AlertRaised(
            alert_id=f"coverage-{issue.kind}-{issue.subject}-{now:%Y%m%d}", occurred_at=now,
            jurisdiction=issue.jurisdiction, kind="coverage", title=_TITLES[issue.kind].format(subject=issue.subject),
            evidence={"issue": issue.kind, "subject": issue.subject, "detail": issue.detail},
        )
        for issue in issues
    ]
