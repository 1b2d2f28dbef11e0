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

from sqlalchemy import delete, select, tuple_

from shared.db import Database, utcnow
from shared.settings import CommonSettings

log = logging.getLogger(__name__)
CHUNK = 2000


async def prune(db: Database, *, outbox_before: datetime, inbox_before: datetime, chunk: int = CHUNK) -> dict[str, int]:
    """Delete outbox rows sent before ``outbox_before`` and inbox records handled before ``inbox_before``."""
    outbox, inbox = db.outbox, db.inbox
    deleted = {"outbox": 0, "inbox": 0}
    while True:
        async with db.engine.connect() as connection:
            seqs = (await connection.execute(
                select(outbox.c.seq).where(outbox.c.sent_at.is_not(None), outbox.c.sent_at < outbox_before)
                .order_by(outbox.c.sent_at).limit(chunk))).scalars().all()
        if not seqs:
            break
        async with db.uow() as uow:
            await uow.session.execute(delete(outbox).where(outbox.c.seq.in_(seqs)))
            await uow.commit()
        deleted["outbox"] += len(seqs)
    while True:
        async with db.engine.connect() as connection:
            keys = (await connection.execute(
                select(inbox.c.event_id, inbox.c.consumer).where(inbox.c.handled_at < inbox_before)
                .limit(chunk))).all()
        if not keys:
            break
        async with db.uow() as uow:
            await uow.session.execute(delete(inbox).where(
                tuple_(inbox.c.event_id, inbox.c.consumer).in_([tuple(key) for key in keys])))
            await uow.commit()
        deleted["inbox"] += len(keys)
    return deleted


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
