"""Alembic environment of the registry service: its own tables only (run through `gridgov migrate registry`)."""

from services.registry.store import Base
from shared.migrations import run_env

run_env(Base.metadata)
