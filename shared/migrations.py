"""Schema migrations: Alembic per service (``services/<name>/migrations``), create_all when none exist yet."""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from shared.db import Database, create_schema

log = logging.getLogger(__name__)


def migrations_dir(service: str) -> Path:
    return Path(str(resources.files(f"services.{service}"))) / "migrations"


def alembic_config(service: str, connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir(service)))
    config.attributes["connection"] = connection
    config.attributes["service"] = service
    return config


def has_revisions(service: str) -> bool:
    versions = migrations_dir(service) / "versions"
    return versions.is_dir() and any(versions.glob("*.py"))


async def migrate(db: Database, *, service: str) -> None:
    """Bring the service's database to the newest schema."""
    if not has_revisions(service):
        await create_schema(db.engine, db.metadata)
        return
    async with db.engine.begin() as connection:
        await connection.run_sync(lambda sync: command.upgrade(alembic_config(service, sync), "head"))


def run_env(metadata: "MetaData") -> None:
    """The body of every service's ``migrations/env.py`` (online mode, on the connection it is handed)."""
    from alembic import context

    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through `gridgov migrate <service>`, which provides the connection")
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def autogenerate(db_sync_url: str, *, service: str, metadata: "MetaData", message: str) -> None:
    """Write a new revision for the difference between the models and the newest revision (developer tool)."""
    from sqlalchemy import create_engine

    engine = create_engine(db_sync_url)
    with engine.begin() as connection:
        config = alembic_config(service, connection)
        command.upgrade(config, "head")
        command.revision(config, message=message, autogenerate=True)
    engine.dispose()
