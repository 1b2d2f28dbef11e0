"""The 12345 push channel: signatures, replays, idempotent orders and signed callbacks with retries."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime

from services.intake.domain import hotline as hl
from tests.builders import issue_key
from tests.harness import wait_for
from tests.intake.support import Receiver, fast_callbacks_app, running_intake, settings


def order(order_no: str = "GD20261124001", **changes) -> dict:
    body = {"order_no": order_no, "category": "城市管理-占道经营", "content": "菜场门口有人占道经营，影响通行",
            "address": "沈家门街道某路 12 号", "grid_code": "330903001001001", "urgency": "紧急",
            "caller": {"name": "李四", "phone": "13900001111"}}
    body.update(changes)
    return body


def signed(client_id: str, secret: str, body: bytes, *, nonce: str | None = None, skew: int = 0) -> dict:
    timestamp, nonce = str(int(time.time()) + skew), nonce or uuid.uuid4().hex
    return {hl.HEADER_CLIENT: client_id, hl.HEADER_TIMESTAMP: timestamp, hl.HEADER_NONCE: nonce,
            hl.HEADER_SIGNATURE: hl.sign(secret, timestamp=timestamp, nonce=nonce, body=body),
            "Content-Type": "application/json"}


async def integration(app, client, callback_url=None) -> tuple[str, str, str]:
    admin = await issue_key(app.state.db, scope="330903", roles=["admin"])
    created = await client.post("/hotline/v1/integrations", json={"callback_url": callback_url, "label": "舟山12345"},
                                headers={"X-API-Key": admin})
    assert created.status_code == 201, created.text
    return created.json()["client_id"], created.json()["secret"], admin


async def test_signed_order_becomes_a_ticket_and_a_repeat_returns_it(database, common):
    target = database("intake")
    async with running_intake(fast_callbacks_app, settings(common, target), target) as (app, client):
        client_id, secret, admin = await integration(app, client)
        body = json.dumps(order(), ensure_ascii=False).encode()
        first = await client.post("/hotline/v1/orders", content=body, headers=signed(client_id, secret, body))
        assert first.status_code == 201, first.text
        assert first.json()["status_label"] == "已受理" and first.json()["category_mapped"] is True
        again = await client.post("/hotline/v1/orders", content=body, headers=signed(client_id, secret, body))
        assert again.status_code == 200 and again.json()["duplicate"] is True
        assert again.json()["ticket_id"] == first.json()["ticket_id"]
        ticket = (await client.get(f"/api/v1/tickets/{first.json()['ticket_id']}",
                                   headers={"X-API-Key": admin})).json()
        assert (ticket["channel"], ticket["severity"], ticket["external_id"]) == ("hotline", "较大", "GD20261124001")
        assert "13900001111" not in json.dumps(ticket, ensure_ascii=False)


async def test_bad_signature_stale_timestamp_and_replayed_nonce_are_401(database, common):
    target = database("intake")
    async with running_intake(fast_callbacks_app, settings(common, target), target) as (app, client):
        client_id, secret, _ = await integration(app, client)
        body = json.dumps(order(), ensure_ascii=False).encode()
        wrong = await client.post("/hotline/v1/orders", content=body, headers=signed(client_id, "nope", body))
        stale = await client.post("/hotline/v1/orders", content=body, headers=signed(client_id, secret, body,
                                                                                     skew=-301))
        assert wrong.status_code == stale.status_code == 401
        assert wrong.headers["content-type"].startswith("application/problem+json")
        headers = signed(client_id, secret, body, nonce="nonce-1")
        assert (await client.post("/hotline/v1/orders", content=body, headers=headers)).status_code == 201
        replay = await client.post("/hotline/v1/orders", content=body, headers=headers)
        assert replay.status_code == 401 and "nonce" in replay.json()["detail"]


async def test_unmapped_category_is_kept_and_flagged(database, common):
    target = database("intake")
    async with running_intake(fast_callbacks_app, settings(common, target), target) as (app, client):
        client_id, secret, admin = await integration(app, client)
        body = json.dumps(order(category="外星人来访"), ensure_ascii=False).encode()
        receipt = await client.post("/hotline/v1/orders", content=body, headers=signed(client_id, secret, body))
        assert receipt.status_code == 201 and receipt.json()["category_mapped"] is False


async def test_status_callbacks_are_signed_retried_and_logged_in_order(database, common):
    target = database("intake")
    async with Receiver(statuses=[500, 503]) as receiver:
        async with running_intake(fast_callbacks_app, settings(common, target), target) as (app, client):
            client_id, secret, admin = await integration(app, client, receiver.url)
            body = json.dumps(order(), ensure_ascii=False).encode()
            ticket_id = (await client.post("/hotline/v1/orders", content=body,
                                           headers=signed(client_id, secret, body))).json()["ticket_id"]
            refused = await client.post(f"/api/v1/tickets/{ticket_id}/actions/not_accept",
                                        json={"reason": "重复反映"}, headers={"X-API-Key": admin})
            assert refused.status_code == 200
            await wait_for(lambda: len(receiver.requests) == 2, timeout=10)

            async def delivered_log():  # the deliverer marks an entry after the receiver answered
                items = (await client.get(f"/hotline/v1/callbacks?ticket_id={ticket_id}",
                                          headers={"X-API-Key": admin})).json()["items"]
                return items if len(items) == 2 and all(e["status"] == "delivered" for e in items) else None

            log = await wait_for(delivered_log, timeout=10)
    payloads = [json.loads(body) for _, body in receiver.requests]
    assert [(p["kind"], p["sequence"]) for p in payloads] == [("receipt", 1), ("status", 2)]
    assert payloads[1]["reason"] == "重复反映"
    headers, raw = receiver.requests[0]
    hl.verify(secret, headers[hl.HEADER_SIGNATURE.lower()], timestamp=headers[hl.HEADER_TIMESTAMP.lower()],
              nonce=headers[hl.HEADER_NONCE.lower()], body=raw, now=datetime.now(UTC))
    assert receiver.attempts == 4
    by_sequence = {entry["sequence"]: entry for entry in log}
    assert by_sequence[1]["attempts"] == 3 and by_sequence[1]["last_error"] == "HTTP 503"
    assert all(entry["status"] == "delivered" for entry in log)


async def test_return_visit_records_satisfaction(database, common):
    target = database("intake")
    async with running_intake(fast_callbacks_app, settings(common, target), target) as (app, client):
        client_id, secret, admin = await integration(app, client)
        body = json.dumps(order(), ensure_ascii=False).encode()
        ticket_id = (await client.post("/hotline/v1/orders", content=body,
                                       headers=signed(client_id, secret, body))).json()["ticket_id"]
        visit = json.dumps({"satisfaction": "满意"}, ensure_ascii=False).encode()
        early = await client.post("/hotline/v1/orders/GD20261124001/visit", content=visit,
                                  headers=signed(client_id, secret, visit))
        assert early.status_code == 409  # a ticket still being handled cannot be evaluated
        empty = b""
        read = await client.get("/hotline/v1/orders/GD20261124001", headers=signed(client_id, secret, empty))
        assert read.status_code == 200 and read.json()["ticket_id"] == ticket_id
