"""One plausible request per endpoint of every service, filled with real resources of the running district."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tests.security.world import DISTRICT, STREET_A, STREET_VENDING, World, api_routes

# Endpoints that need no credential, each with the reason. Everything else must answer 401 without one.
EXEMPT: dict[str, str] = {
    "/healthz": "liveness probe: answers only {status, service}",
    "/readyz": "readiness probe for the orchestrator: only ok/error per dependency",
    "/metrics": "Prometheus scrape (not in the schema): aggregate counters, no rows; closed by network policy",
    "/login": "the dashboard sign-in form and its POST are how an operator gets a credential",
    "/logout": "only drops the session cookie",
    "/open311/v2/services.{fmt}": "GeoReport v2: the service list is public by the spec (no api_key)",
    "/open311/v2/services/{service_code}.{fmt}": "GeoReport v2: service definitions are public by the spec",
}
# Dashboard HTML shells: no data in them; without a valid session cookie they redirect to /login (asserted).
DASHBOARD_PAGES = ("/", "/map", "/live", "/assessment", "/alerts")
# Signed with the hotline integration's HMAC secret instead of an API key: any API key is refused with 401.
SIGNED = ("/hotline/v1/orders", "/hotline/v1/orders/{order_no}", "/hotline/v1/orders/{order_no}/visit")
# Endpoints that never end (server-sent events): only refusals, which answer before streaming, are tested.
STREAMING = ("/api/v1/stream",)
PERSON_ID = "330903199001011234"


@dataclass
class Call:
    service: str
    method: str
    template: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    json: Any = None
    form: dict[str, str] | None = None
    files: dict[str, Any] | None = None
    content: tuple[bytes, str] | None = None  # a raw body and its content type
    query_jurisdiction: bool = False

    @property
    def open311(self) -> bool:
        return self.template.startswith("/open311/")

    def credentials(self, key: str | None) -> tuple[dict[str, str], dict[str, str]]:
        """(headers, params) carrying ``key`` the way this endpoint takes it (Open311: the api_key parameter)."""
        if key is None:
            return {}, dict(self.params)
        if self.open311:
            return {}, {**self.params, "api_key": key}
        return {"X-API-Key": key}, dict(self.params)

    async def send(self, world: World, key: str | None, **extra_params: str) -> Any:
        headers, params = self.credentials(key)
        params.update(extra_params)
        form = self.form
        if form is not None and self.open311 and "api_key" in params:
            form, params = {**form, "api_key": params.pop("api_key")}, params
        if self.content is not None:
            body, content_type = self.content
            return await world.client(self.service).request(self.method, self.path, params=params, content=body,
                                                            headers={**headers, "Content-Type": content_type})
        return await world.client(self.service).request(self.method, self.path, params=params, headers=headers,
                                                        json=self.json, data=form, files=self.files)

    def __str__(self) -> str:
        return f"{self.service} {self.method} {self.template}"


async def fixtures(world: World) -> dict[str, str]:
    """Real ids under street A for every path parameter."""
    people = (await world.get("registry", "/api/v1/people", jurisdiction=STREET_A, limit=1)).json()
    places = (await world.get("registry", "/api/v1/places", jurisdiction=STREET_A, kind="building")).json()
    grid = (await world.get("registry", f"/api/v1/grids/{world.grids[STREET_A]}")).json()
    rules = (await world.get("routing", "/api/v1/routing/rules")).json()
    ticket = world.tickets[STREET_A]
    return {"ticket_id": ticket, "person_id": people["items"][0]["id"], "place_id": places["items"][0]["id"],
            "grid": world.grids[STREET_A], "worker_id": (grid.get("worker_ids") or ["GW-none"])[0],
            "version": rules[0]["version"], "day": "2026-10-09", "action": "sign", "order_no": "HL-SEC-1",
            "kind": "grids", "service_code": STREET_VENDING, "fmt": "json", "token": ticket, "request_id": ticket}


def _path(method: str, template: str, values: dict[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "code":
            if template.startswith("/api/v1/grids"):
                return values["grid"]
            return f"{STREET_A}-enforcement" if template.startswith("/api/v1/units") else STREET_A
        return values[name]
    return re.sub(r"\{(\w+)\}", fill, template)


async def all_calls(world: World) -> list[Call]:
    """Every non-exempt endpoint of every service as a request that is valid for a district key."""
    values = await fixtures(world)
    bodies = await _bodies(world, values)
    calls = []
    for service in world.district.apps:
        for method, template, route in api_routes(world.app(service)):
            if template in EXEMPT or template in DASHBOARD_PAGES:
                continue
            query = {p.name for p in route.dependant.query_params}
            body = bodies.get((method, template), {})
            calls.append(Call(service, method, template, _path(method, template, values),
                              params=dict(body.get("params", {})), json=body.get("json"),
                              form=body.get("form"), files=body.get("files"), content=body.get("content"),
                              query_jurisdiction="jurisdiction" in query))
    return calls


async def _bodies(world: World, values: dict[str, str]) -> dict[tuple[str, str], dict[str, Any]]:
    """Request bodies and required query parameters that a district admin key may send successfully."""
    division = (await world.get("registry", f"/api/v1/divisions/{STREET_A}")).json()
    grid = (await world.get("registry", f"/api/v1/grids/{values['grid']}")).json()
    rules = (await world.get("routing", f"/api/v1/routing/rules/{values['version']}")).json()
    ladder = (await world.get("escalation", "/api/v1/ladder")).json()
    grid_fields = ("code", "name", "kind", "grid_class", "polygon", "vessel_ids", "worker_ids", "team")
    grid_body = {k: grid[k] for k in grid_fields if k in grid}
    division_body = {k: division[k] for k in ("code", "name", "kind", "community_class", "boundary")}
    return {
        ("POST", "/api/v1/divisions"): {"json": {"code": f"{STREET_A}099", "name": "安全测试社区", "kind": "community"}},
        ("PUT", "/api/v1/divisions/{code}"): {"json": division_body},
        ("POST", "/api/v1/grids"): {"json": {"code": values["grid"][:12] + "901", "name": "安全测试海上网格",
                                             "kind": "sea", "vessel_ids": ["浙普渔SEC01"]}},
        ("POST", "/api/v1/people/import"): {"files": {"file": ("people.csv", _people_csv(values["grid"]), "text/csv")}},
        ("POST", "/api/v1/places/import"): {"files": {"file": ("places.csv", _places_csv(values["grid"]), "text/csv")}},
        ("POST", "/api/v1/grids/import"): {"json": {"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": None, "properties": {"code": values["grid"][:12] + "902", "name": "海上",
                                                                "kind": "sea", "vessel_ids": ["浙普渔SEC02"]}}]}},
        ("PUT", "/api/v1/grids/{code}"): {"json": grid_body},
        ("POST", "/api/v1/units"): {"json": {"division_code": STREET_A, "function": "enforcement"}},
        ("POST", "/api/v1/workers"): {"json": {"id": values["worker_id"], "name": "冒名网格员", "phone": "13900000000",
                                               "employment": "full_time"}},
        ("POST", "/api/v1/people"): {"json": {"name": "王五", "id_number": PERSON_ID, "kind": "floating",
                                              "grid_code": values["grid"], "phone": "13812345678"}},
        ("POST", "/api/v1/places"): {"json": {"kind": "building", "id": "B-SEC-1", "name": "安全测试楼",
                                              "grid_code": values["grid"], "use": "residential", "capacity": 10}},
        ("POST", "/api/v1/geocode"): {"json": {"points": [_point(grid)]}},
        ("GET", "/api/v1/geocode"): {"params": {k: str(v) for k, v in _point(grid).items()}},
        ("GET", "/api/v1/places"): {"params": {"kind": "building"}},
        ("POST", "/api/v1/tickets"): {"json": {"category": STREET_VENDING, "description": "安全测试工单",
                                               "grid_code": values["grid"]}},
        ("POST", "/api/v1/grid-reports"): {"json": {"category": STREET_VENDING, "description": "巡查发现占道经营",
                                                    "grid_code": values["grid"]}},
        ("POST", "/api/v1/imports"): {"content": (f"category,description,grid_code\n{STREET_VENDING},导入的占道工单,"
                                                  f"{values['grid']}\n".encode(), "text/csv")},
        ("POST", "/hotline/v1/integrations"): {"json": {"label": "安全测试"}},
        ("POST", "/open311/v2/requests.{fmt}"): {"form": {"service_code": STREET_VENDING, "description": "安全测试",
                                                          "address_string": "沈家门某路", "lat": "29.95", "long": "122.3"}},
        ("GET", "/api/v1/calendar/deadline"): {"params": {"start": "2026-10-09T09:00:00+08:00", "amount": "2",
                                                          "unit": "working_days"}},
        ("PUT", "/api/v1/calendar/overrides/{day}"): {"json": {"working": False, "note": "台风"}},
        ("PUT", "/api/v1/ladder"): {"json": {"rules": ladder["rules"]}},
        ("POST", "/api/v1/routing/rules"): {"json": {**rules, "version": "sec-test-1"}},
        ("POST", "/api/v1/routing/simulate"): {"json": {"draft_version": values["version"], "days": 1}},
    }


def _people_csv(grid: str) -> bytes:
    return f"姓名,身份证号,类型,网格编码,手机\n赵六,110101199003074477,流动,{grid},13700000000\n".encode("utf-8-sig")


def _places_csv(grid: str) -> bytes:
    return f"类型,编号,名称,网格编码,用途,容纳人数\nbuilding,B-SEC-2,安全测试二号楼,{grid},residential,5\n".encode("utf-8-sig")


def _point(grid: dict[str, Any]) -> dict[str, float]:
    polygon = grid.get("polygon") or {"coordinates": [[[122.3, 29.95]]]}
    ring = polygon["coordinates"][0] if polygon.get("type") != "MultiPolygon" else polygon["coordinates"][0][0]
    lons, lats = [p[0] for p in ring], [p[1] for p in ring]
    return {"lon": sum(lons) / len(lons), "lat": sum(lats) / len(lats)}


def mentions_district(text: str) -> bool:
    return DISTRICT in text
