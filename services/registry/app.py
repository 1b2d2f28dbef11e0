"""Composition root of the registry service."""

from __future__ import annotations

from fastapi import FastAPI

from services.registry import store
from services.registry.settings import Settings
from shared.runtime import ServiceRuntime, create_service_app


def create_app(settings: Settings | None = None, *, database_schema: str | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings, metadata=store.Base.metadata, database_schema=database_schema,
                             replicate_credentials=False)
    return create_service_app(settings, runtime=runtime, routers=[], title="gridgov registry")
