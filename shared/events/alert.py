"""Early-warning events on ``gridgov.alerts``."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from shared import topics
from shared.events.base import Event


class AlertRaised(Event):
    ce_type: ClassVar[str] = "cn.gridgov.alert.raised.v1"
    topic: ClassVar[str] = topics.ALERTS
    alert_id: str
    occurred_at: datetime
    jurisdiction: str
    kind: Literal["spike", "repeat_cluster", "coverage", "residency_anomaly"]
    category: str | None = None
    title: str
    evidence: dict[str, Any]
