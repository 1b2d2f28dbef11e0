"""Composition root of the intake service."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from services.intake import api, handlers, store
from services.intake.handlers import callbacks, geocoding
from services.intake.handlers.hotline import forget_old_nonces
from services.intake.settings import Settings
from shared import pii, topics
from shared.auth import Principal, issue_token
from shared.bus.consumer import Subscription
from shared.db import Database
from shared.runtime import ServiceRuntime, create_service_app

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, database_schema: str | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(
        settings, metadata=store.IntakeModel.metadata, database_schema=database_schema,
        subscriptions=[Subscription(name="intake", topics=[topics.TICKETS], handlers=dict(handlers.SUBSCRIPTIONS),
                                    prepare=handlers.find_duplicates, may_write=handlers.may_write,
                                    linger_ms=settings.linger_ms)],
    )
    app: FastAPI | None = None

    async def start_callbacks(runtime: ServiceRuntime) -> None:
        assert runtime.db is not None and app is not None
        runtime.spawn(_deliver_callbacks(runtime.db, settings, app.state.callback_policy), name="hotline-callbacks")
        runtime.spawn(_geocode(runtime.db, settings), name="intake-geocoding")

    app = create_service_app(settings, runtime=runtime, routers=api.routers, title="gridgov intake",
                             description="Every channel in, one ticket lifecycle.", on_start=[start_callbacks])
    app.state.callback_policy = callbacks.CallbackPolicy()
    return app


def _service_token(settings: Settings) -> str:
    """A short-lived token signed with the deployment's shared secret: intake calling the registry as itself."""
    common = settings.common
    principal = Principal(key_id="intake", kind="service", scope=common.district_code, roles=("system",))
    return issue_token(principal, secret_key=common.secret_key, now=datetime.now(UTC), ttl=timedelta(minutes=10))


FAILING_ROUND_MAX_DELAY = 5.0  # seconds between geocoding tries while the registry does not answer


async def _geocode(db: Database, settings: Settings, *, interval: float = 0.1, batch: int = 200) -> None:
    """Locate tickets accepted without a grid, in batches, through the registry's geocoder."""
    async with httpx.AsyncClient(base_url=settings.registry_url, timeout=10.0) as client:
        async def locate(points: list[dict[str, float]]) -> list[dict[str, Any]]:
            response = await client.post("/api/v1/geocode", json={"points": points},
                                         headers={"Authorization": f"Bearer {_service_token(settings)}"})
            response.raise_for_status()
            results: list[dict[str, Any]] = response.json()["results"]
            return results

        failing = 0.0
        while True:
            try:
                located = await geocoding.locate_pending(db, locate, now=datetime.now(UTC), batch=batch)
            except Exception as error:  # registry down: tickets stay geocode_pending until the next round
                if _cancelling():
                    raise asyncio.CancelledError() from None
                failing = min(max(2 * failing, 0.5), FAILING_ROUND_MAX_DELAY)
                log.warning("geocoding round failed (next try in %.1f s): %s", failing, error)
                await asyncio.sleep(failing)
                continue
            failing = 0.0
            # Short rounds keep each write transaction small (SQLite has one writer); a full batch means a backlog,
            # so the next round starts at once and geocoding keeps up with intake at full load.
            await asyncio.sleep(0 if located == batch else interval)


def _cancelling() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


async def _deliver_callbacks(db: Database, settings: Settings, policy: callbacks.CallbackPolicy) -> None:
    """Push queued status callbacks to the hotlines until cancelled (one HTTP client for the process)."""
    key, _ = pii.keys_from_secret(settings.common.secret_key, settings.common.pii_key)
    async with httpx.AsyncClient(timeout=5.0) as client:
        async def send(url: str, body: bytes, headers: dict[str, str]) -> int:
            return (await client.post(url, content=body, headers=headers)).status_code

        rounds = 0
        while True:
            try:
                await callbacks.deliver_due(db, send, now=datetime.now(UTC),
                                            decrypt=lambda text: pii.decrypt(text, key=key), policy=policy)
                rounds += 1
                if rounds % 600 == 0:
                    async with db.uow() as uow:
                        await forget_old_nonces(uow, now=datetime.now(UTC))
            except Exception:  # the loop must outlive a database hiccup; the log says what happened
                if _cancelling():  # a driver may turn our cancellation into its own error
                    raise asyncio.CancelledError() from None
                log.exception("hotline callback round failed")
            await asyncio.sleep(policy.interval)
