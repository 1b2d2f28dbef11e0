"""Fixtures: the real embedded broker (once per run) and real databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest

from shared.broker import EmbeddedBroker
from shared.settings import CommonSettings

PG_ADMIN_DSN = os.environ.get("GRIDGOV_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_DATABASE = f"gridgov_test_{os.getpid()}"
BACKENDS = [p.strip() for p in os.environ.get("GRIDGOV_TEST_DATABASES", "sqlite,postgres").split(",") if p.strip()]


@pytest.fixture(scope="session")
def broker() -> Iterator[EmbeddedBroker]:
    with EmbeddedBroker() as running:
        yield running


@pytest.fixture(scope="session")
async def pg_database() -> AsyncIterator[str | None]:
    """A fresh PostgreSQL database for this run; each test gets its own schema inside it."""
    if "postgres" not in BACKENDS:
        yield None
        return
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    await admin.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}"')
    await admin.execute(f'CREATE DATABASE "{PG_DATABASE}"')
    await admin.close()
    yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{PG_DATABASE}"
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    await admin.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
    await admin.close()


class DatabaseTarget:  # noqa: D101
    """Where one test's service keeps its data: a SQLite file or a fresh PostgreSQL schema."""

    def __init__(self, backend: str, url: str, schema: str | None) -> None:
        self.backend, self.url, self.schema = backend, url, schema


@pytest.fixture(params=BACKENDS)
async def database(request: pytest.FixtureRequest, tmp_path: Path,
                   pg_database: str | None) -> AsyncIterator[Callable[[str], DatabaseTarget]]:
    """A factory: ``database("intake")`` gives a new empty database for that service, on the parametrised backend."""
    backend = request.param
    made: list[str] = []
    pg_url = pg_database or ""

    def make(service: str) -> DatabaseTarget:
        if backend == "sqlite":
            return DatabaseTarget("sqlite", f"sqlite+aiosqlite:///{tmp_path}/{service}-{uuid.uuid4().hex[:6]}.db", None)
        schema = f"t_{service}_{uuid.uuid4().hex[:10]}"
        made.append(schema)
        return DatabaseTarget("postgres", pg_url, schema)

    yield make
    if made:
        connection = await asyncpg.connect(pg_url.replace("+asyncpg", ""))
        for schema in made:
            await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await connection.close()


@pytest.fixture
def common(broker: EmbeddedBroker) -> CommonSettings:
    """Settings for one test: its own topic prefix, so tests never see each other's events."""
    return CommonSettings(broker_url=broker.url, topic_prefix=f"t{uuid.uuid4().hex[:10]}.", environment="test",
                          log_json=False, district_code="330903")


@pytest.fixture(scope="session", autouse=True)
def tracing() -> None:
    """Real OpenTelemetry provider so trace context propagates as in production."""
    from shared import telemetry

    telemetry.configure("tests", exporter="none", level="WARNING", json_logs=False)
