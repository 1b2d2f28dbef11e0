"""Alembic environment of the intake service: its own tables only (run through `gridgov migrate intake`)."""

from services.intake.store import IntakeModel
from shared.migrations import run_env

run_env(IntakeModel.metadata)
