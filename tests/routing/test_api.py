"""Routing's API: decisions by ticket, rule versions (validated on upload, pinned per ticket), simulation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.routing.app import create_app
from services.routing.domain.rule_data import version_to_dict
from services.routing.domain.rules import Override
from services.routing.handlers import builtin_version
from shared.events.ticket import TicketReturned
from tests.builders import issue_key
from tests.harness import running_service, wait_for
from tests.routing.routing_world import GRID, ROADSIDE_VENDING
from tests.routing.service_world import decisions_of, publish, received, seed_replica, settings_for


def _v2(effective_from: datetime) -> dict:
    """Street 330903001 hands roadside vending to its market platform."""
    data = version_to_dict(builtin_version("330903"))
    override = Override(authority={"street": "market"}, item=ROADSIDE_VENDING, division="330903001", note="市场监管平台处置")
    data["overrides"].append({"item": override.item, "division": override.division, "grid_kind": "",
                              "authority": dict(override.authority), "note": override.note})
    return {**data, "version": "2026.2", "effective_from": effective_from.isoformat()}


async def test_upload_lists_every_problem_in_a_422(database, common):
    target = database("routing")
    async with running_service(create_app, settings_for(common, target), target) as (app, client):
        await seed_replica(app)
        admin = {"X-API-Key": await issue_key(app.state.db, scope="330903", roles=["admin"])}
        bad = {**_v2(datetime.now(UTC)), "authority": {"77777777": {"street": "teleport"}}}
        response = await client.post("/api/v1/routing/rules", json=bad, headers=admin)
        assert response.status_code == 422 and response.headers["content-type"].startswith("application/problem+json")
        codes = {(p["code"], p["field"]) for p in response.json()["problems"]}
        assert {("unknown_item", "77777777"), ("unknown_function", "authority.77777777.street")} <= codes
        malformed = await client.post("/api/v1/routing/rules", json={"version": "x"}, headers=admin)
        assert {p["field"] for p in malformed.json()["problems"]} == {"district", "effective_from"}


async def test_only_a_district_admin_may_upload_rules(database, common):
    target = database("routing")
    async with running_service(create_app, settings_for(common, target), target) as (app, client):
        await seed_replica(app)
        street_admin = {"X-API-Key": await issue_key(app.state.db, scope="330903001", roles=["admin"])}
        viewer = {"X-API-Key": await issue_key(app.state.db, scope="330903", roles=["viewer"])}
        for headers in (street_admin, viewer):
            response = await client.post("/api/v1/routing/rules", json=_v2(datetime.now(UTC)), headers=headers)
            assert response.status_code == 403


async def test_new_version_routes_new_tickets_while_routed_ones_keep_theirs(database, common):
    target = database("routing")
    async with running_service(create_app, settings_for(common, target), target) as (app, client):
        await seed_replica(app)
        admin = {"X-API-Key": await issue_key(app.state.db, scope="330903", roles=["admin"])}
        await publish(app, received("330903-20261124-000010", ROADSIDE_VENDING,
                                    occurred_at=datetime.now(UTC) - timedelta(hours=1)))
        await wait_for(decisions_of(client, "330903-20261124-000010", admin))
        uploaded = await client.post("/api/v1/routing/rules", json=_v2(datetime.now(UTC) - timedelta(minutes=5)),
                                     headers=admin)
        assert uploaded.status_code == 201, uploaded.text
        await publish(app, received("330903-20261124-000011", ROADSIDE_VENDING),
                      TicketReturned(ticket_id="330903-20261124-000010", occurred_at=datetime.now(UTC), jurisdiction=GRID,
                                     unit_code="330903001-enforcement", reason="非本单位", actor="tester"))
        new = await wait_for(decisions_of(client, "330903-20261124-000011", admin))
        old = await wait_for(decisions_of(client, "330903-20261124-000010", admin, count=2))
        assert (new["rule_version"], new["decisions"][0]["assignment"]["unit_code"]) == ("2026.2", "330903001-market")
        assert [d["rule_version"] for d in old["decisions"]] == ["default", "default"]
        assert old["decisions"][1]["assignment"]["unit_code"] == "330903-urban_management"
        listed = (await client.get("/api/v1/routing/rules", headers=admin)).json()
        assert [(v["version"], v["in_force"]) for v in listed] == [("default", False), ("2026.2", True)]


async def test_simulation_shows_how_a_draft_would_move_recent_tickets(database, common):
    target = database("routing")
    async with running_service(create_app, settings_for(common, target), target) as (app, client):
        await seed_replica(app)
        headers = {"X-API-Key": await issue_key(app.state.db, scope="330903")}
        await publish(app, *(received(f"330903-20261124-00002{i}", ROADSIDE_VENDING) for i in range(3)))
        await wait_for(decisions_of(client, "330903-20261124-000022", headers))
        response = await client.post("/api/v1/routing/simulate", json={"draft": _v2(datetime.now(UTC)), "days": 7},
                                     headers=headers)
        assert response.status_code == 200, response.text
        diff = response.json()
        assert (diff["total"], diff["changed"]) == (3, 3)
        assert diff["changes"] == [{"from": "330903001-enforcement", "to": "330903001-market", "count": 3}]


async def test_decisions_outside_the_callers_street_are_not_found(database, common):
    target = database("routing")
    async with running_service(create_app, settings_for(common, target), target) as (app, client):
        await seed_replica(app)
        district = {"X-API-Key": await issue_key(app.state.db, scope="330903")}
        other_street = {"X-API-Key": await issue_key(app.state.db, scope="330903002")}
        await publish(app, received("330903-20261124-000030", ROADSIDE_VENDING))
        await wait_for(decisions_of(client, "330903-20261124-000030", district))
        hidden = await client.get("/api/v1/routing/decisions/330903-20261124-000030", headers=other_street)
        missing = await client.get("/api/v1/routing/decisions/330903-20261124-999999", headers=district)
        assert hidden.status_code == 404 and missing.status_code == 404
