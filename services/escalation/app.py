"""Composition root of the escalation service."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal

from fastapi import FastAPI

from services.escalation import api, handlers, store
from services.escalation.domain.workhours import InvalidWorkPeriods, WorkPeriods, parse_work_periods
from services.escalation.scheduler import run_scheduler, system_now
from services.escalation.settings import Settings
from shared import topics
from shared.bus.consumer import Subscription
from shared.runtime import ServiceRuntime, create_service_app
from shared.workcal import CalendarError, WorkCalendar


def create_app(settings: Settings | None = None, *, database_schema: str | None = None,
               now: Callable[[], datetime] = system_now,
               scheduler_interval: float | None | Literal["settings"] = "settings") -> FastAPI:
    """The escalation app; ``now`` drives the timer loop (tests move it), ``scheduler_interval=None`` turns it off."""
    settings = settings or Settings()
    periods = work_periods(settings)
    if scheduler_interval == "settings":
        scheduler_interval = settings.scheduler_interval if settings.scheduler_in_process else None
    runtime = ServiceRuntime(
        settings, metadata=store.Base.metadata, database_schema=database_schema, replicate_credentials=True,
        subscriptions=[Subscription(name="escalation", topics=[topics.TICKETS],
                                    handlers=handlers.subscriptions(periods=periods), linger_ms=settings.linger_ms)],
    )

    async def start_scheduler(running: ServiceRuntime) -> None:
        if scheduler_interval is not None and running.db is not None:
            running.spawn(run_scheduler(running.db, periods=periods, now=now, interval=float(scheduler_interval),
                                        batch=settings.scheduler_batch), name="escalation-timers")

    app = create_service_app(settings, runtime=runtime, routers=[api.router], title="gridgov escalation",
                             description="Time limits on the working calendar, reminders, supervision, escalation.",
                             on_start=[start_scheduler])
    app.state.work_periods = periods
    return app


def work_periods(settings: Settings) -> WorkPeriods:
    """The configured working hours, or a one-line start-up error naming the setting."""
    try:
        periods = parse_work_periods(settings.work_periods)
        WorkCalendar(work_periods=periods)
    except (InvalidWorkPeriods, CalendarError) as error:
        raise InvalidWorkPeriods(f"GRIDGOV_ESCALATION_WORK_PERIODS={settings.work_periods!r}: {error}") from None
    return periods
