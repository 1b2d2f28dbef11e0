"""A whole district in one test process: the five services on one broker prefix, each with its own database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from shared.auth import new_api_key, new_operator, store_credential
from tests.harness import running_service, wait_for


@dataclass
class District:
    clients: dict[str, httpx.AsyncClient]
    apps: dict[str, Any]
    key: str
    clock: dict[str, datetime] = field(default_factory=dict)

    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.key}

    async def ticket(self, ticket_id: str) -> dict[str, Any]:
        response = await self.clients["intake"].get(f"/api/v1/tickets/{ticket_id}", headers=self.headers())
        assert response.status_code == 200, response.text
        return response.json()


async def _credentials(registry_app: Any) -> str:
    now = datetime.now(UTC)
    key, event = new_api_key(scope="330903", roles=["system", "dispatcher", "admin"], label="e2e district", now=now,
                             jurisdiction="330903")
    operator = new_operator(username="e2e-op", password="pw-e2e-123", scope="330903", roles=["admin"], now=now,
                            jurisdiction="330903")
    async with registry_app.state.db.uow() as uow:
        for issued in (event, operator):
            await store_credential(uow, issued)
            uow.publish(issued, key=issued.key_id)
        await uow.commit()
    return key


@asynccontextmanager
async def running_district(database: Any, common: Any) -> AsyncIterator[District]:
    from services.analytics.app import create_app as analytics_app
    from services.analytics.settings import Settings as AnalyticsSettings
    from services.escalation.app import create_app as escalation_app
    from services.escalation.settings import Settings as EscalationSettings
    from services.intake.app import create_app as intake_app
    from services.intake.settings import Settings as IntakeSettings
    from services.registry.app import create_app as registry_app
    from services.registry.seeding import seed_district
    from services.registry.settings import Settings as RegistrySettings
    from services.routing.app import create_app as routing_app
    from services.routing.settings import Settings as RoutingSettings

    clock = {"now": datetime.now(UTC)}

    def escalation_factory(settings: Any, *, database_schema: str | None = None) -> Any:
        return escalation_app(settings, database_schema=database_schema, now=lambda: clock["now"],
                              scheduler_interval=0.05)

    specs = [("registry", registry_app, RegistrySettings), ("intake", intake_app, IntakeSettings),
             ("routing", routing_app, RoutingSettings), ("escalation", escalation_factory, EscalationSettings),
             ("analytics", analytics_app, AnalyticsSettings)]
    async with AsyncExitStack() as stack:
        apps, clients = {}, {}
        for name, factory, settings_class in specs:
            target = database(name)
            settings = settings_class(database_url=target.url, common=common, registry_url="http://registry.invalid")
            app, client = await stack.enter_async_context(running_service(factory, settings, target))
            apps[name], clients[name] = app, client
            if name == "registry":
                await seed_district(app.state.db, district="330903", now=datetime.now(UTC))
                key = await _credentials(app)
        district = District(clients=clients, apps=apps, key=key, clock=clock)
        await wait_for(lambda: _key_works(district), timeout=30)
        yield district


async def _key_works(district: District) -> bool:
    for name in ("intake", "escalation", "analytics", "routing"):
        probe = {"intake": "/api/v1/tickets?limit=1", "escalation": "/api/v1/ladder", "analytics": "/api/v1/me",
                 "routing": "/api/v1/routing/rules"}[name]
        if (await district.clients[name].get(probe, headers=district.headers())).status_code != 200:
            return False
    return True
