"""Housekeeping of the bus tables: sent outbox rows and inbox records past their retention are deleted.

Without it both tables grow by a row per event for ever. Unsent outbox rows are never deleted, whatever their age.
The inbox must remember an event for longer than the broker may still deliver it (topic retention plus the longest
consumer lag), or a late redelivery would be handled twice; the outbox keeps sent rows for ``gridgov outbox redrive
--since`` to republish. Old rows are found by a plain read (on SQLite it waits for no writer) and deleted by key in
short write transactions, so the writers of tickets never wait behind a long delete.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, Table, delete, select, tuple_

from shared.db import Database, utcnow
from shared.settings import CommonSettings

log = logging.getLogger(__name__)
CHUNK = 2000


async def prune(db: Database, *, outbox_before: datetime, inbox_before: datetime, chunk: int = CHUNK) -> dict[str, int]:
    """Delete outbox rows sent before ``outbox_before`` and inbox records handled before ``inbox_before``."""
    outbox, inbox = db.outbox, db.inbox
    sent_long_ago = select(outbox.c.seq).where(outbox.c.sent_at.is_not(None), outbox.c.sent_at < outbox_before)
    handled_long_ago = select(inbox.c.event_id, inbox.c.consumer).where(inbox.c.handled_at < inbox_before)
    return {"outbox": await _delete_in_chunks(db, outbox, sent_long_ago.order_by(outbox.c.sent_at), chunk=chunk),
            "inbox": await _delete_in_chunks(db, inbox, handled_long_ago, chunk=chunk)}


async def _delete_in_chunks(db: Database, table: Table, keys: Select[Any], *, chunk: int) -> int:
    """Delete the rows whose primary keys ``keys`` selects, ``chunk`` at a time, until it selects none."""
    key = tuple_(*table.primary_key.columns)
    deleted = 0
    while True:
        async with db.engine.connect() as connection:
            found = [tuple(row) for row in (await connection.execute(keys.limit(chunk))).all()]
        if not found:
            return deleted
        async with db.uow() as uow:
            await uow.session.execute(delete(table).where(key.in_(found)))
            await uow.commit()
        deleted += len(found)


async def keep_tidy(db: Database, common: CommonSettings) -> None:
    """Prune every ``bus_housekeeping_interval_s`` for as long as the service runs (the first round at start-up)."""
    while True:
        now = utcnow()
        try:
            deleted = await prune(db, outbox_before=now - timedelta(hours=common.outbox_retention_hours),
                                  inbox_before=now - timedelta(hours=common.inbox_retention_hours))
        except asyncio.CancelledError:
            raise
        except Exception:  # the next round tries again; nothing is lost by a late prune
            log.exception("pruning the bus tables of %s failed", db.service)
        else:
            if deleted["outbox"] or deleted["inbox"]:
                log.info("pruned %d sent outbox rows and %d inbox records of %s", deleted["outbox"],
                         deleted["inbox"], db.service)
        await asyncio.sleep(common.bus_housekeeping_interval_s)
