"""Analytics's consumers on the real broker and store: facts, counters, alerts, registry replica, live tail."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from services.analytics import store
from services.analytics.app import create_app
from services.analytics.domain.readmodel import BucketKey
from services.analytics.settings import Settings
from shared.events.base import Event
from shared.events.registry import DivisionUpserted, UnitUpserted
from tests.harness import running_service, wait_for

from .builders import COMMUNITY_UNIT, GRID, at, life, received

DAY = date(2026, 3, 2)


def settings_for(common, target) -> Settings:
    # A registry nobody listens on: the bootstrap must not reach a `make run` instance on the default port.
    return Settings(database_url=target.url, common=common, registry_url="http://127.0.0.1:9")


async def publish(app, events: list[Event], *, key: str | None = None) -> None:
    """Publish through the app's own outbox; one ``key`` keeps several tickets' events in order."""
    async with app.state.db.uow() as uow:
        for event in events:
            uow.publish(event, key=key or getattr(event, "ticket_id", None) or getattr(event, "code", "registry"))
        await uow.commit()


async def counter(app, key: BucketKey, name: str) -> int:
    async with app.state.db.uow() as uow:
        return (await store.read_counters(uow, prefix=key.prefix, dim=key.dim,
                                          buckets=[(key.period, key.start)])).get(key.value, {}).get(name, 0)


async def test_ticket_life_lands_in_fact_and_counters_of_every_prefix(database, common):
    target = database("analytics")
    async with running_service(create_app, settings_for(common, target), target) as (app, _):
        await publish(app, [DivisionUpserted(occurred_at=at(-1), jurisdiction=GRID[:12], code=GRID[:12], name="东港社区",
                                             level="community", parent_code=GRID[:9], community_class="B")])
        await wait_for(lambda: _division_known(app))
        await publish(app, life())
        street_month = BucketKey("330903001", "month", date(2026, 3, 1), "all", "")
        await wait_for(lambda: _equals(counter(app, street_month, "satisfied"), 1))
        assert await counter(app, street_month, "solved_locally") == 1
        assert await counter(app, BucketKey(GRID, "day", DAY, "unit", COMMUNITY_UNIT), "closed") == 1
        assert await counter(app, BucketKey("330903", "month", date(2026, 3, 1), "class", "B"), "received") == 1
        async with app.state.db.uow() as uow:
            fact = await store.get_fact(uow, "330903-20260302-000001")
        assert fact is not None and fact.rating == "满意" and fact.community_class == "B"


async def _division_known(app) -> bool:
    async with app.state.db.uow() as uow:
        return await uow.session.get(store.DivisionRow, GRID[:12]) is not None


async def _equals(value, expected) -> bool:
    return await value == expected


async def test_third_same_day_complaint_at_one_grid_raises_spike_and_repeat_alerts_once(database, common):
    target = database("analytics")
    async with running_service(create_app, settings_for(common, target), target) as (app, _):
        await publish(app, [received(f"330903-20260302-00000{n}", hours=n) for n in range(1, 5)], key="one-partition")
        await wait_for(lambda: _alert_ids(app), timeout=20)
        await wait_for(lambda: _fact_count(app, 4))
        ids = await _alert_ids(app)
        assert {"spike-330903001001-01010101-20260302", "spike-330903001001001-01010101-20260302",
                "repeat-330903-20260302-000001"} <= ids and len(ids) == 3
        async with app.state.db.uow() as uow:
            outbox = app.state.db.outbox
            published = (await uow.session.execute(select(outbox.c.ce_type))).scalars().all()
            fact = await store.get_fact(uow, "330903-20260302-000004")
        assert published.count("cn.gridgov.alert.raised.v1") == 3
        assert fact is not None and fact.repeat_of == "330903-20260302-000003"
        hub = app.state.hub
        await wait_for(lambda: sum(1 for i in hub.ring.after(0, prefix="") if i.payload["type"] == "raised") == 3)


async def _alert_ids(app) -> set[str]:
    async with app.state.db.uow() as uow:
        return set((await uow.session.execute(select(store.AlertRow.alert_id))).scalars())


async def _fact_count(app, n: int) -> bool:
    async with app.state.db.uow() as uow:
        return len((await uow.session.execute(select(store.FactRow.ticket_id))).scalars().all()) == n


async def test_unit_replica_names_units(database, common):
    target = database("analytics")
    async with running_service(create_app, settings_for(common, target), target) as (app, _):
        await publish(app, [UnitUpserted(occurred_at=at(0), jurisdiction=GRID[:12], code=COMMUNITY_UNIT, name="东港社区两委",
                                         kind="community_committee", level="community", division_code=GRID[:12])])

        async def named() -> bool:
            async with app.state.db.uow() as uow:
                return await store.names_of_units(uow, [COMMUNITY_UNIT]) == {COMMUNITY_UNIT: "东港社区两委"}

        await wait_for(named)
