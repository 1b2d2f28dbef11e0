"""Whole-process behaviour: the relay killed mid-publish, and start-up refusing bad settings in one line."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from services.intake.app import create_app
from services.intake.settings import Settings
from shared.db import Database, make_engine
from shared.migrations import migrate
from tests.harness import create_pg_schema, wait_for
from tests.shared.test_bus import Pipeline, effect_count, open_db, received

pytestmark = pytest.mark.slow


def _env(common, url: str, schema: str | None) -> dict[str, str]:
    env = {**os.environ, "GRIDGOV_BROKER_URL": common.broker_url, "GRIDGOV_TOPIC_PREFIX": common.topic_prefix,
           "GRIDGOV_INTAKE_DATABASE_URL": url, "GRIDGOV_LOG_JSON": "false"}
    if schema:
        env["GRIDGOV_INTAKE_DATABASE_SCHEMA"] = schema
    return env


async def _unsent(db: Database) -> int:
    outbox = db.outbox
    async with db.engine.connect() as connection:
        query = select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
        return int((await connection.execute(query)).scalar_one())


async def test_relay_killed_between_commit_and_publish_delivers_once_after_restart(database, common):
    target = database("intake")
    if target.schema:
        await create_pg_schema(target.url, target.schema)
    metadata = create_app(Settings(database_url=target.url, common=common)).state.runtime.metadata
    source = Database(make_engine(target.url, schema=target.schema), metadata, service="intake", district="330903",
                      topic_prefix=common.topic_prefix)
    await migrate(source, service="intake")
    written = 0

    async def write(count: int) -> None:
        nonlocal written
        async with source.uow() as uow:
            for i in range(written, written + count):
                uow.publish(received(f"330903-20261125-{i:06d}"), key=f"330903-20261125-{i:06d}")
            await uow.commit()
        written += count

    killed = asyncio.Event()

    async def keep_writing() -> None:  # until the relay is killed: rows committed and not yet published then
        while not killed.is_set():
            await write(100)
            await asyncio.sleep(0.01)

    await write(1000)
    sink = await open_db(database("sink"), common)
    async with Pipeline(sink, common):
        writer = asyncio.create_task(keep_writing())
        relay = subprocess.Popen([sys.executable, "-m", "gridgov", "relay", "intake"],
                                 env=_env(common, target.url, target.schema), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE)
        await wait_for(lambda: _some_sent(source, written), timeout=30, interval=0.01)
        relay.send_signal(signal.SIGKILL)
        relay.wait()
        killed.set()
        await writer
        total = written
        assert await _unsent(source) > 0, "the relay finished before it could be killed"
        restarted = subprocess.Popen([sys.executable, "-m", "gridgov", "relay", "intake"],
                                     env=_env(common, target.url, target.schema), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        try:
            await wait_for(lambda: _all_sent(source), timeout=30)
            await wait_for(lambda: _count_is(sink, total), timeout=30)
            await asyncio.sleep(0.5)
            assert await effect_count(sink) == total
        finally:
            restarted.send_signal(signal.SIGKILL)
            restarted.wait()
    await source.dispose()
    await sink.dispose()


async def _some_sent(db: Database, total: int) -> bool:
    return 0 < total - await _unsent(db)


async def _all_sent(db: Database) -> bool:
    return await _unsent(db) == 0


async def _count_is(db: Database, expected: int) -> bool:
    return await effect_count(db) == expected


def _serve(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gridgov", "serve", "intake"], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=60)


def test_unknown_database_scheme_fails_at_start_with_one_line(tmp_path):
    done = _serve({"GRIDGOV_INTAKE_DATABASE_URL": "mysql://db/intake"})
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "scheme 'mysql' is not supported" in lines[0]


def test_unreachable_broker_fails_at_start_with_one_line(tmp_path):
    done = _serve({"GRIDGOV_INTAKE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/i.db",
                   "GRIDGOV_BROKER_URL": "127.0.0.1:1"})
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Kafka broker unreachable at 127.0.0.1:1" in lines[0]


