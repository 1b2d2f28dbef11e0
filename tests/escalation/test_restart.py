"""Durable timers across restarts: the scheduler killed between steps, or mid-batch, never loses or doubles a step."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime
from typing import Any

from fastapi import FastAPI

from services.escalation import store
from services.escalation.firing import fire_due_timers
from shared.db import Database, UnitOfWork
from shared.workcal import DEFAULT_PERIODS
from tests.escalation.fakes import TICKET, at, routed
from tests.escalation.service import handle, published, service_app, service_settings
from tests.harness import running_service, wait_for

NOTICE_50, NOTICE_75, REMIND, SUPERVISE = at(9, 30, 17), at(9, 30, 17, 30), at(10, 8, 9), at(10, 8, 15)


async def _steps(db: Database) -> Counter[str]:
    """How many times each ladder step was published, by reminder percent and event type."""
    rows = await published(db)
    return Counter(f"{r['type'].rsplit('.', 2)[-2]}{'-' + str(r['percent']) if 'percent' in r else ''}" for r in rows)


async def _statuses(db: Database) -> dict[str, str]:
    async with db.uow() as uow:
        return {t["step"]: t["status"] for t in await store.timers_of(uow, TICKET)}


def _scheduler(app: FastAPI) -> asyncio.Task[Any]:
    return next(task for task in app.state.runtime.tasks if task.get_name() == "escalation-timers")


async def test_each_step_fires_once_when_the_scheduler_is_killed_between_steps(database, common):
    target = database("escalation")
    clock = [at(9, 30, 16)]
    settings = service_settings(common, target)
    app_with_timers = service_app(now=lambda: clock[0], scheduler_interval=0.02)
    async with running_service(app_with_timers, settings, target) as (app, _):
        await handle(app.state.db, routed(at(9, 30, 16)))
        clock[0] = NOTICE_50
        await wait_for(lambda: _has(app.state.db, "reminded-50"))
        _scheduler(app).cancel()  # killed between notice-50 and notice-75
    clock[0] = REMIND  # while nobody runs, notice-75 and the reminder come due
    async with running_service(app_with_timers, settings, target) as (app, _):
        await wait_for(lambda: _has(app.state.db, "overdue"))
        _scheduler(app).cancel()
    clock[0] = SUPERVISE
    async with running_service(app_with_timers, settings, target) as (app, _):
        await wait_for(lambda: _has(app.state.db, "supervised"))
        steps = await _steps(app.state.db)
        statuses = await _statuses(app.state.db)
    assert steps == Counter({"reminded-50": 1, "reminded-75": 1, "reminded-100": 1, "overdue": 1, "supervised": 1})
    assert set(statuses.values()) == {"fired"} and len(statuses) == 4


async def test_a_batch_lost_mid_transaction_fires_once_after_restart(database, common):
    target = database("escalation")
    clock = [NOTICE_75]
    settings = service_settings(common, target)
    async with running_service(service_app(), settings, target) as (app, _):
        await handle(app.state.db, routed(at(9, 30, 16)))
        assert await _crash_mid_batch(app.state.db, now=NOTICE_75) == 2  # notice-50 and -75, never committed
        assert await _steps(app.state.db) == Counter()
        assert set((await _statuses(app.state.db)).values()) == {"pending"}
    async with running_service(service_app(now=lambda: clock[0], scheduler_interval=0.02), settings, target) as (app, _):
        await wait_for(lambda: _has(app.state.db, "reminded-75"))
        steps = await _steps(app.state.db)
    assert steps == Counter({"reminded-50": 1, "reminded-75": 1})


async def _crash_mid_batch(db: Database, *, now: datetime) -> int:
    """What a kill -9 inside a scheduler pass leaves: a transaction that claimed and published, then died.

    Returns how many events that pass had queued in its outbox before dying.
    """
    queued: list[int] = []
    original = db.uow

    def dying_uow() -> UnitOfWork:
        uow = original()

        async def killed() -> None:
            queued.append(len(uow._rows))
            raise asyncio.CancelledError

        uow.commit = killed  # type: ignore[method-assign]
        return uow

    db.uow = dying_uow  # type: ignore[method-assign]
    try:
        await fire_due_timers(db, now=now, periods=DEFAULT_PERIODS, limit=100)
    except asyncio.CancelledError:
        pass
    finally:
        db.uow = original  # type: ignore[method-assign]
    return sum(queued)


async def _has(db: Database, step: str) -> bool:
    return (await _steps(db))[step] > 0
