"""The raw baseline of HTTP benches: bare FastAPI, one row plus one outbox row in one transaction, nothing else."""

from __future__ import annotations

import os
import uuid
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import FastAPI, Request
from sqlalchemy import JSON, Column, DateTime, MetaData, String, Table

from shared.db import add_bus_tables, create_schema, make_engine

metadata = MetaData()
rows = Table("rows", metadata, Column("id", String(40), primary_key=True), Column("body", JSON),
             Column("created_at", DateTime(timezone=True)))
add_bus_tables(metadata)


@asynccontextmanager
async def lifespan(app: FastAPI):  # noqa: ANN201
    engine = make_engine(os.environ["BASELINE_DATABASE_URL"])
    await create_schema(engine, metadata)
    app.state.engine = engine
    yield
    await engine.dispose()


app = FastAPI(lifespan=lifespan)


@app.post("/tickets", status_code=201)
async def create(request: Request) -> dict[str, Any]:
    body = orjson.loads(await request.body())
    now, ident = datetime.now(UTC), str(uuid.uuid4())
    async with request.app.state.engine.begin() as connection:
        await connection.execute(rows.insert().values(id=ident, body=body, created_at=now))
        await connection.execute(metadata.tables["outbox"].insert().values(
            event_id=ident, topic="baseline", key=ident, ce_type="baseline", headers=b"[]",
            payload=orjson.dumps(body), created_at=now))
    return {"id": ident}
