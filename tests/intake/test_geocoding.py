"""Tickets with a location but no grid are accepted at once and located later through the registry."""

from __future__ import annotations

from tests.builders import issue_key, ticket_body
from tests.harness import wait_for
from tests.intake.support import RegistryStandIn, geocoding_app, running_intake, settings

GRID = "330903001001002"


def _located_body() -> dict:
    body = ticket_body(location={"lon": 122.3, "lat": 29.95})
    body.pop("grid_code")
    return body


async def test_ticket_without_grid_is_located_in_the_background(database, common):
    target = database("intake")
    async with RegistryStandIn(GRID) as registry:
        config = settings(common, target).model_copy(update={"registry_url": registry.url})
        async with running_intake(geocoding_app, config, target) as (app, client):
            key = await issue_key(app.state.db, scope="330903")
            created = await client.post("/api/v1/tickets", json=_located_body(), headers={"X-API-Key": key})
            assert created.status_code == 201 and created.json()["jurisdiction"] == "330903"

            async def located():
                ticket = (await client.get(f"/api/v1/tickets/{created.json()['id']}",
                                           headers={"X-API-Key": key})).json()
                return ticket if not ticket["geocode_pending"] else None

            ticket = await wait_for(located)
    assert (ticket["grid_code"], ticket["jurisdiction"]) == (GRID, GRID)
    assert ticket["timeline"][-1]["type"] == "located" and registry.calls >= 1


async def test_ticket_is_accepted_while_the_registry_is_down(database, common):
    target = database("intake")
    config = settings(common, target).model_copy(update={"registry_url": "http://127.0.0.1:9"})
    async with running_intake(geocoding_app, config, target) as (app, client):
        key = await issue_key(app.state.db, scope="330903")
        created = await client.post("/api/v1/tickets", json=_located_body(), headers={"X-API-Key": key})
        assert created.status_code == 201
        assert created.json()["geocode_pending"] is True and created.json()["state"] == "received"


async def test_a_round_locates_its_batch_once_and_skips_tickets_finished_meanwhile(database, common):
    """One round reads the pending tickets, asks the registry once, and writes every answer in one transaction;
    a ticket another writer located while the registry answered keeps that writer's result."""
    from datetime import UTC, datetime

    from services.intake import store
    from services.intake.handlers import geocoding

    target = database("intake")
    config = settings(common, target).model_copy(update={"registry_url": "http://127.0.0.1:9"})  # loop idle
    async with running_intake(geocoding_app, config, target) as (app, client):
        key = await issue_key(app.state.db, scope="330903")
        texts = ["桥下堆放建筑垃圾", "路灯整晚不亮", "河道漂浮大量塑料瓶"]  # unlike each other: no duplicate merge
        ids = [(await client.post("/api/v1/tickets", json={**_located_body(), "description": text},
                                  headers={"X-API-Key": key})).json()["id"] for text in texts]
        db, asked = app.state.db, []

        async def locate(points: list[dict[str, float]]) -> list[dict]:
            asked.append(len(points))
            async with db.uow() as uow:  # another writer finishes the first ticket meanwhile
                row = await store.get_ticket(uow, ids[0])
                assert row is not None
                row.geocode_pending, row.grid_code = False, "330903001001001"
                await uow.commit()
            return [{"inside": True, "grid_code": GRID} for _ in points]

        assert await geocoding.locate_pending(db, locate, now=datetime.now(UTC)) == 3
        assert await geocoding.locate_pending(db, locate, now=datetime.now(UTC)) == 0  # nothing left pending
        tickets = [(await client.get(f"/api/v1/tickets/{i}", headers={"X-API-Key": key})).json() for i in ids]
    assert asked == [3]
    assert tickets[0]["grid_code"] == "330903001001001" and tickets[0]["timeline"][-1]["type"] != "located"
    for ticket in tickets[1:]:
        assert (ticket["grid_code"], ticket["geocode_pending"]) == (GRID, False)
        assert [entry["type"] for entry in ticket["timeline"]].count("located") == 1
