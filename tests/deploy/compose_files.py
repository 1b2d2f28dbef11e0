"""Load and merge compose files the way `docker compose -f a -f b` does, for the keys gridgov uses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

SCHEMA = Path(__file__).with_name("compose_spec.json")

Compose = dict[str, Any]


def load(path: Path) -> Compose:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    return data


def merge(base: Any, override: Any) -> Any:
    """Mappings merge by key, sequences append, scalars are replaced (Compose merge rules)."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = merge(base[key], value) if key in base else value
        return merged
    if isinstance(base, list) and isinstance(override, list):
        return [*base, *[item for item in override if item not in base]]
    return override


def schema() -> dict[str, Any]:
    """The Compose Specification schema shipped by the docker-compose 1.29.2 wheel (compose_spec.json)."""
    return dict(json.loads(SCHEMA.read_text(encoding="utf-8")))


def gridgov_services(compose: Compose) -> dict[str, Compose]:
    """Services that run the gridgov image (their command is a gridgov sub-command)."""
    return {name: service for name, service in compose["services"].items()
            if str(service.get("image", "")).startswith("${GRIDGOV_IMAGE")}
