"""Dependency aliases for the registry's routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.registry.handlers.people import PiiKeys
from services.registry.lookup import GeocoderCache
from services.registry.settings import Settings
from shared.deps import CallerDep, DatabaseDep, Principal, from_state

SettingsDep = Annotated[Settings, Depends(from_state("settings"))]
PiiKeysDep = Annotated[PiiKeys, Depends(from_state("pii_keys"))]
GeocodersDep = Annotated[GeocoderCache, Depends(from_state("geocoders"))]

__all__ = ["CallerDep", "DatabaseDep", "GeocodersDep", "PiiKeysDep", "Principal", "SettingsDep"]
