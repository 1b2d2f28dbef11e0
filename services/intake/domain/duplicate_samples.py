"""A generated labelled set of reports (with hard negatives), and precision/recall of duplicate detection."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.intake.domain.duplicates import AUTO_MERGE, SUGGEST, Report, decide, stable_hash

_SCENARIOS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("02020202", ("路面", "车行道", "马路"), ("有个大坑", "坑洼不平", "破损出现坑洞", "塌了一个坑")),
    ("02020201", ("人行道", "人行道地砖", "步行道"), ("地砖松动", "砖块破碎翘起", "塌陷不平")),
    ("02010103", ("雨水井盖", "井盖", "下水道井盖"), ("缺失", "丢了", "破损", "松动有响声")),
    ("02010202", ("路灯", "路灯杆", "照明灯"), ("不亮", "坏了晚上很黑", "一闪一闪")),
    ("02060101", ("垃圾", "生活垃圾", "垃圾堆"), ("堆积无人清运", "乱倒发臭", "散落一地")),
    ("02060201", ("摊贩", "流动摊点", "小商贩"), ("占道经营", "占用人行道摆摊", "在路边摆摊")),
    ("02090102", ("机动车", "车辆", "汽车"), ("乱停放堵住通道", "违停占用人行道", "长期停放")),
    ("02090103", ("共享单车", "电动车", "自行车"), ("乱停乱放", "堆满人行道", "倒了一地")),
)
_ROADS = ("人民路", "海天大道", "东河路", "新街", "和平路", "鲁家峙路", "兴港路", "渔港路")
_EXTRAS = ("", "", "影响通行", "存在安全隐患", "已经好几天了", "晚上特别危险", "老人小孩经过很不安全")
_ORIGIN = (122.30, 29.95)


@dataclass(frozen=True)
class LabelledReport:
    report: Report
    incident: str


@dataclass(frozen=True)
class Quality:
    precision: float
    recall: float
    suggest_recall: float
    reports: int
    incidents: int
    true_pairs: int
    merged_pairs: int


def _rand(seed: int, *parts: object) -> float:
    return stable_hash(f"{seed}:{':'.join(map(str, parts))}") / 2**64


def _pick(options: Sequence[str], seed: int, *parts: object) -> str:
    return options[int(_rand(seed, *parts) * len(options))]


def _place(road: int, number: int) -> tuple[str, tuple[float, float]]:
    """The grid of a house number (a road runs through one community's three grids) and its point."""
    grid = f"330903001{road % 4 + 1:03d}{number // 100 + 1:03d}"
    return grid, (_ORIGIN[0] + number * 0.00005, _ORIGIN[1] + road * 0.01)


def _text(channel: str, obj: str, problem: str, address: str, extra: str) -> str:
    if channel == "hotline":
        return f"市民来电反映：{address}附近{obj}{problem}，{extra + '，' if extra else ''}请相关部门尽快处理。"
    if channel == "grid_worker":
        return f"巡查发现{address}{obj}{problem}"
    return f"{obj}{problem.removesuffix('了')}了，在{address}" + (f"，{extra}" if extra else "")


def _incidents(seed: int, count: int, start: datetime) -> list[tuple[str, int, int, int, datetime]]:
    """(id, scenario, road, number, time); about a quarter are near siblings of an earlier incident."""
    made: list[tuple[str, int, int, int, datetime]] = []
    places: set[tuple[int, int, int]] = set()
    for i in range(count):
        if made and _rand(seed, i, "sibling") < 0.25:
            _, scenario, road, number, when = made[int(_rand(seed, i, "of") * len(made))]
            if _rand(seed, i, "same-family") < 0.4:  # another item of the family at the same address
                scenario = scenario ^ 1
            when = when + timedelta(hours=_rand(seed, i, "dt") * 24)
        else:
            scenario, road = int(_rand(seed, i, "s") * len(_SCENARIOS)), int(_rand(seed, i, "r") * len(_ROADS))
            number, when = 1 + int(_rand(seed, i, "n") * 299), start + timedelta(hours=_rand(seed, i, "t") * 720)
        while (scenario, road, number) in places:  # the same problem at the same address is the same incident
            number = number + int(8 + _rand(seed, i, number, "gap") * 60) * (1 if number < 250 else -1)
        places.add((scenario, road, number))
        made.append((f"I{i:04d}", scenario, road, number, when))
    return made


def _reports_of(seed: int, incident: tuple[str, int, int, int, datetime]) -> list[LabelledReport]:
    name, scenario, road, number, when = incident
    code, objects, problems = _SCENARIOS[scenario]
    grid, point = _place(road, number)
    roll = _rand(seed, name, "count")
    out = []
    for k in range(1 if roll < 0.55 else 2 if roll < 0.8 else 3 if roll < 0.93 else 4):
        channel = _pick(("hotline", "grid_worker", "open311", "rest"), seed, name, k, "c")
        numbered = _rand(seed, name, k, "numbered") < 0.8
        address = f"{_ROADS[road]}{number}号" if numbered else f"{_ROADS[road]}上"
        text = _text(channel, _pick(objects, seed, name, k, "o"), _pick(problems, seed, name, k, "p"), address,
                     _pick(_EXTRAS, seed, name, k, "e"))
        jitter = ((_rand(seed, name, k, "x") - 0.5) * 0.0004, (_rand(seed, name, k, "y") - 0.5) * 0.0004)
        located = channel != "hotline" or _rand(seed, name, k, "l") < 0.5
        report = Report(
            ticket_id=f"{name}-{k}", category=code, grid_code=grid, channel=channel, text=text,
            received_at=when + timedelta(hours=_rand(seed, name, k, "h") * 36),
            location=(point[0] + jitter[0], point[1] + jitter[1]) if located else None,
        )
        out.append(LabelledReport(report, name))
    return out


def labelled_set(*, seed: int = 7, incidents: int = 400, start: datetime) -> list[LabelledReport]:
    """Reports of generated incidents from several channels, with hard negatives, in arrival order."""
    samples = [r for incident in _incidents(seed, incidents, start) for r in _reports_of(seed, incident)]
    return sorted(samples, key=lambda s: s.report.received_at)


def evaluate(
    samples: Sequence[LabelledReport], *, auto_merge: float = AUTO_MERGE, suggest: float = SUGGEST
) -> Quality:
    """Replay arrivals through ``decide``; pairwise precision/recall of the clusters it builds."""
    seen: list[Report] = []
    master_of: dict[str, str] = {}
    flagged: set[frozenset[str]] = set()
    for sample in samples:
        report = sample.report
        matches = decide(report, seen, auto_merge=auto_merge, suggest=suggest)
        master = next((m.master_id for m in matches if m.decision == "merge"), report.ticket_id)
        master_of[report.ticket_id] = master
        flagged |= {frozenset((report.ticket_id, m.master_id)) for m in matches}
        seen.append(Report(**{**report.__dict__, "master_id": master if master != report.ticket_id else None}))
    return _quality(samples, master_of, flagged)


def _quality(samples: Sequence[LabelledReport], master_of: dict[str, str], flagged: set[frozenset[str]]) -> Quality:
    incident = {s.report.ticket_id: s.incident for s in samples}
    ids = list(incident)
    pairs = [(a, b) for i, a in enumerate(ids) for b in ids[i + 1:]]
    true = {(a, b) for a, b in pairs if incident[a] == incident[b]}
    merged = {(a, b) for a, b in pairs if master_of[a] == master_of[b]}
    linked = merged | {(a, b) for a, b in pairs if frozenset((master_of[a], master_of[b])) in flagged
                       or frozenset((a, master_of[b])) in flagged or frozenset((b, master_of[a])) in flagged}
    return Quality(
        precision=len(true & merged) / len(merged) if merged else 1.0,
        recall=len(true & merged) / len(true) if true else 1.0,
        suggest_recall=len(true & linked) / len(true) if true else 1.0,
        reports=len(samples), incidents=len(set(incident.values())), true_pairs=len(true), merged_pairs=len(merged),
    )
