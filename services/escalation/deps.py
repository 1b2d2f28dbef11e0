"""Dependency aliases for escalation's routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.escalation.domain.workhours import WorkPeriods
from services.escalation.settings import Settings
from shared.auth import CallerDep, Principal
from shared.db import Database


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _work_periods(request: Request) -> WorkPeriods:
    periods: WorkPeriods = request.app.state.work_periods
    return periods


DatabaseDep = Annotated[Database, Depends(_db)]
SettingsDep = Annotated[Settings, Depends(_settings)]
WorkPeriodsDep = Annotated[WorkPeriods, Depends(_work_periods)]

__all__ = ["CallerDep", "DatabaseDep", "Principal", "SettingsDep", "WorkPeriodsDep"]
