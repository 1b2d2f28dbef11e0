"""Generate ``docs/asyncapi.yaml`` (AsyncAPI 3.0) and JSON Schemas from the event registry.

``python -m gridgov.asyncapi`` rewrites the file; ``--check`` fails when the checked-in copy is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

import shared.events  # noqa: F401 - registers every event type
from shared import topics
from shared.events.base import EVENT_TYPES

OUTPUT = Path("docs/asyncapi.yaml")
HEADERS_SCHEMA = {
    "type": "object",
    "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_jurisdiction"],
    "properties": {
        "ce_specversion": {"const": "1.0"},
        "ce_id": {"type": "string", "format": "uuid",
                  "description": "UUIDv7 (RFC 9562): unique, in time order; consumers de-duplicate on it"},
        "ce_source": {"type": "string", "description": "/gridgov/<service>/<district code>"},
        "ce_type": {"type": "string"},
        "ce_time": {"type": "string", "format": "date-time"},
        "ce_subject": {"type": "string", "description": "ticket id or registry entity id"},
        "ce_jurisdiction": {"type": "string", "description": "code of the place the event is about"},
        "ce_traceparent": {"type": "string", "description": "W3C trace context"},
        "content-type": {"const": "application/json"},
    },
}


def _message_name(ce_type: str) -> str:
    return ce_type.removeprefix("cn.gridgov.").replace(".", "_")


def document() -> dict[str, Any]:
    messages, schemas = {}, {}
    channels: dict[str, Any] = {name: {"address": name, "messages": {}} for name in topics.ALL}
    for ce_type, cls in sorted(EVENT_TYPES.items()):
        name = _message_name(ce_type)
        schema = cls.model_json_schema(ref_template="#/components/schemas/{model}")
        for def_name, definition in schema.pop("$defs", {}).items():
            schemas[def_name] = definition
        schemas[cls.__name__] = schema
        messages[name] = {
            "name": ce_type, "title": cls.__name__, "summary": (cls.__doc__ or "").strip().split("\n")[0] or ce_type,
            "contentType": "application/json", "headers": HEADERS_SCHEMA,
            "payload": {"$ref": f"#/components/schemas/{cls.__name__}"},
        }
        channels[cls.topic]["messages"][name] = {"$ref": f"#/components/messages/{name}"}
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "gridgov events", "version": "1.0.0",
                 "description": "CloudEvents 1.0 in Kafka binary mode; key = ticket id or entity id. Generated: "
                                "python -m gridgov.asyncapi"},
        "defaultContentType": "application/json",
        "channels": channels,
        "components": {"messages": messages, "schemas": schemas},
    }


def render() -> str:
    return yaml.safe_dump(document(), allow_unicode=True, sort_keys=False, width=120)


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not OUTPUT.exists() or OUTPUT.read_text(encoding="utf-8") != text:
            print(f"{OUTPUT} is stale: run `python -m gridgov.asyncapi` and commit it", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT} ({len(EVENT_TYPES)} event types)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
