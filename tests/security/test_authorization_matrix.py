"""Who may do what, for every endpoint of every service (ARCHITECTURE.md, "Who may do what")."""

from __future__ import annotations

from typing import Any

from tests.security.requests import (DASHBOARD_PAGES, EXEMPT, SIGNED, STREAMING, Call, all_calls,
                                     mentions_district)
from tests.security.world import (SERVICES, STREET_A, STREET_B, UNKNOWN_KEY, World, api_routes, running_world,
                                  tickets_everywhere)


async def test_every_endpoint_refuses_absent_unknown_and_expired_credentials_and_other_jurisdictions(database, common):
    async with running_world(database, common) as world:
        await tickets_everywhere(world)
        calls = await all_calls(world)
        assert {c.service for c in calls} == set(SERVICES) and len(calls) > 60
        problems: list[str] = []
        for call in calls:
            problems += await _refused_without_valid_credentials(world, call)
            if call.template not in STREAMING:
                problems += await _other_district_sees_nothing(world, call)
            if call.query_jurisdiction:
                problems += await _street_cannot_widen(world, call)
            if call.method != "GET" and call.template not in READ_ONLY_POSTS | set(SIGNED) | KNOWN_ROLE_GAPS.keys():
                problems += await _viewer_cannot_write(world, call)
        problems += await _valid_for_a_district_key(world, calls)
        assert not problems, "\n".join(problems)


async def _refused_without_valid_credentials(world: World, call: Call) -> list[str]:
    problems = []
    expired = world.keys["expired"][call.service]
    for label, key in (("no key", None), ("unknown key", UNKNOWN_KEY), ("expired key", expired)):
        response = await call.send(world, key)
        if response.status_code != 401:
            problems.append(f"{call} with {label}: {response.status_code} {response.text[:200]}")
    return problems


async def _other_district_sees_nothing(world: World, call: Call) -> list[str]:
    """A 430104 key on 330903 resources: 403/404, or a success that shows nothing of 330903."""
    response = await call.send(world, world.keys["foreign"][call.service])
    if call.template in SIGNED:
        ok = response.status_code == 401
    elif call.template.endswith("/import"):  # the error report names the caller's own rows; none may be saved
        ok = response.status_code in (403, 404) or (response.status_code == 200 and not response.json()["accepted"])
    else:
        ok = response.status_code in (403, 404) or (response.status_code < 300 and not mentions_district(response.text))
    return [] if ok else [f"{call} with a 430104 key: {response.status_code} {response.text[:300]}"]


# POSTs that change nothing, so a viewer may send them.
READ_ONLY_POSTS = {"/api/v1/geocode": "a batch lookup",
                   "/api/v1/routing/simulate": "a what-if replay, nothing stored"}.keys()


# Role gaps found by this matrix and since fixed stay listed empty here; tests/security/test_roles.py covers them.
KNOWN_ROLE_GAPS: dict[str, str] = {}


async def _viewer_cannot_write(world: World, call: Call) -> list[str]:
    """A district key with only the viewer role changes nothing: 403 on every write."""
    response = await call.send(world, world.keys["viewer"][call.service])
    return [] if response.status_code == 403 else [f"{call} with a viewer key: {response.status_code} "
                                                   f"{response.text[:200]}"]


async def _street_cannot_widen(world: World, call: Call) -> list[str]:
    """A key of street 330903002 asking for ?jurisdiction=330903001 is refused before anything is read."""
    if call.template.startswith(("/api/v1/calendar", "/api/v1/ladder")):
        return await _district_setting(world, call)
    response = await call.send(world, world.keys["street_b"][call.service], jurisdiction=STREET_A)
    return [] if response.status_code == 403 else [
        f"{call} street {STREET_B} asking {STREET_A}: {response.status_code} {response.text[:200]}"]


async def _district_setting(world: World, call: Call) -> list[str]:
    """Escalation's ``jurisdiction`` names a district (calendar, ladder): streets may read it, never change it."""
    response = await call.send(world, world.keys["street_b"][call.service], jurisdiction=STREET_A)
    expected = (200,) if call.method == "GET" else (403,)
    return [] if response.status_code in expected else [
        f"{call} street {STREET_B} asking {STREET_A}: {response.status_code} {response.text[:200]}"]


async def _valid_for_a_district_key(world: World, calls: list[Call]) -> list[str]:
    """So the refusals are about credentials and scope, not about a malformed request (runs after them)."""
    failures = []
    for call in calls:
        if call.template in STREAMING or call.template in SIGNED or (call.method, call.template) == (
                "DELETE", "/api/v1/grids/{code}"):
            continue
        response = await call.send(world, world.keys["district"][call.service])
        if response.status_code >= 300 and response.status_code != 409:
            failures.append(f"{call} with the district key: {response.status_code} {response.text[:300]}")
    return failures


async def test_lists_never_contain_rows_of_another_street_and_only_public_endpoints_are_open(database, common):
    async with running_world(database, common) as world:
        await tickets_everywhere(world)
        lists = [c for c in await all_calls(world) if c.method == "GET" and "{" not in c.template.replace("{fmt}", "")
                 and c.template not in STREAMING]
        leaks = []
        for mine, theirs in ((STREET_A, STREET_B), (STREET_B, STREET_A)):
            kind = "street_a" if mine == STREET_A else "street_b"
            for call in lists:
                response = await call.send(world, world.keys[kind][call.service])
                assert response.status_code < 500, f"{call}: {response.text[:300]}"
                if world.tickets[theirs] in response.text or _codes_outside(response, scope=mine):
                    leaks.append(f"{call} as {mine}: {_codes_outside(response, scope=mine)[:5]} {response.text[:200]}")
        assert not leaks, "\n".join(leaks)
        own = await world.client("intake").get("/api/v1/tickets", headers=world.headers("street_a", "intake"))
        assert [item["id"] for item in own.json()["items"]] == [world.tickets[STREET_A]]
        await _exempt_endpoints_are_the_public_ones_and_dashboard_pages_redirect(world)


CODE_FIELDS = ("jurisdiction", "grid_code", "division_code", "code")


def _codes_outside(response: Any, *, scope: str) -> list[str]:
    """Division codes of rows (not of their parents) that lie outside ``scope``."""
    if "json" not in response.headers.get("content-type", ""):
        return []
    found: list[str] = []
    _collect(response.json(), found)
    return [code for code in found if code.isdigit() and code.startswith("3309") and not code.startswith(scope)
            and not scope.startswith(code)]


def _collect(value: Any, found: list[str]) -> None:
    if isinstance(value, dict):
        found.extend(str(value[name]) for name in CODE_FIELDS if isinstance(value.get(name), str))
        for inner in value.values():
            _collect(inner, found)
    elif isinstance(value, list):
        for inner in value:
            _collect(inner, found)


async def _exempt_endpoints_are_the_public_ones_and_dashboard_pages_redirect(world: World) -> None:
    """Every exemption of EXEMPT answers without a key; dashboard pages redirect without a valid session."""
    for service in SERVICES:
        for method, template, _ in api_routes(world.app(service)):
            if template in DASHBOARD_PAGES:
                for cookie in ({}, {"gridgov_session": "ggt.forged.signature"}):
                    world.client(service).cookies.clear()
                    response = await world.client(service).get(template, cookies=cookie)
                    assert (response.status_code, response.headers.get("location")) == (303, "/login"), template
            elif template in EXEMPT and method == "GET" and "{" not in template.replace("{fmt}", ""):
                response = await world.client(service).get(template.replace("{fmt}", "json"))
                assert response.status_code in (200, 303), f"{service} {template}: {response.text[:200]}"
    public = await world.client("intake").get("/open311/v2/services.json")
    assert "02060201" in public.text and "13912340001" not in public.text
