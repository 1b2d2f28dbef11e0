"""A running district for the security tests: keys of every kind in every service, and tickets under two streets."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi.routing import APIRoute

from tests.builders import issue_key, ticket_body
from tests.e2e.district import District, running_district
from tests.harness import wait_for

SERVICES = ("registry", "intake", "routing", "escalation", "analytics")
DISTRICT, STREET_A, STREET_B, FOREIGN = "330903", "330903001", "330903002", "430104"
STREET_VENDING = "02060201"  # 占道经营: a street-level category, so tickets route inside their street
UNKNOWN_KEY = "ggk_000000000000_not-a-real-secret-at-all-000000"

# Reporters posted by the tests: none of these may appear in clear outside the encrypted column.
REPORTERS = [
    {"name": "欧阳明辉", "phone": "13912340001", "id_number": "330903198805061217"},
    {"name": "司马晓燕", "phone": "13912340002", "id_number": "33090319920817382X"},
]


@dataclass
class World:
    district: District
    keys: dict[str, dict[str, str]]  # key kind → service → key
    grids: dict[str, str] = field(default_factory=dict)  # street → one of its grids
    tickets: dict[str, str] = field(default_factory=dict)  # street → a ticket id under it

    def app(self, service: str) -> Any:
        return self.district.apps[service]

    def client(self, service: str) -> Any:
        return self.district.clients[service]

    def headers(self, kind: str, service: str) -> dict[str, str]:
        return {"X-API-Key": self.keys[kind][service]}

    async def get(self, service: str, path: str, *, as_key: str = "district", **params: Any) -> Any:
        """GET with a key of kind ``as_key`` (the district's by default)."""
        return await self.client(service).get(path, params=params, headers=self.headers(as_key, service))


KEY_KINDS: dict[str, tuple[str, list[str], bool]] = {
    "district": (DISTRICT, ["system", "dispatcher", "admin"], False),
    "street_a": (STREET_A, ["system", "dispatcher", "admin"], False),
    "street_b": (STREET_B, ["system", "dispatcher", "admin"], False),
    "foreign": (FOREIGN, ["system", "dispatcher", "admin"], False),
    "expired": (DISTRICT, ["system", "dispatcher", "admin"], True),
    "viewer": (DISTRICT, ["viewer"], False),
}


async def _issue_all(district: District) -> dict[str, dict[str, str]]:
    keys: dict[str, dict[str, str]] = {}
    for kind, (scope, roles, expired) in KEY_KINDS.items():
        keys[kind] = {name: await issue_key(district.apps[name].state.db, scope=scope, roles=roles, expired=expired)
                      for name in SERVICES}
    return keys


@asynccontextmanager
async def running_world(database: Any, common: Any) -> AsyncIterator[World]:
    """The five services, keys of every kind in each, one grid per street known."""
    async with running_district(database, common) as district:
        world = World(district=district, keys=await _issue_all(district))
        for street in (STREET_A, STREET_B):
            response = await world.get("registry", "/api/v1/grids", jurisdiction=street, limit=1)
            assert response.status_code == 200, response.text
            world.grids[street] = response.json()["items"][0]["code"]
        yield world


async def post_ticket(world: World, street: str, *, reporter: dict[str, str] | None, text: str) -> str:
    body = ticket_body(category=STREET_VENDING, grid_code=world.grids[street], description=text,
                       address=f"{street} 某路 8 号", reporter=reporter)
    headers = world.headers("district", "intake")
    response = await world.client("intake").post("/api/v1/tickets", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def tickets_everywhere(world: World) -> None:
    """One ticket under each street, seen by routing, escalation and analytics before the test goes on."""
    for index, street in enumerate((STREET_A, STREET_B)):
        world.tickets[street] = await post_ticket(world, street, reporter=REPORTERS[index],
                                                  text=f"第{index + 1}个路口有人占道经营")
    for ticket_id in world.tickets.values():
        await wait_for(_probe(world, ticket_id), timeout=30, interval=0.1)


def _probe(world: World, ticket_id: str) -> Callable[[], Awaitable[bool]]:
    return lambda: _seen_everywhere(world, ticket_id)


async def _seen_everywhere(world: World, ticket_id: str) -> bool:
    probes = [("routing", f"/api/v1/routing/decisions/{ticket_id}"), ("escalation", f"/api/v1/clocks/{ticket_id}")]
    for service, path in probes:
        if (await world.client(service).get(path, headers=world.headers("district", service))).status_code != 200:
            return False
    summary = await world.get("analytics", "/api/v1/metrics/summary")
    return summary.status_code == 200 and (summary.json().get("total") or {}).get("received", 0) >= len(world.tickets)


def api_routes(app: Any) -> Iterator[tuple[str, str, APIRoute]]:
    """Every (method, full path, route) of an app, including routers FastAPI includes lazily."""
    yield from _walk(app.router.routes, "")


def _walk(routes: list[Any], prefix: str) -> Iterator[tuple[str, str, APIRoute]]:
    for route in routes:
        original = getattr(route, "original_router", None)
        if original is not None:  # FastAPI ≥ 0.16x keeps included routers as lazy branches
            yield from _walk(original.routes, prefix + (route.include_context.prefix or ""))
        elif isinstance(route, APIRoute):
            for method in sorted((route.methods or set()) - {"HEAD", "OPTIONS"}):
                yield method, prefix + route.path, route
