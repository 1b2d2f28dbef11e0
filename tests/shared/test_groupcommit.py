"""Group commit on the real databases: concurrent callers share transactions, each keeps its own outcome."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Column, String, Table, func, select

from shared import telemetry
from shared.db import Database, UnitOfWork, create_schema, make_engine, new_base
from tests.harness import create_pg_schema
from tests.shared.test_bus import received

Base = new_base()
things = Table("things", Base.metadata, Column("id", String(20), primary_key=True))


async def open_db(target) -> Database:
    if target.schema:
        await create_pg_schema(target.url, target.schema)
    db = Database(make_engine(target.url, schema=target.schema), Base.metadata, service="test", district="330903")
    await create_schema(db.engine, db.metadata)
    return db


def insert(ident: str, sizes: list[int]):
    async def work(uow: UnitOfWork) -> str:
        sizes.append(uow.size_hint)
        await uow.session.execute(things.insert().values(id=ident))
        uow.publish(received(f"330903-20261125-{ident}"), key=ident)
        return ident
    return work


async def counts(db: Database) -> tuple[int, int]:
    async with db.engine.connect() as connection:
        rows = (await connection.execute(select(func.count()).select_from(things))).scalar_one()
        events = (await connection.execute(select(func.count()).select_from(db.outbox))).scalar_one()
    return rows, events


async def test_concurrent_callers_share_transactions_and_each_gets_its_result(database) -> None:
    db = await open_db(database("group"))
    try:
        sizes: list[int] = []
        results = await asyncio.gather(*(db.group.run(insert(f"{i:06d}", sizes)) for i in range(50)))
        assert results == [f"{i:06d}" for i in range(50)]
        assert await counts(db) == (50, 50)
        assert db.group.items == 50 and db.group.batches < 50  # callers queued behind a batch shared the next
        assert max(sizes) > 1
    finally:
        await db.dispose()


async def test_one_failing_item_fails_only_its_caller(database) -> None:
    db = await open_db(database("group"))
    try:
        sizes: list[int] = []

        async def broken(uow: UnitOfWork) -> str:
            await uow.session.execute(things.insert().values(id="dup"))
            await uow.session.execute(things.insert().values(id="dup"))  # primary key violated
            return "never"

        calls = [db.group.run(insert(f"{i:06d}", sizes)) for i in range(10)]
        calls.insert(5, db.group.run(broken))
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
        assert [type(o).__name__ for o in outcomes].count("IntegrityError") == 1
        assert isinstance(outcomes[5], Exception)
        assert [o for i, o in enumerate(outcomes) if i != 5] == [f"{i:06d}" for i in range(10)]
        assert await counts(db) == (10, 10)  # the good ones committed once each, the broken one left nothing
    finally:
        await db.dispose()


async def test_events_carry_each_callers_own_trace(database) -> None:
    db = await open_db(database("group"))
    try:
        async def traced(name: str) -> tuple[str | None, str]:
            with telemetry.span_from(None, name):
                parent = telemetry.current_traceparent()

                async def work(uow: UnitOfWork) -> str:
                    return uow.publish(received(f"330903-20261125-{name}"), key=name)
                return parent, await db.group.run(work)

        pairs = await asyncio.gather(*(traced(f"{i:06d}") for i in range(20)))
        async with db.engine.connect() as connection:
            headers = dict((await connection.execute(select(db.outbox.c.event_id, db.outbox.c.headers))).all())
        for parent, event_id in pairs:
            assert parent is not None
            trace_id = parent.split("-")[1]
            assert trace_id in headers[event_id].decode()
        assert len({parent for parent, _ in pairs}) == 20
    finally:
        await db.dispose()


@pytest.mark.parametrize("size", [1, 3])
async def test_a_caller_alone_runs_in_a_batch_of_one(database, size: int) -> None:
    db = await open_db(database("group"))
    try:
        sizes: list[int] = []
        for i in range(size):
            assert await db.group.run(insert(f"{i:06d}", sizes)) == f"{i:06d}"
        assert sizes == [1] * size
    finally:
        await db.dispose()
