"""PostgreSQL pool: connections idle for a while are pinged before use (not every checkout, as pre-ping did)."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from shared import db as shared_db
from shared.db import make_engine


async def _backend_pid(engine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _engine_with_a_killed_connection(pg_database: str):
    engine = make_engine(pg_database, pool_size=1)
    pid = await _backend_pid(engine)
    admin = await asyncpg.connect(pg_database.replace("+asyncpg", ""))
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()
    return engine, pid


@pytest.fixture
def postgres(pg_database, monkeypatch):
    if pg_database is None:
        pytest.skip("PostgreSQL is not among this run's test databases (GRIDGOV_TEST_DATABASES)")
    monkeypatch.setattr(shared_db, "PING_AFTER_IDLE_SECONDS", 0.2)
    return pg_database


async def test_a_connection_killed_while_idle_is_replaced_before_use(postgres):
    engine, pid = await _engine_with_a_killed_connection(postgres)
    try:
        await asyncio.sleep(0.3)  # idle past the threshold: pinged on checkout, found dead, replaced
        assert await _backend_pid(engine) != pid
    finally:
        await engine.dispose()


async def test_a_connection_killed_right_after_use_fails_once_then_the_pool_is_renewed(postgres):
    """The price of not pinging every checkout: one statement fails, the next one runs on a new connection."""
    engine, pid = await _engine_with_a_killed_connection(postgres)
    try:
        with pytest.raises(DBAPIError):
            await _backend_pid(engine)
        assert await _backend_pid(engine) != pid
    finally:
        await engine.dispose()
