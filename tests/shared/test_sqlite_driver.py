"""The SQLite driver: write transactions run in the loop's thread once they hold the lock, and only then."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time

from sqlalchemy import Column, String, Table, func, select, text

from shared.db import create_schema, make_engine, new_base

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
