"""Settings of the registry service (environment prefix `GRIDGOV_REGISTRY_`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GRIDGOV_REGISTRY_", extra="ignore")

    name: str = "registry"
    port: int = 8004
    database_url: str = "sqlite+aiosqlite:///var/registry.db"
