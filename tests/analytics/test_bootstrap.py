"""An empty registry replica is copied from the real registry's snapshot pages; a refusal leaves it to events."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from services.analytics import store
from services.analytics.app import create_app
from services.analytics.bootstrap import apply_snapshot
from services.registry.app import create_app as create_registry
from services.registry.domain.seed import DEMO_GRID
from services.registry.seeding import seed_district
from services.registry.settings import Settings as RegistrySettings
from shared.replica import Refused, copy_registry_snapshots
from shared.settings import CommonSettings
from tests.harness import running_service

from .test_handlers import settings_for


async def test_empty_replica_is_copied_from_the_registry_snapshot(database, common):
    registry_target, analytics_target = database("registry"), database("analytics")
    # The registry publishes on other topics, so only the snapshot can fill analytics's replica.
    elsewhere = CommonSettings(**{**common.model_dump(), "topic_prefix": f"other{common.topic_prefix}"})
    registry_settings = RegistrySettings(database_url=registry_target.url, common=elsewhere)
    async with running_service(create_registry, registry_settings, registry_target) as (registry, _), \
            running_service(create_app, settings_for(common, analytics_target), analytics_target) as (app, _):
        await seed_district(registry.state.db, now=datetime.now(UTC))
        written = await copy_registry_snapshots(app.state.runtime, apply_snapshot, transport=httpx.ASGITransport(app=registry))
        async with app.state.db.uow() as uow:
            community = await uow.session.get(store.DivisionRow, DEMO_GRID[:12])
            grid = await uow.session.get(store.GridRow, DEMO_GRID)
            units = await store.names_of_units(uow, [f"{DEMO_GRID[:9]}-enforcement"])
    assert written > 0 and community is not None and community.level == "community"
    assert grid is not None and grid.polygon is not None and grid.community_code == DEMO_GRID[:12]
    assert set(units) == {f"{DEMO_GRID[:9]}-enforcement"}


async def test_a_registry_refusing_the_service_token_stops_the_bootstrap(database, common):
    registry_target, analytics_target = database("registry"), database("analytics")
    other = CommonSettings(**{**common.model_dump(), "secret_key": "another-secret-of-the-registry-0123456789"})
    registry_settings = RegistrySettings(database_url=registry_target.url, common=other)
    async with running_service(create_registry, registry_settings, registry_target) as (registry, _), \
            running_service(create_app, settings_for(common, analytics_target), analytics_target) as (app, _):
        try:
            await copy_registry_snapshots(app.state.runtime, apply_snapshot, transport=httpx.ASGITransport(app=registry))
            raise AssertionError("the registry accepted a token signed with another secret")
        except Refused as refusal:
            assert "401" in str(refusal) or "403" in str(refusal)
        async with app.state.db.uow() as uow:
            assert await store.divisions_under(uow, "330903") == []
