"""Composition root of the routing service."""

from __future__ import annotations

from fastapi import FastAPI

from shared.runtime import ServiceRuntime, create_service_app
from services.routing import store
from services.routing.settings import Settings


def create_app(settings: Settings | None = None, *, database_schema: str | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings, metadata=store.Base.metadata, database_schema=database_schema,
                             replicate_credentials=True)
    return create_service_app(settings, runtime=runtime, routers=[], title="gridgov routing")
