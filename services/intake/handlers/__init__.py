"""Intake's commands (create a ticket, lifecycle commands, hotline orders) and its reactions to events."""

from services.intake.handlers.events import (
    SUBSCRIPTIONS, find_duplicates, may_write, on_lifecycle_event, on_ticket_received,
)
from services.intake.handlers.tickets import UnknownTicket, accept, act, create_ticket, record

__all__ = ["SUBSCRIPTIONS", "UnknownTicket", "accept", "act", "create_ticket", "find_duplicates", "may_write",
           "on_lifecycle_event", "on_ticket_received", "record"]
