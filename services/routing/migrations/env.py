"""Alembic environment of the routing service: its own tables only (run through `gridgov migrate routing`)."""

from services.routing.store import Base
from shared.migrations import run_env

run_env(Base.metadata)
