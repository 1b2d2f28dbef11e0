"""Settings of the intake service (environment prefix `GRIDGOV_INTAKE_`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GRIDGOV_INTAKE_", extra="ignore")

    name: str = "intake"
    port: int = 8001
    database_url: str = "sqlite+aiosqlite:///var/intake.db"
