"""`gridgov bench geocode`: batch points/s and single-request p99 against the raw STRtree query rate.

All three figures come from the same run on the same synthetic district, so the ratio is meaningful:
raw ``STRtree.query`` (no chains, no objects) → the batch API in process (ASGI, JSON in and out) →
one GET per point over real HTTP to a registry process (uvicorn), sequential, keep-alive.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson
import shapely

from shared.auth import new_api_key, store_credential
from shared.broker import EmbeddedBroker, free_port
from shared.db import Database, create_schema, make_engine
from shared.settings import CommonSettings
from services.registry import store
from services.registry.domain.geocoder import Geocoder
from services.registry.domain.synthetic import BOUNDS, SyntheticDistrict, synthetic_district
from services.registry.seeding import division_rows, grid_rows

RESULTS = Path("bench/results")
BATCH = 10_000
TARGETS = {"batch_points_per_s_min": 50_000, "single_p99_ms_max": 5.0}


def _points(n: int, *, seed: int = 42) -> np.ndarray:
    west, south, east, north = BOUNDS
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(west, east, n), rng.uniform(south, north, n)])


def raw_strtree(district: SyntheticDistrict, points: np.ndarray) -> dict[str, float]:
    """Baseline: the bare vectorised STRtree query (index pairs only)."""
    tree = shapely.STRtree(np.array(district.shapes, dtype=object))
    geometries = shapely.points(points[:, 0], points[:, 1])
    started = time.perf_counter()
    tree.query(geometries, predicate="intersects")
    elapsed = time.perf_counter() - started
    return {"points": len(points), "seconds": elapsed, "points_per_s": len(points) / elapsed}


def domain_batch(district: SyntheticDistrict, points: np.ndarray) -> dict[str, float]:
    """The domain geocoder: query, tie-breaking and chain objects, no HTTP."""
    geocoder = Geocoder([g.code for g in district.grids], district.shapes, names=district.names())
    started = time.perf_counter()
    results = geocoder.locate_many(points)
    elapsed = time.perf_counter() - started
    inside = sum(1 for r in results if r.inside)
    return {"points": len(points), "seconds": elapsed, "points_per_s": len(points) / elapsed,
            "inside_share": inside / len(points)}


async def _prepare_db(url: str, district: SyntheticDistrict) -> str:
    """Write the synthetic tree straight into a fresh registry database and issue a district API key."""
    db = Database(make_engine(url), store.Base.metadata, service="registry", district="330903")
    await create_schema(db.engine, db.metadata)
    now = datetime.now(UTC)
    key, event = new_api_key(scope="330903", roles=["system"], label="bench", now=now, jurisdiction="330903")
    async with db.uow() as uow:
        for rows, model in ((division_rows(district.divisions, now=now), store.DivisionRow),
                            (grid_rows(district.grids, now=now), store.GridRow)):
            for start in range(0, len(rows), 5_000):
                await uow.session.execute(model.__table__.insert(), rows[start:start + 5_000])
        await store_credential(uow, event)
        await uow.commit()
    await db.dispose()
    return key


async def api_batch(url: str, common: CommonSettings, *, key: str, points: np.ndarray) -> dict[str, float]:
    """POST /api/v1/geocode in batches of 10,000 through the ASGI app in this process."""
    from services.registry.app import create_app
    from services.registry.settings import Settings

    app = create_app(Settings(database_url=url, common=common))
    bodies = [orjson.dumps({"points": [{"lon": lon, "lat": lat} for lon, lat in points[i:i + BATCH].tolist()]})
              for i in range(0, len(points), BATCH)]
    headers = {"X-API-Key": key, "content-type": "application/json"}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=120) as client:
            await client.post("/api/v1/geocode", content=bodies[0], headers=headers)  # builds the tree
            started = time.perf_counter()
            for body in bodies:
                response = await client.post("/api/v1/geocode", content=body, headers=headers)
                response.raise_for_status()
            elapsed = time.perf_counter() - started
    return {"points": len(points), "batch_size": BATCH, "seconds": elapsed, "points_per_s": len(points) / elapsed}


def _serve(url: str, common: CommonSettings, *, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "GRIDGOV_REGISTRY_DATABASE_URL": url, "GRIDGOV_BROKER_URL": common.broker_url,
           "GRIDGOV_TOPIC_PREFIX": common.topic_prefix, "GRIDGOV_LOG_LEVEL": "WARNING", "GRIDGOV_LOG_JSON": "false"}
    command = [sys.executable, "-m", "uvicorn", "--factory", "services.registry.app:create_app", "--port", str(port),
               "--log-level", "warning", "--no-access-log"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def http_single(url: str, common: CommonSettings, *, key: str, points: np.ndarray) -> dict[str, float]:
    """Sequential GET /api/v1/geocode?lon=&lat= over HTTP keep-alive to a separate registry process."""
    port = free_port()
    process = _serve(url, common, port=port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"X-API-Key": key}, timeout=120) as client:
            _wait_ready(client)
            client.get("/api/v1/geocode", params={"lon": points[0, 0], "lat": points[0, 1]}).raise_for_status()
            latencies = []
            for lon, lat in points.tolist():
                started = time.perf_counter()
                client.get("/api/v1/geocode", params={"lon": lon, "lat": lat}).raise_for_status()
                latencies.append((time.perf_counter() - started) * 1000)
    finally:
        process.terminate()
        process.wait()
    ordered = sorted(latencies)
    return {"requests": len(ordered), "p50_ms": statistics.median(ordered),
            "p99_ms": ordered[int(0.99 * (len(ordered) - 1))], "max_ms": ordered[-1],
            "requests_per_s": 1000 * len(ordered) / sum(ordered)}


def _wait_ready(client: httpx.Client, *, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if client.get("/healthz").status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError("registry did not start")


def run_geocode_bench(grids: int = 100_000, *, points: int = 200_000, requests: int = 2_000,
                      console: Any = None, write: bool = True) -> dict[str, Any]:
    """Run all three measurements on one synthetic district; optionally write bench/results/geocode.json."""
    say = console.print if console is not None else (lambda *_: None)
    say(f"synthetic district with {grids:,} grids …")
    district, sample = synthetic_district(grids), _points(points)
    figures: dict[str, Any] = {"grids": grids, "raw_strtree": raw_strtree(district, sample),
                               "domain_batch": domain_batch(district, sample)}
    with EmbeddedBroker() as broker, tempfile.TemporaryDirectory() as tmp:
        common = CommonSettings(broker_url=broker.url, topic_prefix=f"b{uuid.uuid4().hex[:6]}.", log_json=False,
                                log_level="WARNING")
        url = f"sqlite+aiosqlite:///{tmp}/registry.db"
        key = asyncio.run(_prepare_db(url, district))
        say("batch API in process …")
        figures["api_batch"] = asyncio.run(api_batch(url, common, key=key, points=sample))
        say(f"{requests:,} single requests over HTTP …")
        figures["http_single"] = http_single(url, common, key=key, points=_points(requests, seed=7))
    figures["batch_to_raw_ratio"] = figures["api_batch"]["points_per_s"] / figures["raw_strtree"]["points_per_s"]
    result = {"figures": figures, "targets": TARGETS}
    if write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        payload = {"target": "geocode", "when": datetime.now(UTC).isoformat(), **result}
        (RESULTS / "geocode.json").write_bytes(orjson.dumps(payload, option=orjson.OPT_INDENT_2))
    return result


def run(*, quick: bool, console: Any) -> dict[str, Any]:
    """Entry point of `gridgov bench geocode` (which writes the JSON itself)."""
    if quick:
        return run_geocode_bench(10_000, points=50_000, requests=500, console=console, write=False)
    return run_geocode_bench(console=console, write=False)
