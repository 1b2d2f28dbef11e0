"""The generated AsyncAPI document is current and every event type has a payload schema."""

from __future__ import annotations

from gridgov import asyncapi
from shared.events.base import EVENT_TYPES


def test_checked_in_asyncapi_is_current():
    assert asyncapi.OUTPUT.read_text(encoding="utf-8") == asyncapi.render(), "run: python -m gridgov.asyncapi"


def test_every_event_type_is_a_message_on_its_topic():
    doc = asyncapi.document()
    for ce_type, cls in EVENT_TYPES.items():
        name = ce_type.removeprefix("cn.gridgov.").replace(".", "_")
        assert name in doc["channels"][cls.topic]["messages"]
        assert cls.__name__ in doc["components"]["schemas"]
