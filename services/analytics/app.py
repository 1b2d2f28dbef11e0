"""Composition root of the analytics service."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from services.analytics import api, handlers, store, web
from services.analytics.bootstrap import bootstrap_when_empty
from services.analytics.live import LiveHub
from services.analytics.settings import Settings
from services.analytics.tail import live_tail
from shared import topics
from shared.bus.consumer import Subscription
from shared.runtime import ServiceRuntime, create_service_app


def create_app(settings: Settings | None = None, *, database_schema: str | None = None) -> FastAPI:
    settings = settings or Settings()
    hub = LiveHub()
    runtime = ServiceRuntime(
        settings, metadata=store.Base.metadata, database_schema=database_schema,
        subscriptions=[
            Subscription(name="analytics", topics=[topics.TICKETS], handlers=dict(handlers.SUBSCRIPTIONS),
                         linger_ms=settings.linger_ms),
            Subscription(name="analytics-registry", topics=[topics.REGISTRY],
                         handlers=dict(handlers.REGISTRY_SUBSCRIPTIONS)),
        ],
    )
    app = create_service_app(settings, runtime=runtime, routers=[api.router, web.router], title="gridgov analytics",
                             description="Read models, assessment, early warning and the operators' dashboard.",
                             on_start=[live_tail(hub, linger_ms=settings.live_linger_ms), bootstrap_when_empty])
    app.state.hub = hub
    app.mount("/static", StaticFiles(directory=web.STATIC), name="static")
    return app
