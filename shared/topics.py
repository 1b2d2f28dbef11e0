"""Topic names; a district deployment may prefix them (``330903.gridgov.tickets``)."""

from __future__ import annotations

TICKETS = "gridgov.tickets"
REGISTRY = "gridgov.registry"
ALERTS = "gridgov.alerts"
DLQ = "gridgov.dlq"
ALL = (TICKETS, REGISTRY, ALERTS, DLQ)
PARTITIONS = {TICKETS: 6, REGISTRY: 3, ALERTS: 3, DLQ: 1}


def qualified(topic: str, prefix: str = "") -> str:
    return f"{prefix}{topic}"
