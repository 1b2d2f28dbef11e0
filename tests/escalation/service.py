"""Helpers for escalation's handler and API tests: the app without its timer loop, events straight to handlers."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

import orjson
from sqlalchemy import select

from services.escalation import handlers, store
from services.escalation.app import create_app
from services.escalation.firing import fire_due_timers
from services.escalation.settings import Settings
from shared.db import Database
from shared.events.ticket import TicketEvent
from shared.workcal import DEFAULT_PERIODS
from tests.escalation.fakes import TICKET


def service_settings(common: Any, target: Any) -> Settings:
    return Settings(database_url=target.url, common=common)


def service_app(**kwargs: Any) -> Any:
    return partial(create_app, **({"scheduler_interval": None} | kwargs))


async def handle(db: Database, *events: TicketEvent) -> None:
    for ticket_event in events:
        async with db.uow() as uow:
            await handlers.on_ticket_event(ticket_event, uow, periods=DEFAULT_PERIODS)
            await uow.commit()


async def fire(db: Database, *, now: datetime, limit: int = 100) -> int:
    """One scheduler pass at ``now`` with the default working hours; how many timers it claimed."""
    return await fire_due_timers(db, now=now, periods=DEFAULT_PERIODS, limit=limit)


async def published(db: Database, ce_type_suffix: str = "") -> list[dict[str, Any]]:
    async with db.engine.connect() as connection:
        rows = (await connection.execute(select(db.outbox).order_by(db.outbox.c.seq))).mappings().all()
    return [{"type": r["ce_type"], **orjson.loads(r["payload"])} for r in rows if r["ce_type"].endswith(ce_type_suffix)]


async def pending_timers(db: Database, ticket_id: str = TICKET) -> list[tuple[int, str, datetime]]:
    async with db.uow() as uow:
        timers = await store.timers_of(uow, ticket_id)
    return [(t["clock_seq"], t["step"], t["fire_at"]) for t in timers if t["status"] == "pending"]
