"""Settings of the analytics service (environment prefix `GRIDGOV_ANALYTICS_`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GRIDGOV_ANALYTICS_", extra="ignore")

    name: str = "analytics"
    port: int = 8005
    database_url: str = "sqlite+aiosqlite:///var/analytics.db"
    linger_ms: int = Field(default=50, ge=0, le=1000,  # on no latency path: larger batches, less CPU per event
                           description="how long ticket events may wait to join a larger consumed batch")
    live_linger_ms: int = Field(default=100, ge=0, le=1000,  # people read the live tail; 0.1 s more is unseen
                                description="how long events may wait to join a larger batch of the live tail")
    niceness: int = Field(default=10, ge=0, le=19,  # on no latency path: under contention intake and routing go first
                          description="CPU niceness the process takes at start")
