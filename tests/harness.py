"""Helpers for handler, API and bus tests: run a real service app in process, poll until a condition holds."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx


async def create_pg_schema(url: str, schema: str) -> None:
    connection = await asyncpg.connect(url.replace("+asyncpg", ""))
    await connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    await connection.close()


async def service_database(target: Any, service: str) -> Any:
    """An empty database (its PostgreSQL schema created) with ``service``'s tables declared, not yet created."""
    from gridgov.services import metadata_for
    from shared.db import Database, make_engine

    if target.schema:
        await create_pg_schema(target.url, target.schema)
    return Database(make_engine(target.url, schema=target.schema), metadata_for(service), service=service,
                    district="330903")


@asynccontextmanager
async def running_service(create_app: Callable[..., Any], settings: Any, target: Any,
                          ) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    """Start a service app with its lifespan (relay and consumers included) and an in-process client."""
    if target.schema:
        await create_pg_schema(target.url, target.schema)
    app = create_app(settings, database_schema=target.schema)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield app, client


async def wait_for(predicate: Callable[[], Any], *, timeout: float = 15.0, interval: float = 0.05) -> Any:
    """Poll until ``predicate`` returns a truthy value (sync or async), or fail at the deadline."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)
