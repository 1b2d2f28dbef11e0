"""The timer loop: fire due timers in batches, with time injected so tests can move it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from services.escalation.domain.workhours import WorkPeriods
from services.escalation.firing import fire_due_timers
from shared.db import Database
from shared.workcal import DEFAULT_PERIODS

log = logging.getLogger(__name__)


def system_now() -> datetime:
    return datetime.now(UTC)


async def run_scheduler(db: Database, *, periods: WorkPeriods = DEFAULT_PERIODS,
                        now: Callable[[], datetime] = system_now, interval: float = 1.0, batch: int = 100) -> None:
    """Fire due timers forever; a full batch is followed at once by the next, otherwise wait ``interval``."""
    while True:
        try:
            claimed = await fire_due_timers(db, now=now(), periods=periods, limit=batch)
        except Exception:  # a bad batch must not stop the ladder for every other ticket
            log.exception("firing due timers failed; retrying in %.1f s", interval)
            claimed = 0
        if claimed < batch:
            await asyncio.sleep(interval)
