"""Bench intake: accepted tickets/s and p99 over HTTP, against the bare FastAPI insert+outbox baseline."""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
from rich.console import Console

from gridgov.benches import loadgen
from shared.auth import new_api_key, store_credential
from shared.broker import EmbeddedBroker, free_port
from shared.db import Database, make_engine
from shared.migrations import migrate

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"



async def _fresh_db(kind: str, tmp: str) -> tuple[str, str | None]:
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{tmp}/{uuid.uuid4().hex[:6]}.db", None
    name = f"gridgov_bench_{uuid.uuid4().hex[:6]}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}", name


async def _drop(name: str | None) -> None:
    if name:
        admin = await asyncpg.connect(PG_ADMIN)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _intake_key(url: str) -> str:
    from services.intake.store import IntakeModel

    db = Database(make_engine(url), IntakeModel.metadata, service="intake", district="330903")
    await migrate(db, service="intake")
    key, event = new_api_key(scope="330903", roles=["system"], label="bench", now=datetime.now(UTC),
                             jurisdiction="330903")
    async with db.uow() as uow:
        await store_credential(uow, event)
        await uow.commit()
    await db.dispose()
    return key


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _measure(url: str, headers: dict[str, str], *, seconds: int, located: bool = False) -> dict[str, Any]:
    bodies = loadgen.located_bodies(6000) if located else loadgen.demo_bodies(6000)
    asyncio.run(loadgen.paced(url, bodies=bodies[:400], headers=headers, rate=200, seconds=2))  # warm-up
    # The fixed rate first: after saturation the service would still be working off the backlog of its consumers.
    at_200 = asyncio.run(loadgen.paced(url, bodies=bodies[400:3400], headers=headers, rate=200, seconds=seconds))
    saturated = loadgen.wrk(url, bodies=bodies[3400:], headers=headers, seconds=seconds)
    return {"saturated": saturated, "at_200_per_s": at_200}


def _baseline(url: str, seconds: int) -> dict[str, Any]:
    port = free_port()
    process = _start([loadgen.python(), "-m", "uvicorn", "gridgov.benches.baseline_app:app", "--port", str(port),
                      "--log-level", "warning", "--no-access-log"], {"BASELINE_DATABASE_URL": url})
    try:
        loadgen.wait_http(f"http://127.0.0.1:{port}/docs")
        return _measure(f"http://127.0.0.1:{port}/tickets", {}, seconds=seconds)
    finally:
        process.terminate()
        process.wait()


def _intake(url: str, broker: str, seconds: int, *, located: bool = False,
            registry_url: str = "http://127.0.0.1:9") -> dict[str, Any]:
    """Intake alone (its consumers included). ``located``: tickets carry a point instead of a grid code, geocoded
    in the background through ``registry_url`` (the default answers nothing: the registry is down)."""
    key = asyncio.run(_intake_key(url))
    port = free_port()
    env = {"GRIDGOV_INTAKE_DATABASE_URL": url, "GRIDGOV_INTAKE_PORT": str(port), "GRIDGOV_BROKER_URL": broker,
           "GRIDGOV_TOPIC_PREFIX": f"b{uuid.uuid4().hex[:6]}.", "GRIDGOV_LOG_LEVEL": "WARNING",
           "GRIDGOV_INTAKE_REGISTRY_URL": registry_url, "GRIDGOV_RATE_LIMIT_PER_SECOND": "1000000",
           "GRIDGOV_RATE_LIMIT_BURST": "1000000"}
    process = _start([loadgen.python(), "-m", "gridgov", "serve", "intake"], env)
    try:
        loadgen.wait_http(f"http://127.0.0.1:{port}/healthz")
        figures = _measure(f"http://127.0.0.1:{port}/api/v1/tickets", {"X-API-Key": key}, seconds=seconds,
                           located=located)
        if located:
            figures["geocoding"] = asyncio.run(_geocoding_after(url))
        return figures
    finally:
        process.terminate()
        process.wait()


async def _geocoding_after(url: str, *, settle: float = 10.0) -> dict[str, Any]:
    """How many accepted tickets still wait for a grid ``settle`` seconds after the load stopped."""
    from sqlalchemy import func, select

    from services.intake.store import IntakeModel, TicketRow

    await asyncio.sleep(settle)
    db = Database(make_engine(url), IntakeModel.metadata, service="intake", district="330903")
    try:
        async with db.uow() as uow:
            total = await uow.session.scalar(select(func.count()).select_from(TicketRow))
            pending = await uow.session.scalar(select(func.count()).select_from(TicketRow).where(
                TicketRow.geocode_pending == True))  # noqa: E712
    finally:
        await db.dispose()
    return {"tickets": total, "geocode_pending_after_s": settle, "still_pending": pending}


def _registry(tmp: str, broker: str) -> tuple[subprocess.Popen[bytes], str]:
    """The registry with the demo district, for geocoding (its own SQLite database)."""
    from gridgov.demo import seed_registry_and_credentials

    url, port = f"sqlite+aiosqlite:///{tmp}/registry.db", free_port()
    env = {"GRIDGOV_REGISTRY_DATABASE_URL": url, "GRIDGOV_REGISTRY_PORT": str(port), "GRIDGOV_BROKER_URL": broker,
           "GRIDGOV_TOPIC_PREFIX": f"r{uuid.uuid4().hex[:6]}.", "GRIDGOV_LOG_LEVEL": "WARNING"}
    asyncio.run(seed_registry_and_credentials(Console(quiet=True), env=env, district="330903", grids=0))
    process = _start([loadgen.python(), "-m", "gridgov", "serve", "registry"], env)
    loadgen.wait_http(f"http://127.0.0.1:{port}/healthz")
    return process, f"http://127.0.0.1:{port}"


def run(*, quick: bool, console: Console) -> dict[str, Any]:
    loadgen.require_wrk()
    seconds = 5 if quick else 15
    figures: dict[str, Any] = {}
    with EmbeddedBroker() as broker, tempfile.TemporaryDirectory() as tmp:
        registry, registry_url = _registry(tmp, broker.url)
        try:
            for kind in ("sqlite", "postgres"):
                runners = (
                    ("baseline", lambda u: _baseline(u, seconds)),
                    ("intake", lambda u: _intake(u, broker.url, seconds)),
                    ("intake_geocoding_registry_down", lambda u: _intake(u, broker.url, seconds, located=True)),
                    ("intake_geocoding_registry_up",
                     lambda u: _intake(u, broker.url, seconds, located=True, registry_url=registry_url)),
                )
                for name, runner in runners:
                    console.print(f"{kind}: {name} …")
                    url, created = asyncio.run(_fresh_db(kind, tmp))
                    try:
                        figures.setdefault(kind, {})[name] = runner(url)
                    finally:
                        asyncio.run(_drop(created))
                base = figures[kind]["baseline"]["saturated"]["requests_per_s"]
                for name, _ in runners[1:]:
                    figures[kind][f"ratio_{name}"] = figures[kind][name]["saturated"]["requests_per_s"] / base
                figures[kind]["ratio"] = figures[kind]["ratio_intake"]
        finally:
            registry.terminate()
            registry.wait()
    return {"figures": figures, "targets": {"ratio_min": 0.6, "p99_ms_at_200_per_s_max": 25},
            "notes": "wrk -t1 -c32 POST; paced raw-asyncio client for the fixed-rate p99 (from each request's "
                     "scheduled time). intake: tickets carry grid_code; intake_geocoding_*: tickets carry a point, "
                     "accepted as geocode_pending and located in background batches through the registry (down: "
                     "nothing answers; up: the demo district's registry)"}
