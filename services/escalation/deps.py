"""Dependency aliases for escalation's routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.escalation.domain.workhours import WorkPeriods
from services.escalation.settings import Settings
from shared.deps import CallerDep, DatabaseDep, Principal, from_state

SettingsDep = Annotated[Settings, Depends(from_state("settings"))]
WorkPeriodsDep = Annotated[WorkPeriods, Depends(from_state("work_periods"))]

__all__ = ["CallerDep", "DatabaseDep", "Principal", "SettingsDep", "WorkPeriodsDep"]
