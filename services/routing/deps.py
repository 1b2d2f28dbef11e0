"""Dependency aliases for routing's routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.routing.settings import Settings
from shared.deps import CallerDep, DatabaseDep, Principal, from_state

SettingsDep = Annotated[Settings, Depends(from_state("settings"))]

__all__ = ["CallerDep", "DatabaseDep", "Principal", "SettingsDep"]
