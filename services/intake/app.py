"""Composition root of the intake service."""

from __future__ import annotations

from fastapi import FastAPI

from shared import topics
from shared.bus.consumer import Subscription
from shared.runtime import ServiceRuntime, create_service_app
from services.intake import api, handlers, store
from services.intake.settings import Settings


def create_app(settings: Settings | None = None, *, database_schema: str | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(
        settings, metadata=store.IntakeModel.metadata, database_schema=database_schema,
        subscriptions=[Subscription(name="intake", topics=[topics.TICKETS], handlers=dict(handlers.SUBSCRIPTIONS))],
    )
    return create_service_app(settings, runtime=runtime, routers=api.routers, title="gridgov intake",
                              description="Every channel in, one ticket lifecycle.")
