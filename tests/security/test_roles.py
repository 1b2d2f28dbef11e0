"""Role gaps the authorization matrix found in intake, now closed: a viewer-only key creates nothing."""

from __future__ import annotations


from services.intake.app import create_app
from services.intake.settings import Settings
from tests.builders import issue_key
from tests.harness import running_service

GRID = "330903001001001"


async def test_a_viewer_key_cannot_create_tickets_through_rest_or_open311(database, common):
    target = database("intake")
    settings = Settings(database_url=target.url, common=common, registry_url="http://registry.invalid")
    async with running_service(create_app, settings, target) as (app, client):
        viewer = await issue_key(app.state.db, scope="330903", roles=["viewer"])
        rest = await client.post("/api/v1/tickets", headers={"X-API-Key": viewer},
                                 json={"category": "02060201", "description": "查看者不应能建单", "grid_code": GRID})
        open311 = await client.post("/open311/v2/requests.json", data={
            "api_key": viewer, "service_code": "02060201", "description": "查看者不应能建单", "lat": "29.95",
            "long": "122.30"})
        assert (rest.status_code, open311.status_code) == (403, 403), (rest.text, open311.text)
