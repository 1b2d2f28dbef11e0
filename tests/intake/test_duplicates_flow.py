"""Duplicates across channels: a later report of the same incident merges into the first, and the merged
hotline caller hears the master's outcome."""

from __future__ import annotations

import json

from tests.builders import issue_key, ticket_body
from tests.harness import wait_for
from tests.intake.support import Receiver, fast_callbacks_app, publish_as, routed, running_intake, settings
from tests.intake.test_hotline_api import integration, order, signed

PLACE = {"grid_code": "330903001001001", "category": "02060201", "location": {"lon": 122.3, "lat": 29.95},
         "address": "人民路128号", "description": "人民路128号菜场门口有人占道经营，影响通行"}


async def _ticket(client, key, ticket_id):
    return (await client.get(f"/api/v1/tickets/{ticket_id}", headers={"X-API-Key": key})).json()


async def test_same_incident_from_two_systems_is_merged_into_the_first(database, common):
    target = database("intake")
    async with running_intake(fast_callbacks_app, settings(common, target), target) as (app, client):
        key = await issue_key(app.state.db, scope="330903")
        headers = {"X-API-Key": key}
        first = (await client.post("/api/v1/tickets", json=ticket_body(**PLACE), headers=headers)).json()
        other = {**PLACE, "description": "人民路128号门口占道经营", "location": {"lon": 122.30004, "lat": 29.95001}}
        second = (await client.post("/api/v1/tickets", json=ticket_body(**other), headers=headers)).json()
        merged = await wait_for(lambda: _merged(client, key, second["id"]))
        assert merged["master_id"] == first["id"] and merged["timeline"][-1]["actor"] == "intake-dedup"
        assert (await _ticket(client, key, first["id"]))["state"] == "received"


async def _merged(client, key, ticket_id):
    ticket = await _ticket(client, key, ticket_id)
    return ticket if ticket["state"] == "merged" else None


async def test_merged_hotline_caller_gets_the_masters_result(database, common):
    target = database("intake")
    async with Receiver() as receiver:
        async with running_intake(fast_callbacks_app, settings(common, target), target) as (app, client):
            client_id, secret, admin = await integration(app, client, receiver.url)
            headers = {"X-API-Key": admin}
            master = (await client.post("/api/v1/tickets", json=ticket_body(**PLACE), headers=headers)).json()
            body = json.dumps(order(category="城市管理-占道经营", content="人民路128号菜场门口占道经营",
                                    address="人民路128号"), ensure_ascii=False).encode()
            pushed = await client.post("/hotline/v1/orders", content=body, headers=signed(client_id, secret, body))
            hotline_id = pushed.json()["ticket_id"]
            await wait_for(lambda: _merged(client, admin, hotline_id))
            await publish_as(app, "routing", routed(master["id"]), key=master["id"])
            await wait_for(lambda: _state(client, admin, master["id"], "routed"))
            for action, payload in [("sign", None), ("resolve", {"result": "摊贩已劝离"}),
                                    ("verify", {"passed": True}), ("close", None)]:
                done = await client.post(f"/api/v1/tickets/{master['id']}/actions/{action}", json=payload,
                                         headers=headers)
                assert done.status_code == 200, done.text
            await wait_for(lambda: any(json.loads(b)["kind"] == "result" for _, b in receiver.requests), timeout=10)
    payloads = [json.loads(b) for _, b in receiver.requests]
    result = next(p for p in payloads if p["kind"] == "result")
    assert (result["ticket_id"], result["master_ticket_id"], result["result"]) == (hotline_id, master["id"],
                                                                                     "摊贩已劝离")
    assert [p["status"] for p in payloads][:2] == ["accepted", "merged"]


async def _state(client, key, ticket_id, state):
    return (await _ticket(client, key, ticket_id))["state"] == state


async def test_tickets_known_only_by_a_point_are_compared_with_those_near_it(database, common):
    """No registry here: the tickets stay ungridded, so candidates are bounded by distance, not by community."""
    target = database("intake")
    async with running_intake(fast_callbacks_app, settings(common, target), target) as (app, client):
        key = await issue_key(app.state.db, scope="330903")
        headers = {"X-API-Key": key}
        pointed = {**PLACE, "grid_code": None}
        first = (await client.post("/api/v1/tickets", json=ticket_body(**pointed), headers=headers)).json()
        far = {**pointed, "location": {"lon": 122.32, "lat": 29.95}}  # about 1.9 km east: another 人民路128号
        far_ticket = (await client.post("/api/v1/tickets", json=ticket_body(**far), headers=headers)).json()
        near = {**pointed, "description": "人民路128号门口占道经营", "location": {"lon": 122.30004, "lat": 29.95001}}
        second = (await client.post("/api/v1/tickets", json=ticket_body(**near), headers=headers)).json()
        merged = await wait_for(lambda: _merged(client, key, second["id"]))
        assert merged["master_id"] == first["id"]
        assert (await _ticket(client, key, far_ticket["id"]))["state"] == "received"
        suggestions = await client.get("/api/v1/duplicates", headers=headers)
        assert suggestions.status_code == 200, suggestions.text
        assert far_ticket["id"] not in suggestions.text
