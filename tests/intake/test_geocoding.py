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
