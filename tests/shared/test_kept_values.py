"""Values a process keeps for a while (Database.keep/recall/forget) are never kept from a read a change overtook."""

from __future__ import annotations

from shared.db import Database, make_engine, new_base


def _db(tmp_path) -> Database:
    return Database(make_engine(f"sqlite+aiosqlite:///{tmp_path}/kept.db"), new_base().metadata, service="test",
                    district="330903")


async def test_a_value_read_before_a_forget_is_not_kept(tmp_path):
    """A reader misses, reads the old rows; a writer commits and forgets; the reader's old value must not stick."""
    db = _db(tmp_path)
    fresh, _, stamp = db.recall("replica", "all")
    assert not fresh
    db.forget("replica")  # the change commits while the reader's query runs
    db.keep("replica", "all", "old", ttl=30, stamp=stamp)
    assert db.recall("replica", "all")[:2] == (False, None)
    _, _, stamp = db.recall("replica", "all")
    db.keep("replica", "all", "new", ttl=30, stamp=stamp)
    assert db.recall("replica", "all")[:2] == (True, "new")
    await db.dispose()


async def test_forgetting_one_name_leaves_the_others_kept(tmp_path):
    db = _db(tmp_path)
    for name in ("replica", "classes"):
        _, _, stamp = db.recall(name, 1)
        db.keep(name, 1, name.upper(), ttl=30, stamp=stamp)
    db.forget("replica")
    assert db.recall("classes", 1)[:2] == (True, "CLASSES") and not db.recall("replica", 1)[0]
    await db.dispose()
