"""Escalation's REST API in process, against the real store and broker."""

from __future__ import annotations

from typing import Any

from shared.events.ticket import TicketSigned, TicketSuspended
from tests.builders import issue_key
from tests.escalation.fakes import TICKET, UNIT, at, event, received, routed
from tests.escalation.service import fire, handle, service_app, service_settings
from tests.harness import running_service

DEADLINE = "/api/v1/calendar/deadline"


async def test_deadline_over_national_day_skips_the_holiday_week(database, common):
    target = database("escalation")
    async with running_service(service_app(), service_settings(common, target), target) as (app, client):
        key = {"X-API-Key": await issue_key(app.state.db, scope="330903")}
        params: dict[str, Any] = {"start": "2026-09-30T16:00:00+08:00", "amount": 2, "unit": "working_hours",
                                  "jurisdiction": "330903"}
        response = await client.get(DEADLINE, params=params, headers=key)
        assert response.status_code == 200, response.text
        assert response.json()["deadline"] == "2026-10-08T09:00:00+08:00"
        days = await client.get(DEADLINE, params=params | {"amount": 3, "unit": "working_days"}, headers=key)
        assert days.json()["deadline"] == "2026-10-10T17:30:00+08:00"  # Saturday 10-10 is a 调休 working day
        close = await client.get(DEADLINE, params=params | {"amount": 1.5}, headers=key)
        assert close.json()["deadline"] == "2026-09-30T17:30:00+08:00"


async def test_deadline_accepts_an_unencoded_plus_and_rejects_a_naive_start(database, common):
    target = database("escalation")
    async with running_service(service_app(), service_settings(common, target), target) as (app, client):
        key = {"X-API-Key": await issue_key(app.state.db, scope="330903001")}
        raw = await client.get(f"{DEADLINE}?start=2026-11-24T09:00:00+08:00&amount=1&unit=hours", headers=key)
        assert raw.status_code == 200 and raw.json()["deadline"] == "2026-11-24T10:00:00+08:00"
        naive = await client.get(DEADLINE, params={"start": "2026-11-24T09:00:00", "amount": 1, "unit": "hours"},
                                 headers=key)
        assert naive.status_code == 422 and "offset" in naive.json()["detail"]
        unit = await client.get(DEADLINE, params={"start": "2026-11-24T09:00:00+08:00", "amount": 1, "unit": "days"},
                                headers=key)
        assert unit.status_code == 422 and unit.json()["errors"][0]["field"] == "unit"


async def test_deadline_needs_a_key_within_the_district(database, common):
    target = database("escalation")
    async with running_service(service_app(), service_settings(common, target), target) as (app, client):
        params = {"start": "2026-11-24T09:00:00+08:00", "amount": 1, "unit": "hours", "jurisdiction": "330903"}
        assert (await client.get(DEADLINE, params=params)).status_code == 401
        other = {"X-API-Key": await issue_key(app.state.db, scope="430104")}
        assert (await client.get(DEADLINE, params=params, headers=other)).status_code == 403


async def test_clock_history_shows_pause_and_timers(database, common):
    target = database("escalation")
    async with running_service(service_app(), service_settings(common, target), target) as (app, client):
        db = app.state.db
        await handle(db, received(at(11, 24, 8)), routed(at(11, 24, 9)),
                     event(TicketSigned, at(11, 24, 9, 30), unit_code=UNIT, actor="w"),
                     event(TicketSuspended, at(11, 24, 10), reason="等待鉴定", actor="w"))
        key = {"X-API-Key": await issue_key(db, scope="330903001")}
        response = await client.get(f"/api/v1/clocks/{TICKET}", headers=key)
        assert response.status_code == 200, response.text
        sign_off, handling = response.json()["clocks"]
        assert (sign_off["kind"], sign_off["state"], sign_off["stopped_at"]) == ("sign_off", "stopped",
                                                                               "2026-11-24T09:30:00+08:00")
        assert sign_off["timers"] == [] and handling["timers"] == []  # stopped and paused clocks arm nothing
        assert [h["action"] for h in handling["history"]] == ["started", "paused"]
        assert handling["state"] == "paused" and handling["due_at"].endswith("+08:00")


async def test_clock_history_lists_fired_steps(database, common):
    target = database("escalation")
    async with running_service(service_app(), service_settings(common, target), target) as (app, client):
        db = app.state.db
        await handle(db, routed(at(11, 24, 9)))
        await fire(db, now=at(11, 24, 10, 45))
        key = {"X-API-Key": await issue_key(db, scope="330903")}
        (clock,) = (await client.get(f"/api/v1/clocks/{TICKET}", headers=key)).json()["clocks"]
        assert [(t["step"], t["status"]) for t in clock["timers"]] == [
            ("notice-50", "fired"), ("notice-75", "fired"), ("remind", "pending"), ("supervise", "pending"),
        ]


async def test_clocks_outside_the_callers_scope_are_not_found(database, common):
    target = database("escalation")
    async with running_service(service_app(), service_settings(common, target), target) as (app, client):
        await handle(app.state.db, routed(at(11, 24, 9)))
        other_street = {"X-API-Key": await issue_key(app.state.db, scope="330903002")}
        assert (await client.get(f"/api/v1/clocks/{TICKET}", headers=other_street)).status_code == 404
        assert (await client.get("/api/v1/clocks/330903-20261124-999999", headers=other_street)).status_code == 404


async def test_invalid_ladder_upload_lists_every_problem(database, common):
    target = database("escalation")
    async with running_service(service_app(), service_settings(common, target), target) as (app, client):
        key = {"X-API-Key": await issue_key(app.state.db, scope="330903")}
        body = {"rules": [{"step": "n", "action": "notice", "percent": 120},
                          {"step": "n", "action": "shout", "after_due": {"amount": 1, "unit": "weeks"}}]}
        response = await client.put("/api/v1/ladder", json=body, headers=key)
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")
        problems = response.json()["problems"]
        assert "rules[0].percent: must be a whole number from 1 to 100" in problems
        assert "rules[1].action: must be one of notice, remind, supervise, escalate" in problems
        assert "rules[1].after_due.unit: must be one of working_hours, working_days, hours" in problems


async def test_uploaded_ladder_replaces_the_default_and_rearms_running_clocks(database, common):
    target = database("escalation")
    async with running_service(service_app(), service_settings(common, target), target) as (app, client):
        db = app.state.db
        await handle(db, routed(at(11, 24, 9)))
        key = {"X-API-Key": await issue_key(db, scope="330903")}
        body = {"rules": [{"step": "early", "action": "notice", "percent": 25},
                          {"step": "late", "action": "remind", "percent": 100}]}
        put = await client.put("/api/v1/ladder", json=body, headers=key)
        assert put.status_code == 200, put.text
        assert put.json()["version"] == 1 and [r["step"] for r in put.json()["rules"]] == ["early", "late"]
        again = await client.put("/api/v1/ladder", json=body, headers=key)
        assert again.json()["version"] == 2
        read = await client.get("/api/v1/ladder", headers=key)
        assert [r["step"] for r in read.json()["rules"]] == ["early", "late"]
        (clock,) = (await client.get(f"/api/v1/clocks/{TICKET}", headers=key)).json()["clocks"]
        assert [(t["step"], t["fire_at"]) for t in clock["timers"]] == [
            ("early", "2026-11-24T09:30:00+08:00"), ("late", "2026-11-24T11:00:00+08:00"),
        ]


async def test_ladder_upload_needs_a_district_admin(database, common):
    target = database("escalation")
    async with running_service(service_app(), service_settings(common, target), target) as (app, client):
        body = {"rules": [{"step": "n", "action": "notice", "percent": 50}]}
        viewer = {"X-API-Key": await issue_key(app.state.db, scope="330903", roles=["viewer"])}
        street = {"X-API-Key": await issue_key(app.state.db, scope="330903001", roles=["admin"])}
        assert (await client.put("/api/v1/ladder", json=body, headers=viewer)).status_code == 403
        assert (await client.put("/api/v1/ladder", json=body, headers=street)).status_code == 403


async def test_typhoon_day_moves_the_calculator_and_running_deadlines(database, common):
    target = database("escalation")
    async with running_service(service_app(), service_settings(common, target), target) as (app, client):
        db = app.state.db
        await handle(db, routed(at(11, 24, 9)), event(TicketSigned, at(11, 24, 9, 30), unit_code=UNIT, actor="w"))
        key = {"X-API-Key": await issue_key(db, scope="330903")}
        params = {"start": "2026-11-25T17:00:00+08:00", "amount": 1, "unit": "working_hours"}
        assert (await client.get(DEADLINE, params=params, headers=key)).json()["deadline"] == "2026-11-26T09:00:00+08:00"
        put = await client.put("/api/v1/calendar/overrides/2026-11-26", json={"working": False, "note": "台风"},
                               headers=key)
        assert put.status_code == 200 and put.json()["overrides"] == {"2026-11-26": False}
        assert (await client.get(DEADLINE, params=params, headers=key)).json()["deadline"] == "2026-11-27T09:00:00+08:00"
        handling = (await client.get(f"/api/v1/clocks/{TICKET}", headers=key)).json()["clocks"][1]
        assert handling["due_at"] == "2026-12-04T17:30:00+08:00"  # 7 working days, one lost to the typhoon
        assert handling["history"][-1]["action"] == "recalculated"
        assert [t["fire_at"] for t in handling["timers"] if t["step"] == "remind"] == ["2026-12-04T17:30:00+08:00"]
        deleted = await client.delete("/api/v1/calendar/overrides/2026-11-26", headers=key)
        assert deleted.json()["overrides"] == {}
        handling = (await client.get(f"/api/v1/clocks/{TICKET}", headers=key)).json()["clocks"][1]
        assert handling["due_at"] == "2026-12-03T17:30:00+08:00"


async def test_a_street_cannot_declare_district_days_off(database, common):
    target = database("escalation")
    async with running_service(service_app(), service_settings(common, target), target) as (app, client):
        street = {"X-API-Key": await issue_key(app.state.db, scope="330903001")}
        response = await client.put("/api/v1/calendar/overrides/2026-11-26", json={"working": False}, headers=street)
        assert response.status_code == 403
        listed = await client.get("/api/v1/calendar/overrides", headers=street)
        assert listed.status_code == 200 and listed.json() == {"district": "330903", "overrides": {}}
