"""Alembic environment of the escalation service: its own tables only (run through `gridgov migrate escalation`)."""

from services.escalation.store import Base
from shared.migrations import run_env

run_env(Base.metadata)
