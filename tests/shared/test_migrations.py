"""Each service's Alembic revisions build exactly the schema its models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from gridgov.services import NAMES, metadata_for
from shared.db import Database, make_engine
from shared.migrations import has_revisions, migrate
from tests.harness import create_pg_schema


@pytest.mark.parametrize("service", NAMES)
async def test_migrations_match_the_models(service, database):
    if not has_revisions(service):
        pytest.fail(f"{service} has no Alembic revision: run `gridgov make-migration {service} -m ...`")
    target = database(service)
    if target.schema:
        await create_pg_schema(target.url, target.schema)
    db = Database(make_engine(target.url, schema=target.schema), metadata_for(service), service=service,
                  district="330903")
    await migrate(db, service=service)
    await migrate(db, service=service)  # a second run is a no-op

    def diff(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        return compare_metadata(context, metadata_for(service))

    async with db.engine.connect() as connection:
        differences = await connection.run_sync(diff)
    await db.dispose()
    assert differences == [], f"{service}: models and migrations differ: {differences[:5]}"
