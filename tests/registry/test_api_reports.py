"""Seeded registry: demo point, residency anomalies, coverage alerts and the events they publish."""

from __future__ import annotations

from sqlalchemy import select

from services.registry.domain import seed_names
from services.registry.domain.seed import DEMO_GRID, DEMO_POINT, NO_WORKER_GRID
from tests.harness import wait_for


async def _outbox(registry, ce_type: str, *, sent: bool = False) -> list[dict]:
    outbox = registry.app.state.db.outbox
    async with registry.app.state.db.engine.connect() as connection:
        rows = (await connection.execute(select(outbox).where(outbox.c.ce_type == ce_type))).mappings().all()
    return [dict(row) for row in rows if row["sent_at"] is not None or not sent]


async def test_seeded_demo_point_geocodes_to_the_demo_grid(registry):
    result = await registry.seed()
    assert result["grids"] > 250 and "330903001" in result["streets"]
    headers = await registry.key()
    lon, lat = DEMO_POINT
    found = await registry.client.get("/api/v1/geocode", params={"lon": lon, "lat": lat}, headers=headers)
    assert found.json()["grid_code"] == DEMO_GRID
    assert found.json()["chain"][1]["name"] == "沈家门街道"


async def test_seeding_twice_keeps_the_first_seed(registry):
    await registry.seed()
    assert (await registry.seed())["seeded"] is False


async def test_every_change_reaches_the_broker_through_the_outbox(registry):
    await registry.seed()
    assert len(await _outbox(registry, "cn.gridgov.grid.upserted.v1")) > 250
    sent = await wait_for(lambda: _outbox(registry, "cn.gridgov.unit.upserted.v1", sent=True), timeout=20)
    assert sent


async def test_anomaly_report_finds_the_jianye_style_grid_and_raises_an_alert(registry):
    await registry.seed()
    headers = await registry.key()
    client = registry.client
    report = (await client.get("/api/v1/residency/anomalies", headers=headers)).json()["items"]
    assert [a["grid_code"] for a in report] == [seed_names.ANOMALY_GRID]
    assert report[0]["live"] == 5 and report[0]["recorded"] > 300
    tasks = (await client.get("/api/v1/residency/tasks", params={"jurisdiction": seed_names.ANOMALY_GRID},
                              headers=headers)).json()["items"]
    assert len(tasks) == report[0]["recorded"] - 5
    checked = (await client.post("/api/v1/residency/checks", headers=headers)).json()
    assert checked["alerts"] == 1
    alerts = await _outbox(registry, "cn.gridgov.alert.raised.v1")
    assert len(alerts) == 1 and seed_names.ANOMALY_GRID.encode() in alerts[0]["payload"]


async def test_verifying_or_moving_out_changes_live_counts(registry):
    await registry.seed()
    headers = await registry.key()
    client = registry.client
    page = (await client.get("/api/v1/people", params={"jurisdiction": seed_names.ANOMALY_GRID, "limit": 500},
                             headers=headers)).json()["items"]
    stale = [p for p in page if p["needs_verification"]]
    live = [p for p in page if p["live"]]
    assert len(live) == 5 and stale
    verified = (await client.post(f"/api/v1/people/{stale[0]['id']}/verification", headers=headers)).json()
    assert verified["live"] and not verified["needs_verification"]
    moved = (await client.post(f"/api/v1/people/{live[0]['id']}/move-out", headers=headers)).json()
    assert not moved["live"]


async def test_coverage_endpoint_lists_vacancies_and_check_raises_alerts(registry):
    await registry.seed()
    headers = await registry.key()
    client = registry.client
    report = (await client.get("/api/v1/coverage", headers=headers)).json()
    issues = report["items"]
    assert report["uncovered_communities"] == []
    assert {(i["kind"], i["subject"]) for i in issues} >= {("grid_without_worker", NO_WORKER_GRID),
                                                          ("worker_overloaded", "GW-OVERLOAD")}
    street = await registry.key("330903001")
    scoped = (await client.get("/api/v1/coverage", headers=street)).json()["items"]
    assert [i["kind"] for i in scoped] == ["class_a_team_incomplete"]
    checked = (await client.post("/api/v1/coverage/checks", headers=headers)).json()
    assert checked["alerts"] == len(issues) == len(await _outbox(registry, "cn.gridgov.alert.raised.v1"))


async def test_viewer_cannot_run_checks(registry):
    viewer = await registry.key(roles=["viewer"])
    response = await registry.client.post("/api/v1/coverage/checks", headers=viewer)
    assert response.status_code == 403


async def test_synthetic_seed_builds_the_requested_number_of_grids_with_units(registry):
    from datetime import UTC, datetime

    from services.registry.seeding import seed_district

    result = await seed_district(registry.app.state.db, grids=450, now=datetime.now(UTC))
    assert result["grids"] == 450 and result["streets"] == ["330903001"]
    registry.app.state.geocoders.invalidate()
    headers = await registry.key()
    units = (await registry.client.get("/api/v1/units", params={"jurisdiction": "330903001"}, headers=headers)).json()
    assert {"330903001-enforcement", "330903001001-community"} <= {u["code"] for u in units["items"]}
    found = await registry.client.get("/api/v1/geocode", params={"lon": 122.1001, "lat": 29.7001}, headers=headers)
    assert found.json()["grid_code"] == "330903001001001"
