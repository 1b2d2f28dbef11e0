"""Authentication primitives: hashed keys, tokens, expiry, revocation, rate limiting (against a real service)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.intake.app import create_app
from services.intake.settings import Settings
from shared.auth import Principal, TokenBuckets, hash_secret, issue_token, new_api_key, read_token
from shared.events.registry import CredentialRevoked
from shared.problems import Unauthorized
from tests.builders import issue_key
from tests.harness import running_service


def test_api_key_is_stored_only_as_a_hash():
    key, event = new_api_key(scope="330903", roles=["system"], label="x", now=datetime.now(UTC), jurisdiction="330903")
    secret = key.split("_", 2)[2]
    assert secret not in event.model_dump_json() and event.secret_hash == hash_secret(secret)


def test_token_round_trips_and_expires():
    principal = Principal(key_id="op", kind="operator", scope="330903001", roles=("viewer",))
    now = datetime.now(UTC)
    token = issue_token(principal, secret_key="s" * 40, now=now, ttl=timedelta(minutes=5))
    assert read_token(token, secret_key="s" * 40, now=now).scope == "330903001"
    with pytest.raises(Unauthorized):
        read_token(token, secret_key="s" * 40, now=now + timedelta(minutes=6))
    with pytest.raises(Unauthorized):
        read_token(token, secret_key="t" * 40, now=now)


def test_token_bucket_refuses_beyond_burst_and_refills():
    buckets = TokenBuckets(rate=10, burst=3)
    assert [buckets.take("k", now=0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("k", now=0.0) > 0
    assert buckets.take("k", now=0.2) == 0.0


async def test_expired_revoked_and_rate_limited_keys_are_refused(database, common):
    target = database("intake")
    limited = common.model_copy(update={"rate_limit_per_second": 1.0, "rate_limit_burst": 3})
    async with running_service(create_app, Settings(database_url=target.url, common=limited), target) as (app, client):
        expired = await issue_key(app.state.db, scope="330903", expired=True)
        assert (await client.get("/api/v1/tickets", headers={"X-API-Key": expired})).status_code == 401
        key = await issue_key(app.state.db, scope="330903")
        statuses = [(await client.get("/api/v1/tickets", headers={"X-API-Key": key})).status_code for _ in range(5)]
        assert statuses[:3] == [200, 200, 200] and statuses[3] == 429
        refused = await client.get("/api/v1/tickets", headers={"X-API-Key": key})
        assert refused.headers["retry-after"] and refused.json()["status"] == 429
        async with app.state.db.uow() as uow:
            from shared.auth import on_credential_revoked

            await on_credential_revoked(CredentialRevoked(occurred_at=datetime.now(UTC), jurisdiction="330903",
                                                          key_id=key.split("_")[1]), uow)
            await uow.commit()
        assert (await client.get("/api/v1/tickets", headers={"X-API-Key": key})).status_code == 401


async def test_an_api_key_in_the_query_string_is_refused_outside_open311(database, common):
    """Query strings land in access and proxy logs: the REST API takes keys in the X-API-Key header only."""
    target = database("intake")
    async with running_service(create_app, Settings(database_url=target.url, common=common), target) as (app, client):
        key = await issue_key(app.state.db, scope="330903")
        refused = await client.get("/api/v1/tickets", params={"api_key": key})
        assert refused.status_code == 401
        assert "X-API-Key" in refused.json()["detail"] and key not in refused.text
        assert (await client.get("/api/v1/tickets", headers={"X-API-Key": key})).status_code == 200
        open311 = await client.get("/open311/v2/requests.json", params={"api_key": key, "jurisdiction_id": "330903"})
        assert open311.status_code == 200
