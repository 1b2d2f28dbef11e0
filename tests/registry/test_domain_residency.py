from datetime import UTC, datetime, timedelta

from services.registry.domain.coverage import coverage_alerts, coverage_report
from services.registry.domain.grids import CORE_ROLES, Grid, TeamMember, rectangle
from services.registry.domain.people import Person
from services.registry.domain.places import Building
from services.registry.domain.residency import (
    anomaly_alerts,
    anomaly_report,
    is_live,
    live_counts,
    verification_tasks,
)

NOW = datetime(2026, 11, 24, tzinfo=UTC)
GRID, OTHER = "330903002002003", "330903002002001"


def _floating(number: int, grid: str, *, expires_in_days: int) -> Person:
    return Person(f"P{number}", "王伟", "330903199001011234", "floating", grid,
                  verified_at=NOW - timedelta(days=180 - expires_in_days),
                  expires_at=NOW + timedelta(days=expires_in_days))


def _jianye_grid() -> list[Person]:
    return [_floating(i, GRID, expires_in_days=-200) for i in range(300)] + [
        _floating(1000 + i, GRID, expires_in_days=30) for i in range(5)
    ]


def test_expired_and_moved_out_records_leave_the_live_counts():
    moved = Person("P9", "李", "x", "registered", OTHER, moved_out_at=NOW - timedelta(days=1))
    registered = Person("P8", "李", "x", "registered", OTHER)
    assert not is_live(moved, now=NOW) and is_live(registered, now=NOW)
    assert live_counts([*_jianye_grid(), moved, registered], now=NOW) == {GRID: 5, OTHER: 1}


def test_each_expired_record_becomes_a_task_for_the_grid_worker():
    tasks = verification_tasks(_jianye_grid(), now=NOW, workers_by_grid={GRID: ("GW-1", "GW-2")})
    assert len(tasks) == 300
    assert {t.worker_id for t in tasks} == {"GW-1"}
    assert verification_tasks(_jianye_grid()[:1], now=NOW)[0].worker_id is None


def test_anomaly_report_flags_the_jianye_grid_and_not_a_normal_one():
    normal = [_floating(2000 + i, OTHER, expires_in_days=90) for i in range(10)]
    buildings = [Building("B1", "公寓", GRID, "rental", 24), Building("B2", "1号楼", OTHER, "residential", 80)]
    report = anomaly_report([*_jianye_grid(), *normal], buildings, now=NOW)
    assert [a.grid_code for a in report] == [GRID]
    anomaly = report[0]
    assert (anomaly.recorded, anomaly.live, anomaly.capacity) == (305, 5, 24)
    assert set(anomaly.reasons) == {"recorded_over_capacity", "mostly_unverified"}


def test_anomaly_report_flags_a_jump_against_previous_counts():
    people = [_floating(i, OTHER, expires_in_days=90) for i in range(60)]
    report = anomaly_report(people, [Building("B", "楼", OTHER, "residential", 500)], now=NOW, previous={OTHER: 10})
    assert report[0].reasons == ("count_jump",)
    small = anomaly_report(people[:15], [], now=NOW, previous={OTHER: 10})
    assert small == []


def test_anomaly_alert_is_a_residency_alert_on_the_grid():
    report = anomaly_report(_jianye_grid(), [Building("B1", "公寓", GRID, "rental", 24)], now=NOW)
    alert = anomaly_alerts(report, now=NOW)[0]
    assert (alert.kind, alert.jurisdiction, alert.evidence["live"]) == ("residency_anomaly", GRID, 5)


def _grid(code: str, *, workers=(), grid_class="C", roles=CORE_ROLES) -> Grid:
    return Grid(code, "网格", "comprehensive", grid_class, rectangle(122.1, 29.7, 122.2, 29.8), (), workers,
                tuple(TeamMember(r, "王伟") for r in roles))


def test_coverage_report_finds_vacancies_overload_and_incomplete_class_a_teams():
    grids = [
        _grid("330903001001001", workers=("GW-1",), grid_class="A", roles=CORE_ROLES[:-1]),
        _grid("330903001001002"),
        _grid("330903001002001", workers=("GW-2",)), _grid("330903001002002", workers=("GW-2",)),
        _grid("330903001002003", workers=("GW-2",)),
        _grid("330903001003001", workers=("GW-3",), grid_class="A"),
    ]
    issues = coverage_report(grids, max_grids_per_worker=2)
    assert [(i.kind, i.subject) for i in issues] == [
        ("grid_without_worker", "330903001001002"), ("class_a_team_incomplete", "330903001001001"),
        ("worker_overloaded", "GW-2"),
    ]
    assert "治安员" in issues[1].detail
    assert issues[2].jurisdiction == "330903001002"
    alerts = coverage_alerts(issues, now=NOW)
    assert {a.kind for a in alerts} == {"coverage"} and len({a.alert_id for a in alerts}) == 3
