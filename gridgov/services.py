"""The five services by name: where their app factory and settings live."""

from __future__ import annotations

import importlib
from typing import Any

NAMES = ("registry", "intake", "routing", "escalation", "analytics")


class UnknownService(ValueError):
    """A service name that is not one of the five."""


def settings_for(name: str, **overrides: Any) -> Any:
    _check(name)
    module = importlib.import_module(f"services.{name}.settings")
    return module.Settings(**overrides)


def metadata_for(name: str) -> Any:
    """The service's own MetaData (its tables plus outbox, inbox and credentials), without building an app."""
    _check(name)
    store = importlib.import_module(f"services.{name}.store")
    base = getattr(store, "Base", None) or getattr(store, "IntakeModel")
    return base.metadata


def app_factory(name: str) -> Any:
    _check(name)
    return importlib.import_module(f"services.{name}.app").create_app


def _check(name: str) -> None:
    if name not in NAMES:
        raise UnknownService(f"unknown service '{name}'; choose one of {', '.join(NAMES)}")
