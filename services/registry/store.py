"""Registry's tables and queries."""

from __future__ import annotations

from shared.db import new_base

Base = new_base()
