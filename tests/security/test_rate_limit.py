"""Rate limiting per API key (shared/auth.py TokenBuckets) applies on every service, not only intake."""

from __future__ import annotations

import importlib

import pytest

from tests.builders import issue_key
from tests.harness import running_service
from tests.security.probes import PROBES
from tests.security.world import SERVICES

BURST = 3


@pytest.mark.parametrize("service", SERVICES)
async def test_a_key_over_its_burst_gets_429_with_retry_after_and_other_keys_go_on(database, common, service):
    app_module = importlib.import_module(f"services.{service}.app")
    settings_module = importlib.import_module(f"services.{service}.settings")
    slow = common.model_copy(update={"rate_limit_per_second": 0.2, "rate_limit_burst": BURST})
    target = database(service)
    settings = settings_module.Settings(database_url=target.url, common=slow, registry_url="http://registry.invalid")
    async with running_service(app_module.create_app, settings, target) as (app, client):
        greedy, patient = [await issue_key(app.state.db, scope="330903", roles=["system", "admin"]) for _ in range(2)]
        answers = [await client.get(PROBES[service], headers={"X-API-Key": greedy}) for _ in range(BURST + 1)]
        assert [a.status_code for a in answers] == [200] * BURST + [429], answers[-1].text
        refused = answers[-1]
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert int(refused.headers["Retry-After"]) >= 1 and refused.json()["status"] == 429
        assert (await client.get(PROBES[service], headers={"X-API-Key": patient})).status_code == 200


async def test_open311_requests_with_an_api_key_are_rate_limited_too(database, common):
    from services.intake.app import create_app
    from services.intake.settings import Settings

    slow = common.model_copy(update={"rate_limit_per_second": 0.2, "rate_limit_burst": BURST})
    target = database("intake")
    settings = Settings(database_url=target.url, common=slow, registry_url="http://registry.invalid")
    async with running_service(create_app, settings, target) as (app, client):
        key = await issue_key(app.state.db, scope="330903", roles=["open311"])
        answers = [await client.get("/open311/v2/requests.json", params={"api_key": key}) for _ in range(BURST + 1)]
        assert [a.status_code for a in answers] == [200] * BURST + [429], answers[-1].text
