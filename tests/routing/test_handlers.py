"""Routing's consumers on the real broker and store: tickets routed, returned, held for geocoding; the replica."""

from __future__ import annotations

from datetime import UTC, datetime

from services.routing import store
from services.routing.app import create_app
from shared.events.registry import GridUpserted, UnitUpserted
from shared.events.ticket import TicketLocated, TicketReturned
from tests.builders import issue_key
from tests.harness import running_service, wait_for
from tests.routing.routing_world import GRID, NEIGHBOUR_DISPUTE, ROADSIDE_VENDING
from tests.routing.service_world import decisions_of, publish, received, seed_replica, settings_for


async def test_received_ticket_is_routed_to_the_street_enforcement_platform(database, common):
    target = database("routing")
    async with running_service(create_app, settings_for(common, target), target) as (app, client):
        await seed_replica(app)
        headers = {"X-API-Key": await issue_key(app.state.db, scope="330903")}
        await publish(app, received("330903-20261124-000001", ROADSIDE_VENDING))
        body = await wait_for(decisions_of(client, "330903-20261124-000001", headers))
        decision = body["decisions"][0]
        assert decision["assignment"]["unit_code"] == "330903001-enforcement"
        assert decision["assignment"]["due_at"] is not None
        assert (decision["reason"], decision["reason_zh"], decision["rule_version"]) == ("initial", "首次分派", "default")
        lead = next(step for step in decision["explanation"] if step["rule"] == "lead")
        assert lead["单位"] == "330903001-enforcement" and lead["原因"].startswith("主办单位")


async def test_three_returns_send_the_ticket_to_the_center_for_arbitration(database, common):
    target = database("routing")
    async with running_service(create_app, settings_for(common, target), target) as (app, client):
        await seed_replica(app)
        headers = {"X-API-Key": await issue_key(app.state.db, scope="330903")}
        ticket_id = "330903-20261124-000002"
        await publish(app, received(ticket_id, NEIGHBOUR_DISPUTE))
        body = await wait_for(decisions_of(client, ticket_id, headers))
        for count in (2, 3, 4):
            lead = body["decisions"][-1]["assignment"]["unit_code"]
            await publish(app, TicketReturned(ticket_id=ticket_id, occurred_at=datetime.now(UTC), jurisdiction=GRID,
                                              unit_code=lead, reason="不属于本单位职责", actor="tester"))
            body = await wait_for(decisions_of(client, ticket_id, headers, count=count))
        assert [d["assignment"]["unit_code"] for d in body["decisions"]] == [
            "330903001001-community", "330903001-governance", "330903-civil_affairs", "330903-center"]
        assert (body["returns"], body["arbitration"], body["first_unit_code"]) == (3, True, "330903001001-community")
        assert body["decisions"][-1]["reason"] == "arbitration"


async def test_ticket_waiting_for_its_geocode_is_routed_once_located(database, common):
    target = database("routing")
    async with running_service(create_app, settings_for(common, target), target) as (app, client):
        await seed_replica(app)
        headers = {"X-API-Key": await issue_key(app.state.db, scope="330903")}
        ticket_id = "330903-20261124-000003"
        await publish(app, received(ticket_id, ROADSIDE_VENDING, grid=None, geocode_pending=True))
        pending = await wait_for(lambda: _row(app, ticket_id))
        assert pending.pending is True and pending.state is None
        await publish(app, TicketLocated(ticket_id=ticket_id, occurred_at=datetime.now(UTC), jurisdiction="330903002001001",
                                         grid_code="330903002001001", inside=True))
        body = await wait_for(decisions_of(client, ticket_id, headers))
        assert body["decisions"][0]["assignment"]["unit_code"] == "330903002-park_office"


async def test_a_ticket_received_twice_is_routed_once(database, common):
    target = database("routing")
    async with running_service(create_app, settings_for(common, target), target) as (app, client):
        await seed_replica(app)
        headers = {"X-API-Key": await issue_key(app.state.db, scope="330903")}
        event = received("330903-20261124-000004", ROADSIDE_VENDING)
        await publish(app, event)
        await publish(app, event, received("330903-20261124-000005", ROADSIDE_VENDING))
        await wait_for(decisions_of(client, "330903-20261124-000005", headers))
        body = await wait_for(decisions_of(client, "330903-20261124-000004", headers))
        assert len(body["decisions"]) == 1


async def test_registry_events_keep_the_replica(database, common):
    target = database("routing")
    async with running_service(create_app, settings_for(common, target), target) as (app, _):
        now = datetime.now(UTC)
        await publish(app, UnitUpserted(occurred_at=now, jurisdiction="330903009", code="330903009-enforcement",
                                        name="综合执法平台", kind="street_platform", level="street",
                                        division_code="330903009", function="综合执法"),
                      GridUpserted(occurred_at=now, jurisdiction="330903009001001", code="330903009001001",
                                   name="海上一网格", kind="sea", grid_class="A", community_code="330903009001"))
        replica = await wait_for(lambda: _replica(app, "330903009001001"))
        assert replica.units["330903009-enforcement"].function == "enforcement"
        assert replica.grids["330903009001001"].kind == "sea"


async def _row(app, ticket_id: str) -> store.TicketRoutingRow | None:
    async with app.state.db.uow() as uow:
        return await store.get_ticket(uow, ticket_id)


async def _replica(app, code: str):
    async with app.state.db.uow() as uow:
        replica = await store.replica_around(uow, code)
    return replica if replica.units and replica.grids else None


async def test_a_ticket_located_in_the_batch_that_received_it_is_routed(database, common):
    """Under a backlog a ticket's TicketReceived (waiting for its geocode) and its TicketLocated reach routing in one
    consumed batch: the located handler must find the row the received one created in the same transaction."""
    target = database("routing")
    async with running_service(create_app, settings_for(common, target), target) as (app, client):
        await seed_replica(app)
        headers = {"X-API-Key": await issue_key(app.state.db, scope="330903")}
        ticket_id = "330903-20261124-000013"
        await publish(app, received(ticket_id, ROADSIDE_VENDING, grid=None, geocode_pending=True),
                      TicketLocated(ticket_id=ticket_id, occurred_at=datetime.now(UTC), jurisdiction="330903002001001",
                                    grid_code="330903002001001", inside=True))
        body = await wait_for(decisions_of(client, ticket_id, headers))
        assert body["decisions"][0]["assignment"]["unit_code"] == "330903002-park_office"
        row = await _row(app, ticket_id)
        assert row is not None and row.pending is False
