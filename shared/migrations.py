"""Schema migrations: Alembic per service (``services/<name>/migrations``), create_all when none exist yet."""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
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
