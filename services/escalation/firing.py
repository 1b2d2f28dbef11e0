"""Firing due timers: claim a batch, decide each step in the domain, publish through the outbox, one transaction."""

from __future__ import annotations

import uuid
from datetime import datetime

from services.escalation import store
from services.escalation.domain.clock import Clock
from services.escalation.domain.ladder import Ladder
from services.escalation.domain.timers import Timer, fire_timer
from services.escalation.domain.workhours import WorkPeriods
from services.escalation.handlers import calendar_for, ladder_for
from shared import codes
from shared.db import Database, UnitOfWork
from shared.events.ticket import TicketEvent
from shared.workcal import WorkCalendar

DistrictSettings = dict[str, tuple[WorkCalendar, Ladder]]


async def fire_due_timers(db: Database, *, now: datetime, periods: WorkPeriods, limit: int = 100) -> int:
    """Fire up to ``limit`` due timers in one transaction (events via the outbox); returns how many were claimed."""
    claim = uuid.uuid4().hex
    async with db.uow() as uow:
        timers = await store.claim_due_timers(uow, now=now, limit=limit, claim=claim)
        clocks = await store.clocks_of(uow, {(timer.ticket_id, timer.clock_seq) for timer in timers})
        districts: DistrictSettings = {}
        skipped: list[Timer] = []
        for timer in timers:
            clock = clocks.get((timer.ticket_id, timer.clock_seq))
            events = await _fire(uow, timer, clock, now=now, periods=periods, districts=districts)
            for produced in events:
                uow.publish(produced, key=produced.ticket_id, jurisdiction=produced.jurisdiction)
            if not events:
                skipped.append(timer)
        if timers:
            await store.finish_claimed(uow, claim=claim, timers=timers, skipped=skipped, now=now)
        await uow.commit()
    return len(timers)


async def _fire(uow: UnitOfWork, timer: Timer, clock: Clock | None, *, now: datetime, periods: WorkPeriods,
                districts: DistrictSettings) -> list[TicketEvent]:
    if clock is None:
        return []
    district = codes.district_of(clock.jurisdiction)
    if district not in districts:
        districts[district] = (await calendar_for(uow, district, periods=periods), await ladder_for(uow, district))
    calendar, ladder = districts[district]
    return fire_timer(timer, clock, calendar=calendar, ladder=ladder, now=now)
