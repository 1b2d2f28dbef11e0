"""Settings of the routing service (environment prefix `GRIDGOV_ROUTING_`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GRIDGOV_ROUTING_", extra="ignore")

    name: str = "routing"
    port: int = 8002
    database_url: str = "sqlite+aiosqlite:///var/routing.db"
