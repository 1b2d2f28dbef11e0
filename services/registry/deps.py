"""Dependency aliases for the registry's routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from shared.auth import CallerDep, Principal
from shared.db import Database
from services.registry.handlers.people import PiiKeys
from services.registry.lookup import GeocoderCache
from services.registry.settings import Settings


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _geocoders(request: Request) -> GeocoderCache:
    cache: GeocoderCache = request.app.state.geocoders
    return cache


def _keys(request: Request) -> PiiKeys:
    keys: PiiKeys = request.app.state.pii_keys
    return keys


DatabaseDep = Annotated[Database, Depends(_db)]
SettingsDep = Annotated[Settings, Depends(_settings)]
GeocodersDep = Annotated[GeocoderCache, Depends(_geocoders)]
PiiKeysDep = Annotated[PiiKeys, Depends(_keys)]

__all__ = ["CallerDep", "DatabaseDep", "GeocodersDep", "PiiKeysDep", "Principal", "SettingsDep"]
