"""Registry commands. The registry listens to no other service's events, so SUBSCRIPTIONS is empty."""

from __future__ import annotations

from typing import Any

SUBSCRIPTIONS: dict[Any, Any] = {}
