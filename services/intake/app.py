"""Composition root of the intake service."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import httpx
from fastapi import FastAPI

from services.intake import api, handlers, store
from services.intake.handlers import callbacks
from services.intake.handlers.hotline import forget_old_nonces
from services.intake.settings import Settings
from shared import pii, topics
from shared.bus.consumer import Subscription
from shared.db import Database
from shared.runtime import ServiceRuntime, create_service_app

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, database_schema: str | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(
        settings, metadata=store.IntakeModel.metadata, database_schema=database_schema,
        subscriptions=[Subscription(name="intake", topics=[topics.TICKETS], handlers=dict(handlers.SUBSCRIPTIONS))],
    )
    app: FastAPI | None = None

    async def start_callbacks(runtime: ServiceRuntime) -> None:
        assert runtime.db is not None and app is not None
        runtime.spawn(_deliver_callbacks(runtime.db, settings, app.state.callback_policy), name="hotline-callbacks")

    app = create_service_app(settings, runtime=runtime, routers=api.routers, title="gridgov intake",
                             description="Every channel in, one ticket lifecycle.", on_start=[start_callbacks])
    app.state.callback_policy = callbacks.CallbackPolicy()
    return app


async def _deliver_callbacks(db: Database, settings: Settings, policy: callbacks.CallbackPolicy) -> None:
    """Push queued status callbacks to the hotlines until cancelled (one HTTP client for the process)."""
    key, _ = pii.keys_from_secret(settings.common.secret_key, settings.common.pii_key)
    async with httpx.AsyncClient(timeout=5.0) as client:
        async def send(url: str, body: bytes, headers: dict[str, str]) -> int:
            return (await client.post(url, content=body, headers=headers)).status_code

        rounds = 0
        while True:
            try:
                async with db.uow() as uow:
                    await callbacks.deliver_due(uow, send, now=datetime.now(UTC),
                                                decrypt=lambda text: pii.decrypt(text, key=key), policy=policy)
                rounds += 1
                if rounds % 600 == 0:
                    async with db.uow() as uow:
                        await forget_old_nonces(uow, now=datetime.now(UTC))
            except Exception:  # the loop must outlive a database hiccup; the log says what happened
                log.exception("hotline callback round failed")
            await asyncio.sleep(policy.interval)
