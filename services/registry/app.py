"""Composition root of the registry service."""

from __future__ import annotations

from fastapi import FastAPI

from shared.runtime import ServiceRuntime, create_service_app
from services.registry import api, store
from services.registry.handlers.people import PiiKeys
from services.registry.lookup import GeocoderCache
from services.registry.settings import Settings


def create_app(settings: Settings | None = None, *, database_schema: str | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings, metadata=store.Base.metadata, database_schema=database_schema,
                             replicate_credentials=False)

    async def _warm_geocoder(runtime: ServiceRuntime) -> None:
        assert runtime.db is not None
        runtime.spawn(app.state.geocoders.get(runtime.db), name="registry-geocoder-warmup")

    app = create_service_app(settings, runtime=runtime, routers=[api.router], title="gridgov registry",
                             description="Jurisdictions, grids, geocoding and 人地事物组织.", on_start=[_warm_geocoder])
    app.state.geocoders = GeocoderCache()
    app.state.pii_keys = PiiKeys.from_secret(settings.common.secret_key, settings.common.pii_key)
    return app
