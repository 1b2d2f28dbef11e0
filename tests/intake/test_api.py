"""Intake's REST API against the real store (SQLite and PostgreSQL) and the real broker."""

from __future__ import annotations

from services.intake.app import create_app
from services.intake.settings import Settings
from tests.builders import issue_key, ticket_body
from tests.harness import running_service


def _settings(common, target) -> Settings:
    return Settings(database_url=target.url, common=common)


async def test_created_ticket_is_readable_with_masked_reporter(database, common):
    target = database("intake")
    async with running_service(create_app, _settings(common, target), target) as (app, client):
        key = await issue_key(app.state.db, scope="330903")
        created = await client.post("/api/v1/tickets", json=ticket_body(), headers={"X-API-Key": key})
        assert created.status_code == 201, created.text
        ticket = created.json()
        assert ticket["id"].startswith("330903-") and ticket["state"] == "received"
        assert ticket["reporter"] == {"name": "张*", "phone": "138****5678", "id_number": "330903********1234"}
        read = await client.get(f"/api/v1/tickets/{ticket['id']}", headers={"X-API-Key": key})
        assert read.status_code == 200 and read.json()["jurisdiction"] == "330903001001001"
        assert "13812345678" not in read.text


async def test_missing_key_is_401_problem(database, common):
    target = database("intake")
    async with running_service(create_app, _settings(common, target), target) as (_, client):
        response = await client.get("/api/v1/tickets")
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["status"] == 401


async def test_unknown_category_names_the_field(database, common):
    target = database("intake")
    async with running_service(create_app, _settings(common, target), target) as (app, client):
        key = await issue_key(app.state.db, scope="330903")
        response = await client.post("/api/v1/tickets", json=ticket_body(category="99999999"), headers={"X-API-Key": key})
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "category"


async def test_street_key_cannot_create_or_see_other_street(database, common):
    target = database("intake")
    async with running_service(create_app, _settings(common, target), target) as (app, client):
        district = await issue_key(app.state.db, scope="330903")
        street2 = await issue_key(app.state.db, scope="330903002")
        created = (await client.post("/api/v1/tickets", json=ticket_body(), headers={"X-API-Key": district})).json()
        forbidden = await client.post("/api/v1/tickets", json=ticket_body(), headers={"X-API-Key": street2})
        assert forbidden.status_code == 403
        hidden = await client.get(f"/api/v1/tickets/{created['id']}", headers={"X-API-Key": street2})
        assert hidden.status_code == 404
        listed = await client.get("/api/v1/tickets", headers={"X-API-Key": street2})
        assert listed.json()["items"] == []


async def test_idempotency_key_returns_the_first_ticket(database, common):
    target = database("intake")
    async with running_service(create_app, _settings(common, target), target) as (app, client):
        key = await issue_key(app.state.db, scope="330903")
        headers = {"X-API-Key": key, "Idempotency-Key": "abc-1"}
        first = await client.post("/api/v1/tickets", json=ticket_body(), headers=headers)
        second = await client.post("/api/v1/tickets", json=ticket_body(), headers=headers)
        assert first.json()["id"] == second.json()["id"]


async def test_concurrent_posts_share_transactions_but_get_distinct_numbers(database, common):
    """Group commit: many POSTs at once are written in shared transactions, each answered with its own ticket."""
    import asyncio

    target = database("intake")
    async with running_service(create_app, _settings(common, target), target) as (app, client):
        key = await issue_key(app.state.db, scope="330903")
        headers = {"X-API-Key": key}
        replies = await asyncio.gather(*(
            client.post("/api/v1/tickets", json=ticket_body(description=f"第{i}号楼下占道经营"), headers=headers)
            for i in range(40)))
        assert [r.status_code for r in replies] == [201] * 40
        tickets = [r.json() for r in replies]
        assert len({t["id"] for t in tickets}) == 40
        assert [t["description"] for t in tickets] == [f"第{i}号楼下占道经营" for i in range(40)]
        assert app.state.db.group.batches < 40
        for ticket in tickets[::13]:
            read = await client.get(f"/api/v1/tickets/{ticket['id']}", headers=headers)
            assert read.json()["description"] == ticket["description"]


async def test_concurrent_retries_with_one_idempotency_key_make_one_ticket(database, common):
    import asyncio

    target = database("intake")
    async with running_service(create_app, _settings(common, target), target) as (app, client):
        key = await issue_key(app.state.db, scope="330903")
        headers = {"X-API-Key": key, "Idempotency-Key": "same-retry"}
        replies = await asyncio.gather(*(client.post("/api/v1/tickets", json=ticket_body(), headers=headers)
                                         for _ in range(8)))
        assert {r.status_code for r in replies} == {201}
        assert len({r.json()["id"] for r in replies}) == 1
        listed = await client.get("/api/v1/tickets", headers={"X-API-Key": key})
        assert len(listed.json()["items"]) == 1
