"""shared.db.new_row on intake's ticket rows and the real databases: a row built without SQLModel's constructor is
the same row."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from services.intake import store
from shared.db import new_row
from shared.migrations import migrate
from tests.harness import service_database

NOW = datetime(2026, 12, 5, 8, 30, tzinfo=UTC)


def _values(ticket_id: str) -> dict:
    return dict(id=ticket_id, state="received", channel="hotline", category="02060201", category_mapped=False,
                severity="紧急", jurisdiction="330903001001001", grid_code="330903001001001", lon=120.1, lat=30.2,
                address="某路 12 号", description="占道经营", reporter_encrypted="v1:abc", reporter_masked={"name": "张*"},
                external_id="GD-1", geocode_pending=False, created_by="hl-1", created_at=NOW, updated_at=NOW,
                self_resolved=False, hotline_client="hl-1", media_url=None, attachments=[{"url": "a.jpg"}],
                timeline=[], machine={})


async def test_a_row_built_for_speed_is_stored_and_read_like_one_from_the_constructor(database):
    target = database("intake")
    db = await service_database(target, "intake")
    await migrate(db, service="intake")
    try:
        fast, slow = new_row(store.TicketRow, **_values("a")), store.TicketRow(**_values("b"))
        assert fast.model_dump(exclude={"id"}) == slow.model_dump(exclude={"id"})
        assert fast.model_fields_set == slow.model_fields_set
        async with db.uow() as uow:
            uow.session.add_all([fast, slow])
            fast.state = "dispatched"  # a change after construction is tracked as usual (save_state does this)
            slow.state = "dispatched"
            await uow.commit()
        table = store.TicketRow.__table__
        async with db.engine.connect() as connection:
            rows = {row.id: row._asdict() for row in (await connection.execute(select(table))).all()}
        assert {k: v for k, v in rows["a"].items() if k != "id"} == {k: v for k, v in rows["b"].items() if k != "id"}
        assert rows["a"]["state"] == "dispatched" and rows["a"]["version"] == 1 and rows["a"]["overdue"] is False
        async with db.uow() as uow:
            again = await store.get_ticket(uow, "a")
            assert again is not None and again.reporter_masked == {"name": "张*"} and again.rating is None
            again.rating = "满意"
            await uow.commit()
        async with db.uow() as uow:
            stored = await store.get_ticket(uow, "a")
            assert stored is not None and stored.rating == "满意" and stored.version == 2
    finally:
        await db.dispose()


def test_a_row_built_for_speed_refuses_unknown_and_missing_fields():
    with pytest.raises(TypeError, match="unknown TicketRow fields: \\['colour'\\]"):
        new_row(store.TicketRow, **_values("a"), colour="red")
    values = _values("a")
    del values["channel"]
    with pytest.raises(TypeError, match="missing TicketRow fields: \\['channel'\\]"):
        new_row(store.TicketRow, **values)


def test_a_row_built_for_speed_first_in_a_process_reads_its_fields():
    """Nothing has configured the ORM's mappers in a new process yet (the constructor would); the fast path does."""
    import subprocess
    import sys

    code = ("from tests.intake.test_store import _values; from services.intake import store; "
            "from shared.db import new_row; "
            "row = new_row(store.TicketRow, **_values('a')); print(row.lon, row.address, row.rating)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["120.1", "某路", "12", "号", "None"]


async def test_a_row_inserted_at_commit_reads_back_like_one_the_orm_flushed_and_updates_with_its_version(database):
    """insert_at_commit writes complete new rows with one Core statement as the transaction commits (intake's new
    tickets); the ORM then reads and updates them as rows it had inserted itself (the version check included)."""
    target = database("intake")
    db = await service_database(target, "intake")
    await migrate(db, service="intake")
    try:
        core = [new_row(store.TicketRow, **_values(name)) for name in ("a", "c")]
        orm = new_row(store.TicketRow, **_values("b"))
        async with db.uow() as uow:
            for row in core:
                uow.insert_at_commit(row)
            core[0].state = "dispatched"  # changes until the commit are written (save_state runs after the call)
            assert core[0] not in uow.session and await store.get_ticket(uow, "a") is None  # not before the commit
            uow.session.add(orm)
            orm.state = "dispatched"
            await uow.commit()
        table = store.TicketRow.__table__
        async with db.engine.connect() as connection:
            rows = {row.id: row._asdict() for row in (await connection.execute(select(table))).all()}
        assert sorted(rows) == ["a", "b", "c"]
        assert {k: v for k, v in rows["a"].items() if k != "id"} == {k: v for k, v in rows["b"].items() if k != "id"}
        assert rows["a"]["state"] == "dispatched" and rows["c"]["state"] == "received" and rows["a"]["version"] == 1
        async with db.uow() as uow:
            again = await store.get_ticket(uow, "a")
            assert again is not None
            again.rating = "满意"
            await uow.commit()
        async with db.uow() as uow:
            stored = await store.get_ticket(uow, "a")
            assert stored is not None and stored.rating == "满意" and stored.version == 2
            with pytest.raises(ValueError, match="primary key"):
                uow.insert_at_commit(new_row(store.TicketRow, **{**_values("d"), "id": None}))
    finally:
        await db.dispose()
