"""An empty replica is filled from the real registry's snapshot pages, and routing then uses it."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from services.registry.app import create_app as create_registry
from services.registry.domain.seed import DEMO_GRID
from services.registry.seeding import seed_district
from services.registry.settings import Settings as RegistrySettings
from services.routing import handlers, store
from services.routing.app import create_app as create_routing
from shared.replica import copy_registry_snapshots
from tests.builders import issue_key
from tests.harness import running_service, wait_for
from tests.routing.routing_world import ROADSIDE_VENDING
from tests.routing.service_world import decisions_of, publish, received, settings_for


async def test_replica_bootstraps_from_the_registry_snapshot_and_routes_on_it(database, common):
    registry_target, routing_target = database("registry"), database("routing")
    registry_settings = RegistrySettings(database_url=registry_target.url, common=common)
    async with running_service(create_registry, registry_settings, registry_target) as (registry, _), \
            running_service(create_routing, settings_for(common, routing_target), routing_target) as (routing, client):
        await seed_district(registry.state.db, now=datetime.now(UTC))
        await copy_registry_snapshots(routing.state.runtime, handlers.apply_snapshot, transport=httpx.ASGITransport(app=registry))
        async with routing.state.db.uow() as uow:
            replica = await store.full_replica(uow)
        street = DEMO_GRID[:9]
        assert DEMO_GRID in replica.grids and f"{street}-enforcement" in replica.units
        assert replica.divisions[DEMO_GRID[:12]].level == "community"
        headers = {"X-API-Key": await issue_key(routing.state.db, scope="330903")}
        await publish(routing, received("330903-20261124-000040", ROADSIDE_VENDING, grid=DEMO_GRID))
        body = await wait_for(decisions_of(client, "330903-20261124-000040", headers))
        assert body["decisions"][0]["assignment"]["unit_code"] == f"{street}-enforcement"
