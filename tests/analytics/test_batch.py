"""Counters written once per consumed batch equal the counters of the same events handled one by one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, select

from services.analytics import store
from services.analytics.handlers import on_ticket_event
from shared.bus.envelope import Envelope, new_event_id
from shared.db import Database, create_schema, make_engine
from shared.events import ticket as ev
from tests.harness import create_pg_schema

from .builders import GRID, STREET_UNIT, at, closed, common, evaluated, overdue, received, reopened, resolved, \
    returned, routed, signed, verified

TICKET = "330903-20260302-000001"
PLACE = "330903001001002"


def one_ticket_many_events() -> list[ev.TicketEvent]:
    """Received at the community, geocoded to a grid, returned, re-routed, late, failed, reopened, rated."""
    return [
        received(TICKET, jurisdiction=GRID[:12], grid_code=None),
        ev.TicketLocated(**common(TICKET, 0.05), grid_code=GRID, inside=True),
        routed(TICKET), signed(TICKET), returned(TICKET),
        routed(TICKET, hours=1.5, unit=STREET_UNIT, level="street", reason="returned", sequence=2, due=at(30)),
        signed(TICKET, hours=2, unit=STREET_UNIT), overdue(TICKET, hours=31),
        resolved(TICKET, hours=32, unit=STREET_UNIT), verified(TICKET, hours=33, passed=False),
        resolved(TICKET, hours=40, unit=STREET_UNIT), verified(TICKET, hours=41), closed(TICKET, hours=42),
        evaluated(TICKET, hours=43, rating="不满意"), reopened(TICKET, hours=44),
        resolved(TICKET, hours=50, unit=STREET_UNIT), closed(TICKET, hours=51), evaluated(TICKET, hours=52),
    ]


def same_place_receipts() -> list[ev.TicketEvent]:
    """Four same-day complaints at one grid: repeats of each other and a spike, all in the batch."""
    return [received(f"330903-20260302-00010{n}", hours=n, jurisdiction=PLACE, grid_code=PLACE) for n in range(1, 5)]


@asynccontextmanager
async def handler_db(target: Any) -> AsyncIterator[Database]:
    if target.schema:
        await create_pg_schema(target.url, target.schema)
    db = Database(make_engine(target.url, schema=target.schema), store.Base.metadata, service="analytics",
                  district="330903")
    await create_schema(db.engine, db.metadata)
    try:
        yield db
    finally:
        await db.dispose()


async def handle(db: Database, events: list[ev.TicketEvent], *, batch_size: int) -> None:
    """Handle ``events`` in consumed batches of ``batch_size``, each in one transaction, as the consumer does."""
    for first in range(0, len(events), batch_size):
        chunk = events[first:first + batch_size]
        async with db.uow() as uow:
            uow.batch = [_envelope(event) for event in chunk]
            for event in chunk:
                await on_ticket_event(event, uow)
            await uow.commit()


def _envelope(event: ev.TicketEvent) -> Envelope:
    return Envelope(id=new_event_id(), source="/gridgov/intake/330903", type=event.ce_type, time=event.occurred_at,
                    subject=event.ticket_id, jurisdiction=event.jurisdiction, data=event)


async def snapshot(db: Database) -> dict[str, Any]:
    """Every non-zero counter, every fact and every alert id."""
    counters, facts = store.CounterRow.__table__, store.FactRow.__table__
    async with db.uow() as uow:
        rows = await uow.session.execute(select(counters))
        amounts = {tuple(row[:-1]): row[-1] for row in rows if row[-1]}
        data = {tid: d for tid, d in await uow.session.execute(select(facts.c.ticket_id, facts.c.data))}
        alerts = set((await uow.session.execute(select(store.AlertRow.alert_id))).scalars())
    return {"counters": amounts, "facts": data, "alerts": alerts}


async def test_one_batch_of_a_tickets_many_events_gives_the_counters_of_one_by_one(database):
    events = one_ticket_many_events() + same_place_receipts()
    async with handler_db(database("analytics")) as batched, handler_db(database("analytics")) as alone:
        await handle(batched, events, batch_size=len(events))
        await handle(alone, events, batch_size=1)
        together, separately = await snapshot(batched), await snapshot(alone)
    assert together == separately
    assert together["facts"][TICKET]["jurisdiction"] == GRID and together["facts"][TICKET]["reopens"] == 1
    key = ("330903001", "all", "day", at(0).date(), "")
    assert together["counters"][(*key, "received")] == 5 and together["counters"][(*key, "solved")] == 1
    assert together["counters"][(*key, "repeat")] == 3
    assert {"spike-330903001001002-01010101-20260302", "repeat-330903-20260302-000101"} <= together["alerts"]
    assert together["counters"][(GRID, "all", "day", at(0).date(), "", "received")] == 1


async def test_batches_split_anywhere_agree_with_one_by_one(database):
    events = same_place_receipts() + one_ticket_many_events()
    async with handler_db(database("analytics")) as batched, handler_db(database("analytics")) as alone:
        await handle(batched, events, batch_size=5)
        await handle(alone, events, batch_size=1)
        assert await snapshot(batched) == await snapshot(alone)


async def test_a_batch_reads_its_receipts_complaints_and_day_series_in_one_query_each(database):
    """Each receipt looks for repeats among its community's complaints and tests its grid's and community's day
    series: both read ahead once per batch, not three times per receipt, and the alerts and counters stay those
    of one-by-one handling."""
    events = same_place_receipts() + [received(f"330903-20260302-00020{n}", hours=n, jurisdiction=GRID,
                                               grid_code=GRID) for n in range(1, 4)]
    async with handler_db(database("analytics")) as batched, handler_db(database("analytics")) as alone:
        reads = _count_reads(batched)
        await handle(batched, events, batch_size=len(events))
        assert reads == {"counters": 1, "facts": 2}  # the facts: the batch's tickets, then the complaints
        await handle(alone, events, batch_size=1)
        assert await snapshot(batched) == await snapshot(alone)


def _count_reads(db: Database) -> dict[str, int]:
    """SELECTs on ``db``'s counters and facts, counted as they run."""
    reads = {"counters": 0, "facts": 0}

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def _count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            for table in reads:
                reads[table] += f"FROM {table}" in statement

    return reads
