"""Open311 GeoReport v2 (wiki.open311.org/GeoReport_v2): services, requests, tokens and errors, in JSON and XML.

Field names, their order, the `open`/`closed` status and the error shape follow the spec exactly so that
existing GeoReport v2 clients work unchanged; `service_code` is the taxonomy item code.
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Literal, Protocol

from services.intake.domain.lifecycle import STATES, State

Format = Literal["json", "xml"]
Status = Literal["open", "closed"]
MEDIA_TYPES: dict[Format, str] = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
MAX_SPAN = timedelta(days=90)
MAX_DESCRIPTION = 4000
CHINA = timezone(timedelta(hours=8))
CLOSED_STATES: frozenset[State] = frozenset({"verified", "closed", "not_accepted", "merged"})
STATUS_NOTES: dict[State, str] = {
    "received": "已受理，正在分派", "routed": "已派遣至承办单位", "signed": "承办单位已签收",
    "in_progress": "正在处置", "suspended": "暂停办理（等待第三方）", "resolved": "处置完毕，等待核查",
    "verified": "已核查办结", "closed": "已办结", "reopened": "重新办理中", "not_accepted": "不予受理",
    "merged": "与其他诉求合并办理",
}
REQUEST_FIELDS = (
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url",
)


class Open311Error(Exception):
    """An error answered in the spec's format: ``[{"code": 400, "description": "…"}]``."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code, self.description = code, description


def parse_format(fmt: str) -> Format:
    if fmt not in ("json", "xml"):
        raise Open311Error(404, f"unsupported format '{fmt}': use .json or .xml")
    return fmt  # type: ignore[return-value]


def check_jurisdiction(jurisdiction_id: str | None, *, district: str) -> None:
    """``jurisdiction_id`` is optional; when given it must be this deployment's district code."""
    if jurisdiction_id not in (None, "", district):
        raise Open311Error(404, f"jurisdiction_id '{jurisdiction_id}' not found")


class ServiceItem(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def module_name(self) -> str: ...
    @property
    def class_name(self) -> str: ...
    @property
    def subclass_name(self) -> str: ...


def service(item: ServiceItem) -> dict[str, Any]:
    """One entry of ``GET services``: a taxonomy item."""
    path = [item.module_name, item.class_name, item.subclass_name, item.name]
    keywords = list(dict.fromkeys(part for part in path if part))
    return {
        "service_code": item.code, "service_name": item.name, "description": " / ".join(path),
        "metadata": False, "type": "realtime", "keywords": ", ".join(keywords), "group": item.class_name,
    }


def services(items: Iterable[ServiceItem]) -> list[dict[str, Any]]:
    return [service(item) for item in sorted(items, key=lambda item: item.code)]


def service_definition(item: ServiceItem) -> dict[str, Any]:
    """``GET services/{service_code}``: no extra attributes (every service has ``metadata`` false)."""
    return {"service_code": item.code, "attributes": []}


@dataclass(frozen=True)
class RequestFacts:
    """What a GeoReport ``request`` shows of one ticket."""

    ticket_id: str
    state: State
    service_code: str
    service_name: str
    description: str
    requested_at: datetime
    updated_at: datetime
    expected_at: datetime | None = None
    agency_responsible: str | None = None
    address: str | None = None
    lat: float | None = None
    lon: float | None = None
    media_url: str | None = None
    note: str = ""


def status_of(state: State) -> Status:
    """Finer states collapse to the spec's two: verified, closed, not accepted and merged are closed."""
    return "closed" if state in CLOSED_STATES else "open"


def states_for(status: Status) -> list[State]:
    return [state for state in STATES if status_of(state) == status]


def status_notes(facts: RequestFacts) -> str:
    label = STATUS_NOTES[facts.state]
    return f"{label}：{facts.note}" if facts.note else label


def request_record(facts: RequestFacts) -> dict[str, Any]:
    """One ``request`` element with every field of the spec, in the spec's order."""
    return {
        "service_request_id": facts.ticket_id, "status": status_of(facts.state),
        "status_notes": status_notes(facts), "service_name": facts.service_name,
        "service_code": facts.service_code, "description": facts.description,
        "agency_responsible": facts.agency_responsible, "service_notice": None,
        "requested_datetime": format_datetime(facts.requested_at),
        "updated_datetime": format_datetime(facts.updated_at),
        "expected_datetime": format_datetime(facts.expected_at) if facts.expected_at else None,
        "address": facts.address, "address_id": None, "zipcode": None,
        "lat": facts.lat, "long": facts.lon, "media_url": facts.media_url,
    }


def created_response(
    *, service_request_id: str | None = None, token: str | None = None, service_notice: str | None = None
) -> list[dict[str, Any]]:
    """The answer to ``POST requests``: the id, or a token to look it up later."""
    if (service_request_id is None) == (token is None):
        raise ValueError("answer with exactly one of service_request_id and token")
    key, value = ("service_request_id", service_request_id) if token is None else ("token", token)
    return [{key: value, "service_notice": service_notice, "account_id": None}]


def token_response(*, token: str, service_request_id: str | None) -> list[dict[str, Any]]:
    """``GET tokens/{token}``: the id once the request exists (null while it is still being created)."""
    return [{"service_request_id": service_request_id, "token": token}]


def format_datetime(moment: datetime) -> str:
    """ISO 8601 with an offset (the spec requires one), in China Standard Time."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=CHINA)).astimezone(CHINA).isoformat(timespec="seconds")


_UNENCODED_PLUS = re.compile(r"(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")  # "+08:00" sent unescaped


def parse_datetime(value: str, *, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(_UNENCODED_PLUS.sub(r"\1+\2", value.strip()))
    except ValueError:
        raise Open311Error(400, f"{name} must be an ISO 8601 date-time, e.g. 2026-11-24T09:00:00+08:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA)


@dataclass(frozen=True)
class RequestQuery:
    """Filters of ``GET requests``; ``ids`` overrides every other filter, as the spec says."""

    ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    statuses: tuple[Status, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    limit: int = 1000


def parse_query(params: Mapping[str, str], *, now: datetime) -> RequestQuery:
    """Validate ``GET requests`` parameters; without dates the last 90 days are searched."""
    ids = _csv(params.get("service_request_id"))
    if ids:
        return RequestQuery(ids=ids)
    statuses = _csv(params.get("status"))
    if bad := [status for status in statuses if status not in ("open", "closed")]:
        raise Open311Error(400, f"status must be open or closed, not '{bad[0]}'")
    start, end = _window(params, now=now)
    return RequestQuery(
        service_codes=_csv(params.get("service_code")), statuses=statuses, start=start, end=end,  # type: ignore[arg-type]
    )


def _window(params: Mapping[str, str], *, now: datetime) -> tuple[datetime, datetime]:
    start = parse_datetime(params["start_date"], name="start_date") if params.get("start_date") else None
    end = parse_datetime(params["end_date"], name="end_date") if params.get("end_date") else None
    if start is None:
        start = (end or now) - MAX_SPAN
    end = end or min(now, start + MAX_SPAN)
    if end < start:
        raise Open311Error(400, "end_date is before start_date")
    if end - start > MAX_SPAN:
        raise Open311Error(400, "start_date and end_date may not span more than 90 days")
    return start, end


def _csv(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


@dataclass(frozen=True)
class RequestCreate:
    """A validated ``POST requests`` (form-encoded)."""

    service_code: str
    lat: float | None = None
    lon: float | None = None
    address_string: str | None = None
    address_id: str | None = None
    description: str = ""
    media_url: str | None = None
    email: str | None = None
    device_id: str | None = None
    account_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)


_OPTIONAL = ("address_string", "address_id", "media_url", "email", "device_id", "account_id", "first_name",
             "last_name", "phone")


def parse_create(form: Mapping[str, str]) -> RequestCreate:
    """Check the required fields: ``service_code`` and a location (lat & long, address_string or address_id)."""
    code = (form.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, "service_code is required")
    lat, lon = _coordinates(form)
    optional = {name: form[name].strip() for name in _OPTIONAL if (form.get(name) or "").strip()}
    if lat is None and "address_string" not in optional and "address_id" not in optional:
        raise Open311Error(400, "a location is required: lat and long, address_string or address_id")
    description = (form.get("description") or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise Open311Error(400, f"description is longer than {MAX_DESCRIPTION} characters")
    attributes = {key[len("attribute["):-1]: value for key, value in form.items()
                  if key.startswith("attribute[") and key.endswith("]")}
    return RequestCreate(service_code=code, lat=lat, lon=lon, description=description, attributes=attributes,
                         **optional)


def _coordinates(form: Mapping[str, str]) -> tuple[float | None, float | None]:
    raw_lat, raw_lon = (form.get("lat") or "").strip(), (form.get("long") or "").strip()
    if not raw_lat and not raw_lon:
        return None, None
    if not raw_lat or not raw_lon:
        raise Open311Error(400, "lat and long must be given together")
    try:
        lat, lon = float(raw_lat), float(raw_lon)
    except ValueError:
        raise Open311Error(400, "lat and long must be decimal degrees (WGS84)") from None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise Open311Error(400, "lat must be within ±90 and long within ±180")
    return lat, lon


def errors(errs: Sequence[Open311Error]) -> list[dict[str, Any]]:
    return [{"code": err.code, "description": err.description} for err in errs]


def render(
    payload: list[dict[str, Any]] | dict[str, Any], fmt: Format, *, root: str, item: str | None = None
) -> str:
    """The body in ``fmt``: JSON as is; XML as ``<root><item>…</item>…</root>`` (or a dict's fields under root)."""
    if fmt == "json":
        return json.dumps(payload, ensure_ascii=False)
    element = ET.Element(root)
    if isinstance(payload, dict):
        _fill(element, payload)
    for record in payload if isinstance(payload, list) else []:
        _fill(ET.SubElement(element, item or "item"), record)
    return '<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(element, encoding="unicode")


def render_errors(errs: Sequence[Open311Error], fmt: Format) -> str:
    return render(errors(errs), fmt, root="errors", item="error")


def _fill(element: ET.Element, record: Mapping[str, Any]) -> None:
    for key, value in record.items():
        child = ET.SubElement(element, key)
        if isinstance(value, list):  # service definition attributes
            for entry in value:
                _fill(ET.SubElement(child, key.rstrip("s")), entry)
        elif isinstance(value, bool):
            child.text = "true" if value else "false"
        elif value is not None:
            child.text = str(value)
