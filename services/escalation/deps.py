"""Dependency aliases for escalation's routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.escalation.settings import Settings
from shared.auth import CallerDep, Principal
from shared.db import Database


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


DatabaseDep = Annotated[Database, Depends(_db)]
SettingsDep = Annotated[Settings, Depends(_settings)]

__all__ = ["CallerDep", "DatabaseDep", "Principal", "SettingsDep"]
