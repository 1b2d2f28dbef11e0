"""Analytics's HTTP API and dashboard against the real store and broker."""

from __future__ import annotations

import csv
import io

import openpyxl
import orjson

from services.analytics.app import create_app
from shared.events.registry import DivisionUpserted, GridUpserted
from tests.builders import issue_key, issue_operator
from tests.harness import running_service, wait_for

from .builders import COMMUNITY_UNIT, GRID, at, life, received
from .test_handlers import publish, settings_for

MARCH = {"since": "2026-03-01", "until": "2026-03-31"}


async def _summary(client, key: str, **params: str) -> dict:
    response = await client.get("/api/v1/metrics/summary", params={**MARCH, **params}, headers={"X-API-Key": key})
    assert response.status_code == 200, response.text
    return response.json()


async def test_summary_answers_rates_for_a_prefix_and_breaks_down_by_unit(database, common):
    target = database("analytics")
    async with running_service(create_app, settings_for(common, target), target) as (app, client):
        key = await issue_key(app.state.db, scope="330903001", roles=["viewer"])
        await publish(app, [*life("330903-20260302-000001"), *life("330903-20260302-000002", rating="不满意")])
        await wait_for(lambda: _evaluated(client, key, 2))
        data = await _summary(client, key, jurisdiction="330903001001", by="unit", period="week")
        total = data["total"]
        assert total["received"] == 2 and total["closure_rate"] == 1.0 and total["satisfaction_rate"] == 0.5
        assert total["mean_handling_hours"] == 10.0
        assert [row["value"] for row in data["by"]["rows"]] == [COMMUNITY_UNIT]
        assert data["series"][0]["start"] == "2026-03-02" and data["series"][0]["received"] == 2


async def _evaluated(client, key: str, n: int) -> bool:
    total = (await _summary(client, key))["total"]
    return total["received"] == n and total["closure_rate"] == 1.0 and total["satisfaction_rate"] == 0.5


async def test_other_street_is_forbidden_and_own_scope_sees_nothing_of_it(database, common):
    target = database("analytics")
    async with running_service(create_app, settings_for(common, target), target) as (app, client):
        district = await issue_key(app.state.db, scope="330903", roles=["viewer"])
        other = await issue_key(app.state.db, scope="330903002", roles=["viewer"])
        await publish(app, [received()])
        await wait_for(lambda: _received(client, district, 1))
        forbidden = await client.get("/api/v1/metrics/summary", params={"jurisdiction": "330903001"},
                                     headers={"X-API-Key": other})
        assert forbidden.status_code == 403
        assert (await _summary(client, other))["total"]["received"] == 0
        assert (await client.get("/api/v1/metrics/summary")).status_code == 401


async def _received(client, key: str, n: int) -> bool:
    return (await _summary(client, key))["total"]["received"] == n


async def test_assessment_exports_json_csv_and_xlsx(database, common):
    target = database("analytics")
    async with running_service(create_app, settings_for(common, target), target) as (app, client):
        key = await issue_key(app.state.db, scope="330903", roles=["viewer"])
        await publish(app, life())
        headers, params = {"X-API-Key": key}, {"month": "2026-03"}
        await wait_for(lambda: _assessed(client, key))
        rows = (await client.get("/api/v1/assessment", params=params, headers=headers)).json()["rows"]
        assert rows[0]["unit_code"] == COMMUNITY_UNIT and rows[0]["score"] == 100.0 and rows[0]["rank"] == 1
        text = (await client.get("/api/v1/assessment", params={**params, "format": "csv"}, headers=headers)).content
        table = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
        assert table[0][0] == "单位编码" and table[1][0] == COMMUNITY_UNIT
        xlsx = await client.get("/api/v1/assessment", params={**params, "format": "xlsx"}, headers=headers)
        sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
        assert sheet is not None and sheet["A2"].value == COMMUNITY_UNIT


async def _assessed(client, key: str) -> bool:
    response = await client.get("/api/v1/assessment", params={"month": "2026-03"}, headers={"X-API-Key": key})
    rows = response.json()["rows"]
    return bool(rows) and rows[0]["satisfaction_rate"] == 1.0


async def test_stream_sends_scoped_events_and_resumes_after_last_event_id(database, common):
    target = database("analytics")
    async with running_service(create_app, settings_for(common, target), target) as (app, client):
        key = await issue_key(app.state.db, scope="330903001", roles=["viewer"])
        other_street = received("330903-20260302-000009", jurisdiction="330903002001001", grid_code="330903002001001")
        await publish(app, [*life()[:3], other_street], key="one")
        hub = app.state.hub
        await wait_for(lambda: hub.ring.last_seq == 4)
        first = await _frames(client, key, limit=2)
        assert [f["data"]["type"] for f in first] == ["received", "routed"]
        resumed = await _frames(client, key, limit=1, last_event_id=first[-1]["id"])
        assert resumed[0]["data"]["type"] == "signed" and resumed[0]["data"]["label"] == "签收"
        assert all(f["data"]["jurisdiction"].startswith("330903001") for f in first + resumed)


async def _frames(client, key: str, *, limit: int, last_event_id: str | None = None) -> list[dict]:
    headers = {"X-API-Key": key, **({"Last-Event-ID": last_event_id} if last_event_id else {})}
    response = await client.get("/api/v1/stream", params={"limit": limit, "backlog": 10, "heartbeat": 1},
                                headers=headers)
    assert response.headers["content-type"].startswith("text/event-stream")
    frames = []
    for block in response.text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":") and ": " in line)
        if "data" in fields:
            frames.append({"id": fields["id"], "event": fields["event"], "data": orjson.loads(fields["data"])})
    return frames


async def test_dashboard_needs_a_session_and_login_sets_it(database, common):
    target = database("analytics")
    async with running_service(create_app, settings_for(common, target), target) as (app, client):
        await issue_operator(app.state.db, username="op1", password="s3cret-pass", scope="330903001", roles=["viewer"])
        assert (await client.get("/")).headers["location"] == "/login"
        assert "用户名" in (await client.get("/login")).text
        bad = await client.post("/login", data={"username": "op1", "password": "wrong"})
        assert bad.status_code == 401 and "用户名或密码错误" in bad.text
        good = await client.post("/login", data={"username": "op1", "password": "s3cret-pass"})
        assert good.status_code == 303 and "gridgov_session" in good.cookies
        client.cookies.set("gridgov_session", good.cookies["gridgov_session"])
        page = await client.get("/assessment")
        assert page.status_code == 200 and 'data-page="assessment"' in page.text and "考核" in page.text
        me = (await client.get("/api/v1/me")).json()
        assert me["scope"] == "330903001"
        echarts = await client.get("/static/vendor/echarts.min.js")
        assert echarts.status_code == 200 and len(echarts.content) > 100_000


SQUARE = {"type": "Polygon", "coordinates": [[[122.30, 29.95], [122.31, 29.95], [122.31, 29.96], [122.30, 29.96],
                                              [122.30, 29.95]]]}


async def test_map_picker_and_alerts_follow_the_registry_replica_and_scope(database, common):
    target = database("analytics")
    async with running_service(create_app, settings_for(common, target), target) as (app, client):
        street = await issue_key(app.state.db, scope="330903001", roles=["viewer"])
        other = await issue_key(app.state.db, scope="330903002", roles=["viewer"])
        await publish(app, [
            DivisionUpserted(occurred_at=at(0), jurisdiction=GRID[:9], code=GRID[:9], name="沈家门街道", level="street",
                             parent_code="330903"),
            GridUpserted(occurred_at=at(0), jurisdiction=GRID, code=GRID, name="东港一网格", kind="comprehensive",
                         grid_class="A", community_code=GRID[:12], polygon=SQUARE),
        ], key="registry")
        await publish(app, [received(f"330903-20260302-00000{n}", hours=n) for n in range(1, 4)], key="one")
        headers = {"X-API-Key": street}
        await wait_for(lambda: _alerts(client, street, 3))
        # The replica and the counters are fed by two consumers: wait for the grid as well.
        geo = await wait_for(lambda: _map_with_features(client, headers))
        assert geo["features"][0]["properties"] == {"code": GRID, "name": "东港一网格", "grid_class": "A", "count": 3}
        picker = (await client.get("/api/v1/jurisdictions", headers=headers)).json()["items"]
        assert [d["code"] for d in picker] == [GRID[:9]] and picker[0]["name"] == "沈家门街道"
        assert await _alerts(client, other, 0)
        spikes = await client.get("/api/v1/alerts", params={"kind": "spike"}, headers=headers)
        assert {a["jurisdiction"] for a in spikes.json()["items"]} == {GRID, GRID[:12]}


async def _map_with_features(client, headers: dict[str, str]) -> dict | None:
    geo = (await client.get("/api/v1/map", params=MARCH, headers=headers)).json()
    return geo if geo["features"] else None


async def _alerts(client, key: str, n: int) -> bool:
    response = await client.get("/api/v1/alerts", headers={"X-API-Key": key})
    return response.status_code == 200 and len(response.json()["items"]) == n


async def test_a_range_too_long_or_backwards_is_422_on_the_summary_and_the_map(database, common):
    """A century would be summed over thousands of buckets (SQLite refused the query: a 500 found by schemathesis)."""
    target = database("analytics")
    async with running_service(create_app, settings_for(common, target), target) as (app, client):
        headers = {"X-API-Key": await issue_key(app.state.db, scope="330903", roles=["viewer"])}
        for path in ("/api/v1/metrics/summary", "/api/v1/map"):
            for params in ({"since": "0097-05-23"}, {"since": "2026-03-31", "until": "2026-03-01"}):
                response = await client.get(path, params=params, headers=headers)
                assert response.status_code == 422, (path, params, response.text)
                assert response.headers["content-type"].startswith("application/problem+json")
                assert "three years" in response.json()["detail"]
            assert (await client.get(path, params=MARCH, headers=headers)).status_code == 200


async def test_week_and_quarter_series_are_the_sums_of_their_days_and_months(database, common):
    """Only day and month buckets are stored: a series by week sums its days (weeks start on Monday), by quarter
    its months, and the totals of any range agree with the series."""
    target = database("analytics")
    # Receipt offsets in days from Monday 2026-03-02: two that week, one on Sunday 03-08, one the next Monday,
    # one in April (second quarter) and one in late February (the week of 02-23, the first quarter).
    offsets = [0, 2, 6, 7, 30, -5]
    async with running_service(create_app, settings_for(common, target), target) as (app, client):
        key = await issue_key(app.state.db, scope="330903", roles=["viewer"])
        await publish(app, [received(f"330903-20260302-{i:06d}", hours=24 * days) for i, days in enumerate(offsets, 1)])
        await wait_for(lambda: _received_in(client, key, "2026-02-01", "2026-04-30", len(offsets)))
        params = {"since": "2026-02-01", "until": "2026-04-30"}

        def series(data: dict) -> dict[str, int]:
            return {point["start"]: point["received"] for point in data["series"] if point["received"]}

        weeks = series(await _summary(client, key, **params, period="week"))
        assert weeks == {"2026-02-23": 1, "2026-03-02": 3, "2026-03-09": 1, "2026-03-30": 1}
        quarters = series(await _summary(client, key, **params, period="quarter"))
        assert quarters == {"2026-01-01": 5, "2026-04-01": 1}
        days = series(await _summary(client, key, **params, period="day"))
        assert sum(days.values()) == sum(weeks.values()) == sum(quarters.values()) == len(offsets)
        march = await _summary(client, key, since="2026-03-02", until="2026-03-08", period="week")
        assert march["total"]["received"] == 3 and series(march) == {"2026-03-02": 3}


async def _received_in(client, key: str, since: str, until: str, n: int) -> bool:
    return (await _summary(client, key, since=since, until=until))["total"]["received"] == n
