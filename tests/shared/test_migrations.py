"""Each service's Alembic revisions build exactly the schema its models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from gridgov.services import NAMES, metadata_for
from shared.migrations import has_revisions, migrate
from tests.harness import service_database


@pytest.mark.parametrize("service", NAMES)
async def test_migrations_match_the_models(service, database):
    if not has_revisions(service):
        pytest.fail(f"{service} has no Alembic revision: run `gridgov make-migration {service} -m ...`")
    target = database(service)
    db = await service_database(target, service)
    await migrate(db, service=service)
    await migrate(db, service=service)  # a second run is a no-op

    def diff(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        return compare_metadata(context, metadata_for(service))

    async with db.engine.connect() as connection:
        differences = await connection.run_sync(diff)
    await db.dispose()
    assert differences == [], f"{service}: models and migrations differ: {differences[:5]}"


async def test_the_neighbourhood_revision_fills_in_existing_tickets(database):
    """Tickets stored before duplicate detection had its index get their community and family from the upgrade."""
    from alembic import command
    from sqlalchemy import text

    from shared.migrations import alembic_config

    target = database("intake")
    db = await service_database(target, "intake")
    columns = ("id, state, channel, category, category_mapped, severity, jurisdiction, description, geocode_pending, "
               "created_by, timeline, created_at, updated_at, overdue, result, self_resolved, attachments, machine")
    values = ("'{id}', 'received', 'rest', '{category}', true, '一般', '{jurisdiction}', '', false, '', '[]', "
              "'2026-11-30 08:00:00+00', '2026-11-30 08:00:00+00', false, '', false, '[]', '{{}}'")
    async with db.engine.begin() as connection:
        await connection.run_sync(lambda sync: command.upgrade(alembic_config("intake", sync), "3dd6399cf13e"))
        for ident, category, jurisdiction in (("a", "01020304", "330903001001002"), ("b", "0305", "330903")):
            await connection.execute(text(f"INSERT INTO tickets ({columns}) VALUES "
                                          + "(" + values.format(id=ident, category=category,
                                                                jurisdiction=jurisdiction) + ")"))
    await migrate(db, service="intake")
    async with db.engine.connect() as connection:
        rows = (await connection.execute(text("SELECT id, community, family FROM tickets ORDER BY id"))).all()
    await db.dispose()
    assert [tuple(row) for row in rows] == [("a", "330903001001", "0102"), ("b", None, "0305")]


async def test_the_day_and_month_revision_drops_weeks_and_quarters_and_its_downgrade_sums_them_again(database):
    """Counters are kept per day and month: the upgrade deletes stored weeks and quarters; a downgrade rebuilds
    them as sums of their days (weeks start on Monday) and months."""
    from alembic import command
    from sqlalchemy import text

    from shared.migrations import alembic_config

    target = database("analytics")
    db = await service_database(target, "analytics")
    rows = [("day", "2026-11-30", 2), ("day", "2026-12-06", 3), ("day", "2026-12-07", 5),  # Mon, Sun; next Mon
            ("month", "2026-10-01", 7), ("month", "2026-11-01", 11), ("month", "2026-12-01", 13),
            ("week", "2026-11-30", 99), ("quarter", "2026-10-01", 99)]
    async with db.engine.begin() as connection:
        await connection.run_sync(lambda sync: command.upgrade(alembic_config("analytics", sync), "898bdcedfac0"))
        for period, start, amount in rows:
            await connection.execute(text(
                "INSERT INTO counters (prefix, dim, period, start, value, name, amount) "
                f"VALUES ('330903', 'all', '{period}', '{start}', '', 'received', {amount})"))
    await migrate(db, service="analytics")
    query = text("SELECT period, start, amount FROM counters ORDER BY period, start")
    async with db.engine.connect() as connection:
        upgraded = [(period, str(start), amount) for period, start, amount in (await connection.execute(query)).all()]
    assert upgraded == sorted(row for row in rows if row[0] in ("day", "month"))
    async with db.engine.begin() as connection:
        await connection.run_sync(lambda sync: command.downgrade(alembic_config("analytics", sync), "898bdcedfac0"))
    async with db.engine.connect() as connection:
        downgraded = [(p, str(s), a) for p, s, a in (await connection.execute(query)).all()]
    await db.dispose()
    assert [row for row in downgraded if row[0] in ("week", "quarter")] == [
        ("quarter", "2026-10-01", 31), ("week", "2026-11-30", 5), ("week", "2026-12-07", 5)]
