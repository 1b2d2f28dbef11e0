"""The SQLite driver: write transactions run in the loop's thread once they hold the lock, and only then."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time

import aiosqlite
from sqlalchemy import Column, String, Table, func, select, text

from shared.db import Database, create_schema, make_engine, new_base

Base = new_base()
notes = Table("notes", Base.metadata, Column("id", String(20), primary_key=True))


async def engine_at(tmp_path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/driver.db")
    await create_schema(engine, Base.metadata)
    return engine


def writer(engine):
    return engine.execution_options(gridgov_writer=True)


async def test_statements_of_a_write_transaction_run_in_the_loop_thread_and_reads_outside_do_not(tmp_path):
    engine = await engine_at(tmp_path)
    loop_thread = threading.get_ident()
    seen: dict[str, int] = {}
    try:
        async with writer(engine).connect() as connection:
            raw = (await connection.get_raw_connection()).driver_connection._conn
            raw.create_function("whose_thread", 1, lambda name: seen.setdefault(name, threading.get_ident()))
            async with connection.begin():
                await connection.execute(text("SELECT whose_thread('in write')"))
                await connection.execute(notes.insert().values(id="a"))
        async with engine.connect() as connection:  # the pool hands back the same connection, for reading
            assert (await connection.execute(select(func.count()).select_from(notes))).scalar_one() == 1
            await connection.execute(text("SELECT whose_thread('read')"))
        assert seen["in write"] == loop_thread
        assert seen["read"] != loop_thread  # a plain read may be long: it keeps its trip to the thread
    finally:
        await engine.dispose()


async def test_a_rolled_back_write_transaction_leaves_nothing_and_the_connection_reads_again(tmp_path):
    engine = await engine_at(tmp_path)
    try:
        async with writer(engine).connect() as connection:
            transaction = await connection.begin()
            await connection.execute(notes.insert().values(id="gone"))
            await transaction.rollback()
            async with connection.begin():
                await connection.execute(notes.insert().values(id="kept"))
        async with engine.connect() as connection:
            ids = (await connection.execute(select(notes.c.id))).scalars().all()
        assert ids == ["kept"]
    finally:
        await engine.dispose()


async def test_waiting_for_another_process_s_write_lock_does_not_stop_the_loop(tmp_path):
    """BEGIN IMMEDIATE may wait for a writer outside this process (a CLI, a second process): it keeps its trip."""
    engine = await engine_at(tmp_path)
    other = sqlite3.connect(f"{tmp_path}/driver.db", isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    threading.Timer(0.5, other.commit).start()
    started = time.monotonic()
    try:
        async with writer(engine).begin() as connection:
            await connection.execute(notes.insert().values(id="after"))
        waited = time.monotonic() - started
        assert waited >= 0.4
        assert ticks >= 20  # the loop ran on while the write lock was awaited
    finally:
        ticker.cancel()
        other.close()
        await engine.dispose()


async def test_a_write_transaction_makes_no_trip_to_the_thread_and_a_read_makes_one(tmp_path, monkeypatch):
    """BEGIN IMMEDIATE (lock free), the statements, the commit and the pool's reset all stay in the loop's thread;
    a read sends its statement to the thread and ends in place."""
    engine = await engine_at(tmp_path)
    trips: list[str] = []
    through_thread = aiosqlite.Connection._execute

    async def counted(self, function, *args, **kwargs):
        trips.append(str(args[1]) if len(args) > 1 else getattr(function, "__name__", "?"))
        return await through_thread(self, function, *args, **kwargs)

    try:
        async with writer(engine).begin() as connection:  # the pool's first connection: its set-up may trip
            await connection.execute(notes.insert().values(id="warm"))
        monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
        for n in range(3):
            async with writer(engine).begin() as connection:
                await connection.execute(notes.insert().values(id=f"w{n}"))
        assert trips == []
        async with engine.connect() as connection:
            assert (await connection.execute(select(func.count()).select_from(notes))).scalar_one() == 4
        assert len(trips) == 1 and trips[0].startswith("SELECT count")
    finally:
        await engine.dispose()


async def test_a_deferred_transaction_that_writes_commits_through_the_thread(tmp_path):
    """Without the writer option a transaction starts deferred; once it wrote, its commit keeps its trip."""
    engine = await engine_at(tmp_path)
    try:
        async with engine.begin() as connection:
            await connection.execute(notes.insert().values(id="deferred"))
        other = sqlite3.connect(f"{tmp_path}/driver.db")
        try:
            assert other.execute("SELECT id FROM notes").fetchall() == [("deferred",)]
        finally:
            other.close()
    finally:
        await engine.dispose()


async def test_a_task_writing_in_a_loop_lets_other_tasks_run(tmp_path):
    """A free writer lock and an in-thread transaction never yield by themselves: each unit of work takes one turn."""
    base = new_base()
    Table("notes", base.metadata, Column("id", String(20), primary_key=True))
    db = Database(make_engine(f"sqlite+aiosqlite:///{tmp_path}/loop.db"), base.metadata, service="t", district="330903")
    await create_schema(db.engine, db.metadata)
    turns = 0

    async def other_task() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    other = asyncio.create_task(other_task())
    await asyncio.sleep(0)
    try:
        start = turns
        for n in range(50):
            async with db.uow() as uow:
                await uow.session.execute(text("INSERT INTO notes (id) VALUES (:id)"), {"id": f"n{n}"})
                await uow.commit()
        assert turns - start >= 50
    finally:
        other.cancel()
        await db.dispose()
