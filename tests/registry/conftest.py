"""Registry API fixtures: a running registry on the parametrised database, optionally seeded."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from services.registry.app import create_app
from services.registry.seeding import seed_district
from services.registry.settings import Settings
from tests.builders import issue_key
from tests.harness import running_service


class Registry:
    def __init__(self, app: Any, client: Any) -> None:
        self.app, self.client = app, client

    async def key(self, scope: str = "330903", roles: list[str] | None = None) -> dict[str, str]:
        return {"X-API-Key": await issue_key(self.app.state.db, scope=scope, roles=roles or ["system", "admin"])}

    async def seed(self) -> dict[str, Any]:
        result = await seed_district(self.app.state.db, now=datetime.now(UTC))
        self.app.state.geocoders.invalidate()
        return result


@pytest.fixture
async def registry(database, common) -> AsyncIterator[Registry]:
    target = database("registry")
    settings = Settings(database_url=target.url, common=common)
    async with running_service(create_app, settings, target) as (app, client):
        yield Registry(app, client)
