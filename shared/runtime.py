"""What every service process runs: database, producer, outbox relay, consumers, health and metrics.

A service's ``app.py`` calls :func:`create_service_app` with its settings, tables, routers and subscriptions;
nothing is built at import time.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from aiokafka import AIOKafkaProducer
from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import MetaData, text

from shared import problems, telemetry, topics
from shared.auth import CREDENTIAL_HANDLERS
from shared.bus.consumer import Consumer, Subscription
from shared.bus.housekeeping import keep_tidy
from shared.bus.kafka import ensure_topics, make_producer, start_client
from shared.bus.relay import OutboxRelay
from shared.db import Database, make_engine
from shared.migrations import migrate
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)

Hook = Callable[["ServiceRuntime"], Awaitable[None]]


class ServiceRuntime:
    """Owns the engine, the producer, the relay and the consumer tasks of one service process."""

    def __init__(self, settings: ServiceSettings, *, metadata: MetaData, subscriptions: Sequence[Subscription] = (),
                 replicate_credentials: bool = True, database_schema: str | None = None) -> None:
        self.settings = settings
        self.metadata = metadata
        self.subscriptions = list(subscriptions)
        if replicate_credentials:
            self.subscriptions.append(Subscription(name=f"{settings.name}-credentials", topics=[topics.REGISTRY],
                                                   handlers=dict(CREDENTIAL_HANDLERS)))
        self.database_schema = database_schema or settings.database_schema
        self.db: Database | None = None
        self.producer: AIOKafkaProducer | None = None
        self.relay: OutboxRelay | None = None
        self.consumers: list[Consumer] = []
        self.tasks: list[asyncio.Task[Any]] = []

    async def start(self, *, relay: bool | None = None, consume: bool | None = None) -> None:
        common = self.settings.common
        engine = make_engine(self.settings.database_url, schema=self.database_schema)
        self.db = Database(engine, self.metadata, service=self.settings.name, district=common.district_code,
                           topic_prefix=common.topic_prefix)
        await migrate(self.db, service=self.settings.name)
        await ensure_topics(common)
        self.producer = make_producer(common)
        await start_client(self.producer, common)
        if self.settings.relay_in_process if relay is None else relay:
            # In the API's process every commit wakes the relay at once; the poll only catches rows written by other
            # processes (``gridgov outbox redrive``), so it can be slow and cheap.
            self.relay = OutboxRelay(self.db, self.producer, common, idle_interval=0.5)
            self.tasks.append(asyncio.create_task(self.relay.run(), name=f"{self.settings.name}-relay"))
        consuming = self.settings.consumers_enabled if consume is None else consume
        if consuming:
            await self._start_consumers()
        if self.relay is not None or consuming:
            self.tasks.append(asyncio.create_task(keep_tidy(self.db, common), name=f"{self.settings.name}-bus-tidy"))

    async def _start_consumers(self) -> None:
        assert self.db is not None and self.producer is not None
        for subscription in self.subscriptions:
            consumer = Consumer(self.db, self.settings.common, subscription, dlq_producer=self.producer)
            await consumer.start()
            self.consumers.append(consumer)
            self.tasks.append(asyncio.create_task(consumer.run(), name=f"consume-{subscription.name}"))

    def spawn(self, coroutine: Awaitable[Any], *, name: str) -> asyncio.Task[Any]:
        """Start a background task that is cancelled on shutdown."""
        task = asyncio.ensure_future(coroutine)
        task.set_name(name)
        self.tasks.append(task)
        return task

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks.clear()
        for consumer in self.consumers:
            await consumer.stop()
        if self.producer is not None:
            await self.producer.stop()
        if self.db is not None:
            await self.db.dispose()

    async def readiness(self) -> dict[str, str]:
        checks: dict[str, str] = {}
        try:
            assert self.db is not None
            async with self.db.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as error:  # reported, not raised: this is a probe
            checks["database"] = f"error: {error}"
        try:
            assert self.producer is not None
            await asyncio.wait_for(self.producer.client.fetch_all_metadata(), timeout=2)
            checks["broker"] = "ok"
        except Exception as error:
            checks["broker"] = f"error: {type(error).__name__}"
        return checks


def _freeze_startup_heap() -> None:
    """Move what start-up built (modules, schemas, taxonomy, caches) out of the collector's sight.

    A full collection otherwise walks all of it: ~110 ms pauses measured under load, the p99 of every request.
    """
    gc.collect()
    gc.freeze()


def create_service_app(settings: ServiceSettings, *, runtime: ServiceRuntime, routers: Sequence[APIRouter],
                       title: str, description: str = "", on_start: Sequence[Hook] = ()) -> FastAPI:
    """Build the FastAPI app of one service with health, readiness, metrics and problem+json errors."""
    common = settings.common
    telemetry.configure(settings.name, exporter=common.otel_exporter, endpoint=common.otel_endpoint,
                        level=common.log_level, json_logs=common.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        app.state.db = runtime.db
        for hook in on_start:
            await hook(runtime)
        log.info("%s listening on %s:%s", settings.name, settings.host, settings.port)
        _freeze_startup_heap()
        try:
            yield
        finally:
            await runtime.stop()

    # One server span per request, ours (_ObservedRequests), and Prometheus metrics: FastAPI's own telemetry off.
    app = FastAPI(title=title, description=description, version="0.1.0", lifespan=lifespan,
                  telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False})
    app.state.settings = settings
    app.state.runtime = runtime
    problems.install(app)
    app.add_middleware(_ObservedRequests, service=settings.name)
    app.include_router(_ops_router(runtime))
    for router in routers:
        app.include_router(router)
    return app


def _ops_router(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok", "service": runtime.settings.name}

    @router.get("/readyz")
    async def readyz(response: Response) -> dict[str, Any]:
        """Readiness: the database and the broker are reachable."""
        checks = await runtime.readiness()
        ready = all(value == "ok" for value in checks.values())
        response.status_code = 200 if ready else 503
        return {"status": "ok" if ready else "unavailable", "checks": checks}

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


class _ObservedRequests:
    """ASGI middleware: a server span continuing the caller's traceparent, plus request metrics."""

    def __init__(self, app: Any, *, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        traceparent = dict(scope.get("headers") or ()).get(b"traceparent")
        started, status = time.perf_counter(), [500]

        async def _send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        with telemetry.span_from(traceparent.decode() if traceparent else None, f"{scope['method']} {scope['path']}"):
            try:
                await self.app(scope, receive, _send)
            finally:
                route = getattr(scope.get("route"), "path", "unmatched")
                telemetry.HTTP_REQUESTS.labels(self.service, scope["method"], route, str(status[0])).inc()
                telemetry.HTTP_LATENCY.labels(self.service, route).observe(time.perf_counter() - started)


def request_runtime(request: Request) -> ServiceRuntime:
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


def take_niceness(settings: ServiceSettings) -> None:
    """Lower this process's CPU priority to the service's niceness (never raise it: that needs privileges).

    Where services share a host's cores (`gridgov run`, one box), escalation and analytics, which are on no
    ticket's way from intake to its unit, then take CPU only when intake and routing leave it; their batches grow
    meanwhile. In containers with CPU limits of their own it changes nothing."""
    current = os.getpriority(os.PRIO_PROCESS, 0)
    if settings.niceness > current:
        os.setpriority(os.PRIO_PROCESS, 0, settings.niceness)


async def preflight(settings: ServiceSettings) -> None:
    """Fail fast, with one clear line, when the database or the broker cannot be reached."""
    engine = make_engine(settings.database_url, schema=settings.database_schema)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as error:
        raise ConnectionError(f"database unreachable at {settings.database_url}: {type(error).__name__}: "
                              f"{str(error).splitlines()[0] if str(error) else ''}") from None
    finally:
        await engine.dispose()
    await ensure_topics(settings.common, attempts=5)
