"""Every event payload, declared once. Importing this package registers all types."""

from shared.events.alert import AlertRaised
from shared.events.base import EVENT_TYPES, Event, UnknownEventType, event_class
from shared.events.registry import (
    CredentialIssued,
    CredentialRevoked,
    DivisionUpserted,
    GridRemoved,
    GridUpserted,
    PlaceUpserted,
    ResidentRecordChanged,
    UnitUpserted,
)
from shared.events.ticket import *  # noqa: F403
from shared.events.ticket import TicketEvent

__all__ = [
    "EVENT_TYPES", "Event", "UnknownEventType", "event_class", "AlertRaised", "CredentialIssued",
    "CredentialRevoked", "DivisionUpserted", "GridRemoved", "GridUpserted", "PlaceUpserted", "ResidentRecordChanged",
    "UnitUpserted", "TicketEvent",
]
