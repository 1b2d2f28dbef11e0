"""Dependency aliases for analytics's routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.analytics.live import LiveHub
from services.analytics.settings import Settings
from shared.deps import CallerDep, DatabaseDep, Principal, from_state

SettingsDep = Annotated[Settings, Depends(from_state("settings"))]
HubDep = Annotated[LiveHub, Depends(from_state("hub"))]

__all__ = ["CallerDep", "DatabaseDep", "HubDep", "Principal", "SettingsDep"]
