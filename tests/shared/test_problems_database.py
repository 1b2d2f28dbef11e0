"""A database that is not there for a moment is a 503 problem with Retry-After, not a 500."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from shared import problems
from shared.db import make_engine

from .test_pool_ping import _engine_with_a_killed_connection


def _app(engine) -> FastAPI:
    app = FastAPI()
    problems.install(app)

    @app.get("/query")
    async def query(sql: str = "SELECT 1") -> dict[str, int]:
        async with engine.connect() as connection:
            return {"value": int((await connection.execute(text(sql))).scalar_one())}

    return app


async def _get(app: FastAPI, **params: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get("/query", params=params)


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["retry-after"] == problems.RETRY_AFTER_SECONDS
    assert response.json()["type"].endswith("/database-unavailable") and "retry" in response.json()["detail"]


async def test_a_refused_connection_is_503_with_retry_after():
    engine = make_engine("postgresql+asyncpg://postgres@127.0.0.1:1/nowhere")  # nothing listens on port 1
    try:
        _assert_unavailable(await _get(_app(engine)))
    finally:
        await engine.dispose()


async def test_a_connection_dropped_under_the_request_is_503(pg_database):
    if pg_database is None:
        pytest.skip("PostgreSQL is not among this run's test databases (GRIDGOV_TEST_DATABASES)")
    engine, _ = await _engine_with_a_killed_connection(pg_database)  # used right away: no idle ping saves it
    try:
        _assert_unavailable(await _get(_app(engine)))
        assert (await _get(_app(engine))).json() == {"value": 1}  # the pool renewed its connection
    finally:
        await engine.dispose()


async def test_a_failing_statement_on_a_reachable_database_stays_a_500(tmp_path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/x.db")
    try:
        response = await _get(_app(engine), sql="SELECT no_such_column")
        assert response.status_code == 500 and response.json()["type"].endswith("/internal")
    finally:
        await engine.dispose()
