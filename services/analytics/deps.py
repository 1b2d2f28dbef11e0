"""Dependency aliases for analytics's routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.analytics.live import LiveHub
from services.analytics.settings import Settings
from shared.auth import CallerDep, Principal
from shared.db import Database


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _hub(request: Request) -> LiveHub:
    hub: LiveHub = request.app.state.hub
    return hub


DatabaseDep = Annotated[Database, Depends(_db)]
SettingsDep = Annotated[Settings, Depends(_settings)]
HubDep = Annotated[LiveHub, Depends(_hub)]

__all__ = ["CallerDep", "DatabaseDep", "HubDep", "Principal", "SettingsDep"]
