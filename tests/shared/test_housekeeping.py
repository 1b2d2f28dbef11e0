"""Bus housekeeping on the real databases: old sent outbox rows and old inbox records go, nothing else does."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from shared.bus.housekeeping import prune
from shared.db import utcnow
from tests.shared.test_bus import open_db, publish, received


async def _rows(db, table, *columns):
    async with db.engine.connect() as connection:
        return sorted((await connection.execute(select(*columns))).all())


async def test_prune_deletes_old_sent_rows_and_old_inbox_records_and_keeps_unsent_ones(database, common):
    db = await open_db(database("tidy"), common)
    try:
        now = utcnow()
        await publish(db, *[received(f"330903-20261125-{i:06d}") for i in range(5)])
        outbox, inbox = db.outbox, db.inbox
        seqs = [seq for (seq,) in await _rows(db, outbox, outbox.c.seq)]
        ages = {seqs[0]: ("sent", 30), seqs[1]: ("sent", 9), seqs[2]: ("unsent", 30), seqs[3]: ("sent", 1)}
        async with db.uow() as uow:
            for seq, (state, days) in ages.items():
                moment = now - timedelta(days=days)
                await uow.session.execute(outbox.update().where(outbox.c.seq == seq).values(
                    created_at=moment, sent_at=moment if state == "sent" else None))
            await uow.session.execute(inbox.insert(), [
                {"event_id": f"e{i}", "consumer": consumer, "handled_at": now - timedelta(days=days)}
                for i, days in enumerate((30, 20, 3)) for consumer in ("routing", "analytics")])
            await uow.commit()

        deleted = await prune(db, outbox_before=now - timedelta(days=7), inbox_before=now - timedelta(days=14),
                              chunk=1)  # one row per writer turn: the loop must go on until nothing is left

        assert deleted == {"outbox": 2, "inbox": 4}
        left = [seq for (seq,) in await _rows(db, outbox, outbox.c.seq)]
        assert left == [seqs[2], seqs[3], seqs[4]]  # old but unsent, recently sent, never touched (unsent)
        assert await _rows(db, inbox, inbox.c.event_id, inbox.c.consumer) == [("e2", "analytics"), ("e2", "routing")]
        again = await prune(db, outbox_before=now - timedelta(days=7), inbox_before=now - timedelta(days=14))
        assert again == {"outbox": 0, "inbox": 0}
        async with db.engine.connect() as connection:
            unsent = (await connection.execute(select(func.count()).select_from(outbox)
                                               .where(outbox.c.sent_at.is_(None)))).scalar_one()
        assert unsent == 2
    finally:
        await db.dispose()


async def test_claimed_inbox_rows_carry_the_databases_clock_and_are_pruned_by_it(database, common):
    """The inbox claim stamps handled_at with the database's CURRENT_TIMESTAMP (SQLite's text has no fraction of
    a second, SQLAlchemy's has): it reads back as a datetime near now and compares right with pruning cut-offs."""
    db = await open_db(database("stamp"), common)
    try:
        before = utcnow()
        async with db.uow() as uow:
            assert await uow.claim(["a", "b", "a"], "routing") == {"a", "b"}
            await uow.commit()
        async with db.engine.connect() as connection:
            stamps = (await connection.execute(select(db.inbox.c.handled_at))).scalars().all()
        assert len(stamps) == 2
        for stamp in stamps:
            stamp = stamp if stamp.tzinfo else stamp.replace(tzinfo=before.tzinfo)
            assert abs((stamp - before).total_seconds()) < 5
        kept = await prune(db, outbox_before=before - timedelta(days=7), inbox_before=before - timedelta(seconds=5))
        assert kept["inbox"] == 0
        gone = await prune(db, outbox_before=before - timedelta(days=7), inbox_before=utcnow() + timedelta(seconds=2))
        assert gone["inbox"] == 2
    finally:
        await db.dispose()
