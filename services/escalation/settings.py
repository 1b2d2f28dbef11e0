"""Settings of the escalation service (environment prefix `GRIDGOV_ESCALATION_`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GRIDGOV_ESCALATION_", extra="ignore")

    name: str = "escalation"
    port: int = 8003
    database_url: str = "sqlite+aiosqlite:///var/escalation.db"
