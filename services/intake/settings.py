"""Settings of the intake service (environment prefix `GRIDGOV_INTAKE_`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GRIDGOV_INTAKE_", extra="ignore")

    name: str = "intake"
    port: int = 8001
    database_url: str = "sqlite+aiosqlite:///var/intake.db"
    # Intake's consumer (duplicate detection, the ticket's view and the hotline's callbacks) is on no ticket's way
    # to its unit: polling every 5 ms while records flow cost intake and the broker ~1 ms of CPU per ticket at 100/s.
    linger_ms: int = Field(default=50, ge=0, le=1000,
                           description="how long ticket events may wait to join a larger consumed batch")
