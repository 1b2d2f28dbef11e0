"""Open311 GeoReport v2 (`/open311/v2`): every endpoint in `.json` and `.xml`, errors in the spec's format.

Reading services is public; creating and reading requests takes `api_key` (a query or form parameter).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response

from services.intake import handlers, store
from services.intake.api.tickets import Reporter, protect_reporter
from services.intake.deps import DatabaseDep, SettingsDep
from services.intake.domain import open311 as o3
from services.intake.domain.model import NewTicket
from services.intake.settings import Settings
from shared.auth import Principal, principal_from_api_key, rate_limit
from shared.events.ticket import Point
from shared.problems import Problem
from shared.taxonomy import UnknownCategory, load_taxonomy

CREATING_ROLES = ("open311", "system", "dispatcher", "grid_worker", "hotline")
router = APIRouter(prefix="/open311/v2", tags=["Open311 GeoReport v2"])
SERVICE_NOTICE = "已受理，将按时限办理"


async def _answer(fmt: str, produce: Callable[[o3.Format], Awaitable[tuple[Any, str, str | None, int]]]) -> Response:
    """Run ``produce`` and render its payload, or the spec's error list, in the requested format."""
    chosen: o3.Format = fmt if fmt in ("json", "xml") else "json"  # type: ignore[assignment]
    try:
        payload, root, item, status = await produce(o3.parse_format(fmt))
        body = o3.render(payload, chosen, root=root, item=item)
    except o3.Open311Error as error:
        status, body = error.code, o3.render_errors([error], chosen)
    except Problem as problem:  # authentication, scope and rate-limit errors, in the spec's shape
        status, body = problem.status, o3.render_errors([o3.Open311Error(problem.status, problem.detail)], chosen)
        return Response(body, status_code=status, media_type=o3.MEDIA_TYPES[chosen], headers=problem.headers)
    return Response(body, status_code=status, media_type=o3.MEDIA_TYPES[chosen])


async def _caller(request: Request, db: Any, params: Mapping[str, str]) -> Principal:
    api_key = params.get("api_key")
    if not api_key:
        raise o3.Open311Error(401, "api_key is required")
    return rate_limit(request, await principal_from_api_key(db, api_key, now=datetime.now(UTC)))


@router.get("/services.{fmt}")
async def services(fmt: str, request: Request, settings: SettingsDep) -> Response:
    """GET Service List: every taxonomy item is a service (service_code = item code)."""
    async def produce(_: o3.Format) -> tuple[Any, str, str | None, int]:
        o3.check_jurisdiction(request.query_params.get("jurisdiction_id"), district=settings.common.district_code)
        return o3.services(load_taxonomy().items.values()), "services", "service", 200
    return await _answer(fmt, produce)


@router.get("/services/{service_code}.{fmt}")
async def service_definition(service_code: str, fmt: str, request: Request, settings: SettingsDep) -> Response:
    """GET Service Definition: no extra attributes (metadata is false for every service)."""
    async def produce(_: o3.Format) -> tuple[Any, str, str | None, int]:
        o3.check_jurisdiction(request.query_params.get("jurisdiction_id"), district=settings.common.district_code)
        return o3.service_definition(_item(service_code, status=404)), "service_definition", None, 200
    return await _answer(fmt, produce)


def _item(code: str, *, status: int) -> Any:
    try:
        return load_taxonomy().item(code)
    except UnknownCategory:
        raise o3.Open311Error(status, f"service_code '{code}' not found") from None


@router.post("/requests.{fmt}")
async def create_request(fmt: str, request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    """POST Service Request (form-encoded, with api_key)."""
    async def produce(_: o3.Format) -> tuple[Any, str, str | None, int]:
        form = {key: value for key, value in (await request.form()).items() if isinstance(value, str)}
        o3.check_jurisdiction(form.get("jurisdiction_id"), district=settings.common.district_code)
        caller = await _caller(request, db, {**request.query_params, **form})
        created = o3.parse_create(form)
        _item(created.service_code, status=400)
        caller.require_within(settings.common.district_code)
        caller.require_role(*CREATING_ROLES)
        row = await _create(db, settings, created, actor=caller.key_id)
        return o3.created_response(service_request_id=row.id, service_notice=SERVICE_NOTICE), \
            "service_requests", "request", 201
    return await _answer(fmt, produce)


async def _create(db: Any, settings: Settings, created: o3.RequestCreate, *, actor: str) -> store.TicketRow:
    name = " ".join(part for part in (created.last_name, created.first_name) if part) or None
    reporter = Reporter.model_validate({"name": name, "phone": created.phone}) if name or created.phone else None
    encrypted, masked = protect_reporter(reporter, settings)
    location = Point(lon=created.lon, lat=created.lat) if created.lat is not None and created.lon is not None else None
    new = NewTicket(channel="open311", category=created.service_code, description=created.description,
                    location=location, address=created.address_string, external_id=created.device_id,
                    reporter_masked=" ".join(masked.values()) if masked else None)
    return await handlers.accept(db, new, district=settings.common.district_code, actor=actor,
                                 now=datetime.now(UTC), reporter_encrypted=encrypted, reporter_masked=masked,
                                 media_url=created.media_url)


@router.get("/tokens/{token}.{fmt}")
async def token(token: str, fmt: str, request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    """GET service_request_id from a token (requests are created at once, so a token is the request id)."""
    async def produce(_: o3.Format) -> tuple[Any, str, str | None, int]:
        [row] = await _visible(db, settings, request, ids=(token,))
        return o3.token_response(token=token, service_request_id=row.id), "service_requests", "request", 200
    return await _answer(fmt, produce)


@router.get("/requests.{fmt}")
async def requests(fmt: str, request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    """GET Service Requests: filters service_request_id, service_code, start_date, end_date, status."""
    async def produce(_: o3.Format) -> tuple[Any, str, str | None, int]:
        query = o3.parse_query(dict(request.query_params), now=datetime.now(UTC))
        rows = await _visible(db, settings, request, ids=query.ids, query=query, missing_ok=True)
        return [o3.request_record(_facts(row)) for row in rows], "service_requests", "request", 200
    return await _answer(fmt, produce)


@router.get("/requests/{request_id}.{fmt}")
async def one_request(request_id: str, fmt: str, request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    """GET Service Request: one request, as a one-element list like the spec."""
    async def produce(_: o3.Format) -> tuple[Any, str, str | None, int]:
        rows = await _visible(db, settings, request, ids=(request_id,))
        return [o3.request_record(_facts(row)) for row in rows], "service_requests", "request", 200
    return await _answer(fmt, produce)


async def _visible(db: Any, settings: Settings, request: Request, *, ids: tuple[str, ...],
                   query: o3.RequestQuery | None = None, missing_ok: bool = False) -> list[store.TicketRow]:
    o3.check_jurisdiction(request.query_params.get("jurisdiction_id"), district=settings.common.district_code)
    caller = await _caller(request, db, request.query_params)
    query = query or o3.RequestQuery(ids=ids)
    states = [state for status in query.statuses for state in o3.states_for(status)]
    async with db.uow() as uow:
        rows = await store.open311_requests(uow, prefix=caller.scope, ids=query.ids, categories=query.service_codes,
                                            states=states, since=query.start, until=query.end, limit=query.limit)
    if not rows and not missing_ok:
        raise o3.Open311Error(404, f"service_request_id '{ids[0]}' not found")
    return rows


def _facts(row: store.TicketRow) -> o3.RequestFacts:
    items = load_taxonomy().items
    unit = (row.assignment or {}).get("unit_name")
    note = row.result if row.state in ("resolved", "verified", "closed") else ""
    if row.state in ("not_accepted", "merged", "suspended", "reopened") and row.timeline:
        note = row.timeline[-1].get("note", "")
    return o3.RequestFacts(
        ticket_id=row.id, state=row.state, service_code=row.category,  # type: ignore[arg-type]
        service_name=items[row.category].name if row.category in items else row.category,
        description=row.description, requested_at=store.aware(row.created_at), updated_at=store.aware(row.updated_at),
        expected_at=store.aware(row.due_at), agency_responsible=unit, address=row.address, lat=row.lat, lon=row.lon,
        media_url=row.media_url, note=note,
    )
