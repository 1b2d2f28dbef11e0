"""Lifecycle commands over HTTP and events from routing/escalation, on the real store and broker."""

from __future__ import annotations

from datetime import UTC, datetime

from services.intake.app import create_app
from shared.events.ticket import TicketSupervised
from tests.builders import issue_key, ticket_body
from tests.harness import wait_for
from tests.intake.support import UNIT, publish_as, routed, running_intake, settings


async def _created(client, key) -> dict:
    response = await client.post("/api/v1/tickets", json=ticket_body(), headers={"X-API-Key": key})
    assert response.status_code == 201, response.text
    return response.json()


async def _routed(app, client, key) -> dict:
    """A new ticket, routed by routing's event, as intake shows it."""
    ticket = await _created(client, key)
    await publish_as(app, "routing", routed(ticket["id"]), key=ticket["id"])
    return await wait_for(lambda: _state_is(client, key, ticket["id"], "routed"))


async def _state_is(client, key, ticket_id, state):
    ticket = (await client.get(f"/api/v1/tickets/{ticket_id}", headers={"X-API-Key": key})).json()
    return ticket if ticket["state"] == state else None


async def test_signing_an_unrouted_ticket_is_409_naming_the_allowed_states(database, common):
    target = database("intake")
    async with running_intake(create_app, settings(common, target), target) as (app, client):
        key = await issue_key(app.state.db, scope="330903")
        ticket = await _created(client, key)
        response = await client.post(f"/api/v1/tickets/{ticket['id']}/actions/sign", headers={"X-API-Key": key})
        assert response.status_code == 409
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "allowed in: routed, reopened" in response.json()["detail"]


async def test_routed_ticket_walks_the_main_path_with_a_full_timeline(database, common):
    target = database("intake")
    async with running_intake(create_app, settings(common, target), target) as (app, client):
        key, headers = await issue_key(app.state.db, scope="330903"), {}
        headers = {"X-API-Key": key}
        ticket = await _created(client, key)
        await publish_as(app, "routing", routed(ticket["id"]), key=ticket["id"])
        read = await wait_for(lambda: _state_is(client, key, ticket["id"], "routed"))
        assert read["assignment"]["unit_code"] == UNIT and "sign" in read["allowed_actions"]
        for action, body in [("sign", None), ("start", None), ("resolve", {"result": "已清理"}),
                             ("verify", {"passed": True}), ("close", None), ("evaluate", {"rating": "满意"})]:
            response = await client.post(f"/api/v1/tickets/{ticket['id']}/actions/{action}", json=body,
                                         headers=headers)
            assert response.status_code == 200, (action, response.text)
        final = response.json()
        assert (final["state"], final["rating"], final["result"]) == ("closed", "满意", "已清理")
        assert [e["type"] for e in final["timeline"]] == [
            "received", "routed", "signed", "started", "resolved", "verified", "closed", "evaluated"]


async def test_invalid_command_body_is_422_naming_the_field(database, common):
    target = database("intake")
    async with running_intake(create_app, settings(common, target), target) as (app, client):
        key = await issue_key(app.state.db, scope="330903")
        ticket = await _created(client, key)
        response = await client.post(f"/api/v1/tickets/{ticket['id']}/actions/not_accept", json={"reson": "x"},
                                     headers={"X-API-Key": key})
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == "reason"
        unknown = await client.post(f"/api/v1/tickets/{ticket['id']}/actions/teleport", headers={"X-API-Key": key})
        assert unknown.status_code == 404


async def test_not_accepted_ticket_cannot_be_reopened(database, common):
    target = database("intake")
    async with running_intake(create_app, settings(common, target), target) as (app, client):
        key = await issue_key(app.state.db, scope="330903")
        ticket = await _created(client, key)
        refused = await client.post(f"/api/v1/tickets/{ticket['id']}/actions/not_accept",
                                    json={"reason": "重复反映"}, headers={"X-API-Key": key})
        assert refused.json()["state"] == "not_accepted"
        reopen = await client.post(f"/api/v1/tickets/{ticket['id']}/actions/reopen", json={"reason": "再次来电"},
                                   headers={"X-API-Key": key})
        assert reopen.status_code == 409


async def test_viewer_cannot_act_and_other_street_does_not_see_the_ticket(database, common):
    target = database("intake")
    async with running_intake(create_app, settings(common, target), target) as (app, client):
        key = await issue_key(app.state.db, scope="330903")
        viewer = await issue_key(app.state.db, scope="330903", roles=["viewer"])
        other = await issue_key(app.state.db, scope="330903002")
        ticket = await _created(client, key)
        path = f"/api/v1/tickets/{ticket['id']}/actions/not_accept"
        assert (await client.post(path, json={"reason": "x"}, headers={"X-API-Key": viewer})).status_code == 403
        assert (await client.post(path, json={"reason": "x"}, headers={"X-API-Key": other})).status_code == 404


async def test_supervision_from_escalation_lands_in_the_timeline_once(database, common):
    target = database("intake")
    async with running_intake(create_app, settings(common, target), target) as (app, client):
        key = await issue_key(app.state.db, scope="330903")
        ticket = await _routed(app, client, key)
        supervised = TicketSupervised(ticket_id=ticket["id"], occurred_at=datetime.now(UTC),
                                      jurisdiction="330903001001001", clock="sign_off", unit_code=UNIT,
                                      supervisor_level="street", reason="超时未签收")
        await publish_as(app, "escalation", supervised, key=ticket["id"])

        async def supervised_once():
            read = await _state_is(client, key, ticket["id"], "routed")
            return read if read and [e["type"] for e in read["timeline"]].count("supervised") == 1 else None

        read = await wait_for(supervised_once)
        assert read["timeline"][-1]["actor"] == "escalation"


async def test_own_events_are_not_applied_twice(database, common):
    target = database("intake")
    async with running_intake(create_app, settings(common, target), target) as (app, client):
        key = await issue_key(app.state.db, scope="330903")
        ticket = await _created(client, key)
        response = await client.post(f"/api/v1/tickets/{ticket['id']}/actions/supervise",
                                     json={"reason": "领导督办"}, headers={"X-API-Key": key})
        assert response.status_code == 200
        await publish_as(app, "routing", routed(ticket["id"]), key=ticket["id"])  # arrives after our own event
        read = await wait_for(lambda: _state_is(client, key, ticket["id"], "routed"))
        assert [e["type"] for e in read["timeline"]].count("supervised") == 1


async def test_grid_worker_fix_on_the_spot_is_closed_at_once_and_keeps_photos(database, common):
    target = database("intake")
    async with running_intake(create_app, settings(common, target), target) as (app, client):
        worker = await issue_key(app.state.db, scope="330903001001", roles=["grid_worker"])
        body = {**ticket_body(), "self_resolved": True,
                "photos": [{"url": "https://img.example.cn/a.jpg", "taken_at": "2026-11-24T09:00:00+08:00"}]}
        created = await client.post("/api/v1/grid-reports", json=body, headers={"X-API-Key": worker})
        assert created.status_code == 201, created.text
        ticket = created.json()
        assert (ticket["state"], ticket["channel"], ticket["self_resolved"]) == ("closed", "grid_worker", True)
        assert [e["type"] for e in ticket["timeline"]] == ["received", "closed"]
        assert ticket["attachments"][0]["url"] == "https://img.example.cn/a.jpg"
        outside = await client.post("/api/v1/grid-reports", json={**body, "grid_code": "330903002001001"},
                                     headers={"X-API-Key": worker})
        assert outside.status_code == 403


async def test_a_command_meeting_a_concurrent_change_runs_again_and_keeps_both(database, common, monkeypatch):
    """Ticket rows are versioned: every update checks that nobody changed the row since it was read. A command
    whose ticket another transaction changed meanwhile (here: escalation's supervision, landing between the
    command's read and its write) runs again on the fresh row, so neither change is lost. SQLite's single writer
    cannot interleave two transactions; there the test checks that each update moves the version on."""
    from sqlalchemy import select

    from services.intake import handlers, store
    from services.intake.handlers.tickets import record

    target = database("intake")
    async with running_intake(create_app, settings(common, target), target) as (app, client):
        key = await issue_key(app.state.db, scope="330903")
        ticket = await _routed(app, client, key)
        db, act, calls = app.state.db, handlers.act, []

        async def version() -> int:
            async with db.reader() as uow:
                return int(await uow.session.scalar(select(store.TicketRow.version).where(
                    store.TicketRow.id == ticket["id"])))

        async def act_meeting_a_supervision(uow, ticket_id, command, **kwargs):
            calls.append(command)
            if len(calls) == 1 and target.backend == "postgres":
                async with db.uow() as other:  # another connection: commits between our read and our write
                    row = await store.get_ticket(other, ticket_id)
                    supervised = TicketSupervised(ticket_id=ticket_id, occurred_at=datetime.now(UTC),
                                                  jurisdiction=row.jurisdiction, clock="sign_off", unit_code=UNIT,
                                                  supervisor_level="street", reason="超时未签收")
                    await record(other, row, [supervised], now=datetime.now(UTC), publish=False)
                    await other.commit()
            return await act(uow, ticket_id, command, **kwargs)

        before = await version()
        monkeypatch.setattr(handlers, "act", act_meeting_a_supervision)
        response = await client.post(f"/api/v1/tickets/{ticket['id']}/actions/sign", headers={"X-API-Key": key})
        after = await version()
    assert response.status_code == 200, response.text
    types = [entry["type"] for entry in response.json()["timeline"]]
    if target.backend == "postgres":
        assert len(calls) == 2 and types == ["received", "routed", "supervised", "signed"]
        assert after == before + 2
    else:
        assert len(calls) == 1 and types == ["received", "routed", "signed"] and after == before + 1
