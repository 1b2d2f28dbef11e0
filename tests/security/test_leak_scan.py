"""After a whole district has handled tickets with reporters from every channel, no clear personal data is anywhere.

Reporter names, phones and ID numbers go in through REST, the signed 12345 push and Open311; then the tickets walk
to evaluation. Every Kafka message on the test's topics, every log line and every API answer is scanned: the clear
values must not appear (the masked forms, 欧*** / 139****0001 / 330903********1217, may).
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from services.intake.domain import hotline
from shared import topics
from shared.bus.kafka import bootstrap
from tests.harness import wait_for
from tests.security.requests import all_calls
from tests.security.world import REPORTERS, STREET_A, STREET_B, STREET_VENDING, World, post_ticket, running_world

HOTLINE_CALLER = {"name": "诸葛红梅", "phone": "13912340004", "id_number": "330903197711230046"}
OPEN311_CALLER = {"first_name": "建国", "last_name": "上官", "phone": "13912340003"}
SECRETS = [value for person in (*REPORTERS, HOTLINE_CALLER) for value in person.values()] + ["上官 建国", "13912340003"]
WALK = [("sign", {}), ("start", {}), ("resolve", {"result": "已劝离摊贩"}), ("verify", {"passed": True}),
        ("close", {}), ("evaluate", {"rating": "满意"})]


class Seen:
    """Everything an outsider could read: API answers (and, later, messages and logs)."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []

    def add(self, where: str, response: Any) -> Any:
        self.texts.append((where, response.text))
        return response

    def leaks(self) -> list[str]:
        return [f"{where}: '{secret}' in {text[:300]}" for where, text in self.texts for secret in SECRETS
                if secret in text]


async def test_no_clear_personal_data_in_messages_logs_or_answers(database, common, caplog, capfd):
    caplog.set_level(logging.INFO)
    seen = Seen()
    async with running_world(database, common) as world:
        ids = [await post_ticket(world, STREET_A, reporter=REPORTERS[0], text="菜场门口占道经营"),
               await post_ticket(world, STREET_B, reporter=REPORTERS[1], text="夜市摊贩占用人行道")]
        world.tickets.update({STREET_A: ids[0], STREET_B: ids[1]})
        ids.append(await _hotline_order(world, seen))
        ids.append(await _open311_request(world, seen))
        for ticket_id in ids[:2]:
            await _walk(world, ticket_id, seen)
        for call in await all_calls(world):
            if call.method == "GET" and call.template != "/api/v1/stream":
                seen.add(str(call), await call.send(world, world.keys["district"][call.service]))
        for ticket_id in ids:
            seen.add("intake ticket", await world.client("intake").get(f"/api/v1/tickets/{ticket_id}",
                                                                       headers=world.headers("district", "intake")))
        messages = await _all_messages(common)
    assert len(messages) > 20 and any("ticket.received" in m["type"] for m in messages if "type" in m)
    assert any("欧***" in text for _, text in seen.texts), "the masked reporter should be visible to its district"
    assert any("139****0001" in orjson.dumps(m).decode() for m in messages), "events carry the masked reporter"
    leaks = seen.leaks()
    leaks += [f"kafka {m.get('type')}: '{s}'" for m in messages for s in SECRETS if s in orjson.dumps(m).decode()]
    out, err = capfd.readouterr()
    logs = caplog.text + out + err + "".join(str(record.__dict__) for record in caplog.records)
    assert caplog.records, "the services should have logged something"
    leaks += [f"log: '{secret}'" for secret in SECRETS if secret in logs]
    assert not leaks, "\n".join(leaks)


async def _walk(world: World, ticket_id: str, seen: Seen) -> None:
    client, headers = world.client("intake"), world.headers("district", "intake")
    await wait_for(lambda: _routed(world, ticket_id), timeout=30, interval=0.1)
    for action, body in WALK:
        response = seen.add(f"action {action}", await client.post(f"/api/v1/tickets/{ticket_id}/actions/{action}",
                                                                  json=body, headers=headers))
        assert response.status_code == 200, f"{action}: {response.text}"


async def _routed(world: World, ticket_id: str) -> bool:
    response = await world.get("intake", f"/api/v1/tickets/{ticket_id}")
    return response.json().get("state") == "routed"


async def _hotline_order(world: World, seen: Seen) -> str:
    client = world.client("intake")
    created = await client.post("/hotline/v1/integrations", json={"label": "12345 平台"},
                                headers=world.headers("district", "intake"))
    assert created.status_code == 201, created.text
    integration = created.json()
    order = {"order_no": "HL-LEAK-1", "category": "占道经营", "content": "桥头有人摆摊，影响通行",
             "grid_code": world.grids[STREET_A], "urgency": "一般", "caller": HOTLINE_CALLER}
    body = orjson.dumps(order)
    headers = hotline.signed_headers(integration["secret"], body, client_id=integration["client_id"],
                                     now=datetime.now(UTC), nonce=secrets.token_hex(8))
    response = seen.add("hotline push", await client.post("/hotline/v1/orders", content=body, headers=headers))
    assert response.status_code == 201, response.text
    read_headers = hotline.signed_headers(integration["secret"], b"", client_id=integration["client_id"],
                                          now=datetime.now(UTC), nonce=secrets.token_hex(8))
    seen.add("hotline read", await client.get("/hotline/v1/orders/HL-LEAK-1", headers=read_headers))
    return response.json()["ticket_id"]


async def _open311_request(world: World, seen: Seen) -> str:
    client, key = world.client("intake"), world.keys["district"]["intake"]
    form = {"api_key": key, "jurisdiction_id": "330903", "service_code": STREET_VENDING, "description": "路口占道",
            "lat": "29.95", "long": "122.30", "address_string": "沈家门某路", **OPEN311_CALLER}
    response = seen.add("open311 create", await client.post("/open311/v2/requests.json", data=form))
    assert response.status_code == 201, response.text
    request_id = response.json()[0]["service_request_id"]
    for fmt in ("json", "xml"):
        seen.add(f"open311 read {fmt}", await client.get(f"/open311/v2/requests/{request_id}.{fmt}",
                                                         params={"api_key": key}))
    return request_id


async def _all_messages(common: Any) -> list[dict[str, Any]]:
    """Every message on the test's topics, from the beginning, as decoded JSON (headers included)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap(common), group_id=None, enable_auto_commit=False,
                                auto_offset_reset="earliest", fetch_max_wait_ms=common.fetch_max_wait_ms)
    await consumer.start()
    try:
        partitions = [TopicPartition(common.topic_prefix + topic, p)
                      for topic in topics.ALL for p in consumer.partitions_for_topic(common.topic_prefix + topic) or ()]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        messages: list[dict[str, Any]] = []
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                messages += [_decoded(record) for record in records]
        return messages
    finally:
        await consumer.stop()


def _decoded(record: Any) -> dict[str, Any]:
    headers = {key: value.decode(errors="replace") for key, value in record.headers or ()}
    body = orjson.loads(record.value) if record.value else {}
    body = body if isinstance(body, dict) else {"value": body}
    return {**body, "headers": headers, "key": (record.key or b"").decode(errors="replace"),
            "type": headers.get("ce_type", body.get("type", ""))}
