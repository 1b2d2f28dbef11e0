"""CloudEvents 1.0 envelope in Kafka binary content mode (``ce_*`` headers, JSON body)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from uuid_utils import uuid7

from shared.events.base import Event, UnknownEventType, event_class

SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"
REQUIRED_HEADERS = ("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_jurisdiction")


class MalformedMessage(ValueError):
    """A record that is not a valid gridgov CloudEvent (bad JSON, unknown type, schema violation)."""


@dataclass(slots=True, eq=False)
class Envelope:
    """One event with its CloudEvents attributes. Not frozen: a frozen dataclass's ``__init__`` sets each field
    through ``object.__setattr__`` (2.5 against 0.7 µs here), paid for every consumed record; nothing changes one."""

    id: str
    source: str
    type: str
    time: datetime
    subject: str
    jurisdiction: str
    data: Event
    traceparent: str | None = None


def source_for(service: str, district: str) -> str:
    return f"/gridgov/{service}/{district}"


def new_event_id() -> str:
    """A UUIDv7 (RFC 9562): unique like a v4, and in time order, so the outbox's ``event_id`` index and every
    inbox's key take appends instead of inserts scattered through their B-trees (most of what it saved in the bus
    bench: random v4 ids, as fast, left both processes 10-20 % slower). From uuid_utils (Rust): 0.16 µs against the
    standard library's 1.7 µs for a v4, an ``os.urandom`` system call each."""
    return str(uuid7())


def to_headers(envelope: Envelope) -> list[tuple[str, bytes]]:
    return [(name, value.encode()) for name, value in header_pairs(envelope)]


def header_pairs(envelope: Envelope) -> list[tuple[str, str]]:
    """The record's headers as text (the outbox stores them so, the relay encodes them)."""
    headers = {
        "ce_specversion": SPECVERSION,
        "ce_id": envelope.id,
        "ce_source": envelope.source,
        "ce_type": envelope.type,
        "ce_time": envelope.time.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "ce_subject": envelope.subject,
        "ce_jurisdiction": envelope.jurisdiction,
        "content-type": CONTENT_TYPE,
    }
    if envelope.traceparent:
        headers["ce_traceparent"] = envelope.traceparent
    return list(headers.items())


def encode_data(event: Event) -> bytes:
    """The record's JSON body, straight from pydantic's serializer to bytes (``orjson.dumps(model_dump(mode=
    "json"))`` gave the same bytes at 1.5 times the cost)."""
    return event.__pydantic_serializer__.to_json(event)


def decode(headers: list[tuple[str, bytes]] | tuple[tuple[str, bytes], ...], value: bytes | None) -> Envelope:
    """Parse one Kafka record into an Envelope, or raise MalformedMessage saying what is wrong."""
    envelope = decode_for(headers, value, wanted=None)
    assert envelope is not None
    return envelope


def decode_for(headers: list[tuple[str, bytes]] | tuple[tuple[str, bytes], ...], value: bytes | None, *,
               wanted: Callable[[type[Event], str], bool] | None) -> Envelope | None:
    """Like ``decode``, but None for a well-formed record whose type and jurisdiction (read from the headers)
    ``wanted`` declines: consumers skip other services' events without parsing their bodies."""
    meta = _header_map(headers)
    missing = [name for name in REQUIRED_HEADERS if name not in meta]
    if missing:
        raise MalformedMessage(f"missing CloudEvents headers: {', '.join(missing)}")
    if meta["ce_specversion"] != SPECVERSION:
        raise MalformedMessage(f"unsupported ce_specversion '{meta['ce_specversion']}'")
    try:
        cls = event_class(meta["ce_type"])
    except UnknownEventType as error:
        raise MalformedMessage(str(error)) from None
    if wanted is not None and not wanted(cls, meta["ce_jurisdiction"]):
        return None
    data = _parse_body(cls, value)
    return Envelope(
        id=meta["ce_id"], source=meta["ce_source"], type=meta["ce_type"], time=_parse_time(meta["ce_time"]),
        subject=meta.get("ce_subject", ""), jurisdiction=meta["ce_jurisdiction"], data=data,
        traceparent=meta.get("ce_traceparent"),
    )


def _header_map(headers: Any) -> dict[str, str]:
    try:
        return {name: raw.decode() for name, raw in (headers or ())}
    except (UnicodeDecodeError, AttributeError, ValueError) as error:
        raise MalformedMessage(f"unreadable headers: {error}") from None


def _parse_body(cls: type[Event], value: bytes | None) -> Event:
    try:
        return cls.model_validate_json(value or b"")
    except ValidationError as error:
        first = error.errors()[0]
        if first["type"] == "json_invalid":
            raise MalformedMessage(f"body is not JSON: {first['msg']}") from None
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise MalformedMessage(f"schema violation for {cls.ce_type} at '{where}': {first['msg']}") from None


def _parse_time(raw: str) -> datetime:
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise MalformedMessage(f"ce_time '{raw}' is not RFC 3339") from None
