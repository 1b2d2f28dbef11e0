"""12345 hotline pushes are authenticated by their HMAC signature: forged, stale and replayed requests are refused."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import orjson

from services.intake.app import create_app
from services.intake.domain import hotline
from services.intake.settings import Settings
from tests.builders import issue_key
from tests.harness import running_service

ORDER = {"order_no": "HL-SIG-1", "category": "占道经营", "content": "桥头有人摆摊", "grid_code": "330903001001001"}


async def test_forged_stale_and_replayed_pushes_are_refused_and_create_nothing(database, common):
    target = database("intake")
    settings = Settings(database_url=target.url, common=common, registry_url="http://registry.invalid")
    async with running_service(create_app, settings, target) as (app, client):
        key = await issue_key(app.state.db, scope="330903", roles=["admin"])
        integration = (await client.post("/hotline/v1/integrations", json={"label": "12345"},
                                          headers={"X-API-Key": key})).json()
        body, now = orjson.dumps(ORDER), datetime.now(UTC)

        def signed(*, secret: str = integration["secret"], at: datetime = now, nonce: str | None = None) -> dict:
            return hotline.signed_headers(secret, body, client_id=integration["client_id"], now=at,
                                          nonce=nonce or secrets.token_hex(8))

        forged = await client.post("/hotline/v1/orders", content=body, headers=signed(secret="not-the-secret"))
        stale = await client.post("/hotline/v1/orders", content=body, headers=signed(at=now - timedelta(hours=1)))
        tampered_headers = signed()
        tampered = await client.post("/hotline/v1/orders", content=body.replace(b"HL-SIG-1", b"HL-SIG-2"),
                                     headers=tampered_headers)
        assert [r.status_code for r in (forged, stale, tampered)] == [401, 401, 401]
        replayed_headers = signed()
        first = await client.post("/hotline/v1/orders", content=body, headers=replayed_headers)
        replay = await client.post("/hotline/v1/orders", content=body, headers=replayed_headers)
        assert (first.status_code, replay.status_code) == (201, 401), replay.text
        tickets = (await client.get("/api/v1/tickets", headers={"X-API-Key": key})).json()["items"]
        assert [t["external_id"] for t in tickets] == ["HL-SIG-1"]
