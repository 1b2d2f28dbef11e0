"""Settings of the escalation service (environment prefix `GRIDGOV_ESCALATION_`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GRIDGOV_ESCALATION_", extra="ignore")

    name: str = "escalation"
    port: int = 8003
    database_url: str = "sqlite+aiosqlite:///var/escalation.db"
    work_periods: str = Field(default="08:30-12:00,14:00-17:30", description="district working hours")
    scheduler_in_process: bool = Field(default=True, description="fire timers inside the API process")
    scheduler_interval: float = Field(default=0.2, gt=0, le=60, description="seconds between idle timer scans")
    scheduler_batch: int = Field(default=500, ge=1, le=10_000, description="timers claimed per transaction")
    linger_ms: int = Field(default=50, ge=0, le=1000,  # on no latency path: larger batches, less CPU per event
                           description="how long ticket events may wait to join a larger consumed batch")
    niceness: int = Field(default=10, ge=0, le=19,  # on no latency path: under contention intake and routing go first
                          description="CPU niceness the process takes at start")
