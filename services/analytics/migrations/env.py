"""Alembic environment of the analytics service: its own tables only (run through `gridgov migrate analytics`)."""

from services.analytics.store import Base
from shared.migrations import run_env

run_env(Base.metadata)
