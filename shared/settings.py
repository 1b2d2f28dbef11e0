"""Settings shared by every service, read from ``GRIDGOV_*`` environment variables.

Each service adds its own ``Settings`` (prefix ``GRIDGOV_<NAME>_``) on top of :class:`ServiceSettings`.
Nothing here is instantiated at import time.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "gridgov-dev-only-secret-change-me-000000000000"
SUPPORTED_DB_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")


class CommonSettings(BaseSettings):
    """What every process of one district deployment shares."""

    model_config = SettingsConfigDict(env_prefix="GRIDGOV_", extra="ignore")

    district_code: str = "330903"
    broker_url: str = "127.0.0.1:9092"
    topic_prefix: str = ""
    topic_pattern: str = Field(default="", description="regex of district prefixes a city instance consumes, e.g. 3309[0-9]{2}\\.")
    consumer_mode: Literal["assign", "group"] = "assign"
    fetch_max_wait_ms: int = Field(default=5, ge=1, le=500)
    idle_fetch_max_wait_ms: int = Field(default=100, ge=1, le=1000,
                                        description="fetch wait of a consumer whose topics were quiet for a second")
    secret_key: str = DEV_SECRET
    pii_key: str = Field(default="", description="base64 AES-256 key for personal data; derived from secret_key when empty")
    rate_limit_per_second: float = Field(default=1000.0, gt=0, description="sustained requests per API key or operator")
    rate_limit_burst: int = Field(default=2000, ge=1, description="requests a key may send at once before 429")
    outbox_retention_hours: float = Field(default=168.0, gt=0,
                                          description="sent outbox rows are kept this long (the reach of outbox redrive)")
    inbox_retention_hours: float = Field(default=336.0, gt=0,
                                         description="handled event ids are kept this long; must exceed topic retention")
    bus_housekeeping_interval_s: float = Field(default=3600.0, gt=0, description="how often the bus tables are pruned")
    log_level: str = "INFO"
    log_json: bool = True
    otel_exporter: Literal["none", "console", "otlp"] = "none"
    otel_endpoint: str = Field(default="http://127.0.0.1:4318",
                               description="the OTLP/HTTP collector that receives traces (GRIDGOV_OTEL_EXPORTER=otlp)")
    environment: Literal["dev", "test", "production"] = "dev"

    @field_validator("broker_url")
    @classmethod
    def _broker_url_has_port(cls, value: str) -> str:
        for server in value.split(","):
            host, _, port = server.strip().removeprefix("tcp://").rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"GRIDGOV_BROKER_URL '{value}' must be host:port[,host:port]")
        return value

    def check_production_safe(self) -> None:
        if self.environment == "production" and self.secret_key == DEV_SECRET:
            raise ValueError("GRIDGOV_SECRET_KEY must be set in production (the development default is public)")


class ServiceSettings(BaseSettings):
    """Per-service settings: its database, where it listens and how it finds the others."""

    model_config = SettingsConfigDict(extra="ignore")

    name: str = "service"
    host: str = "127.0.0.1"
    port: int = 8000
    database_url: str = "sqlite+aiosqlite:///var/service.db"
    database_schema: str | None = Field(default=None, description="PostgreSQL schema (search_path) of this service")
    registry_url: str = "http://127.0.0.1:8004"
    relay_in_process: bool = Field(default=True, description="run the outbox relay inside the API process")
    consumers_enabled: bool = True
    linger_ms: int = Field(default=0, ge=0, le=1000,
                           description="how long ticket events may wait to join a larger consumed batch")
    niceness: int = Field(default=0, ge=0, le=19,
                          description="CPU niceness the process takes at start: on a shared host, a service on no "
                                      "ticket's latency path yields the CPU to those that are")
    common: CommonSettings = Field(default_factory=CommonSettings)

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        scheme = value.split("://", 1)[0]
        if scheme not in SUPPORTED_DB_SCHEMES:
            raise ValueError(
                f"database URL scheme '{scheme}' is not supported; use one of {', '.join(SUPPORTED_DB_SCHEMES)}"
            )
        return value
