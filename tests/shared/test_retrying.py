"""`Database.retrying`: a unit of work PostgreSQL rolled back as a deadlock's victim runs again; other errors don't."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import Column, Integer, Table, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from shared.db import Database, UnitOfWork, create_schema, make_engine, new_base
from tests.harness import create_pg_schema

Base = new_base()
counters = Table("counters", Base.metadata, Column("id", Integer, primary_key=True), Column("value", Integer))


async def open_db(url: str, schema: str | None = None) -> Database:
    if schema:
        await create_pg_schema(url, schema)
    db = Database(make_engine(url, schema=schema), Base.metadata, service="test", district="330903")
    await create_schema(db.engine, db.metadata)
    async with db.uow() as uow:
        await uow.session.execute(counters.insert(), [{"id": 1, "value": 0}, {"id": 2, "value": 0}])
        await uow.commit()
    return db


async def add(uow: UnitOfWork, row: int) -> None:
    await uow.session.execute(update(counters).where(counters.c.id == row).values(value=counters.c.value + 1))


async def test_a_deadlock_victim_runs_again_and_both_transactions_land(pg_database) -> None:
    if pg_database is None:
        pytest.skip("PostgreSQL is not among this run's test databases (GRIDGOV_TEST_DATABASES)")
    db = await open_db(pg_database, f"t_retry_{uuid.uuid4().hex[:10]}")
    attempts = 0
    other_has_row_2, first_waits = asyncio.Event(), asyncio.Event()

    async def rows_1_then_2(uow: UnitOfWork) -> None:
        nonlocal attempts
        attempts += 1
        await uow.session.execute(text("SET LOCAL deadlock_timeout = '100ms'"))
        await add(uow, 1)
        if attempts == 1:
            await other_has_row_2.wait()
            first_waits.set()
        await add(uow, 2)  # the first attempt waits for the other transaction: it detects the cycle, and loses
        await uow.commit()

    async def rows_2_then_1() -> None:
        async with db.uow() as uow:
            await uow.session.execute(text("SET LOCAL deadlock_timeout = '10s'"))
            await add(uow, 2)
            other_has_row_2.set()
            await first_waits.wait()
            await asyncio.sleep(0.05)
            await add(uow, 1)
            await uow.commit()

    try:
        await asyncio.wait_for(asyncio.gather(db.retrying(rows_1_then_2), rows_2_then_1()), timeout=30)
        assert attempts == 2
        async with db.reader() as uow:
            assert dict((await uow.session.execute(select(counters.c.id, counters.c.value))).all()) == {1: 2, 2: 2}
    finally:
        await db.dispose()


async def test_other_errors_are_not_run_again(database) -> None:
    target = database("retry")
    db = await open_db(target.url, target.schema)
    attempts = 0

    async def duplicate(uow: UnitOfWork) -> None:
        nonlocal attempts
        attempts += 1
        await uow.session.execute(counters.insert().values(id=1, value=9))
        await uow.commit()

    try:
        with pytest.raises(IntegrityError) as raised:
            await db.retrying(duplicate)
        assert isinstance(raised.value, DBAPIError) and attempts == 1
    finally:
        await db.dispose()
