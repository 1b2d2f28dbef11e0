"""The event base class and the registry of ``ce_type`` → payload model."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

EVENT_TYPES: dict[str, type["Event"]] = {}


class Event(BaseModel):
    """A fact that happened, named in the past tense; the CloudEvents ``data`` of one message."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ce_type: ClassVar[str]
    topic: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        ce_type = cls.__dict__.get("ce_type")
        if ce_type:
            if ce_type in EVENT_TYPES and EVENT_TYPES[ce_type].__qualname__ != cls.__qualname__:
                raise TypeError(f"event type {ce_type} declared twice")
            EVENT_TYPES[ce_type] = cls


class UnknownEventType(LookupError):
    """A message whose ``ce_type`` no payload model is registered for."""


def event_class(ce_type: str) -> type[Event]:
    try:
        return EVENT_TYPES[ce_type]
    except KeyError:
        raise UnknownEventType(f"unknown event type '{ce_type}'") from None
