"""Malformed credentials are a 401 problem on every service, never a 500."""

from __future__ import annotations

import importlib

from tests.builders import issue_key
from tests.harness import running_service
from tests.security.probes import PROBES

MALFORMED = [
    {"X-API-Key": "ggk_\u00e9\u00e9_\u00e9"},
    {"X-API-Key": "ggk_" + "a" * 5000},
    {"X-API-Key": "not-a-key"},
    {"Authorization": "Bearer ggt.e30.\u00e9"},
    {"Authorization": "Bearer ggt.\u00e9.abc"},
    {"Authorization": "Bearer ggt..."},
    {"Authorization": "Bearer x"},
    {"Cookie": "gridgov_session=ggt.e30.\u00e9"},
]


async def test_malformed_keys_tokens_and_cookies_are_401_on_every_service(database, common):
    answers = {}
    for service, probe in PROBES.items():
        app_module = importlib.import_module(f"services.{service}.app")
        settings_module = importlib.import_module(f"services.{service}.settings")
        target = database(service)
        settings = settings_module.Settings(database_url=target.url, common=common,
                                            registry_url="http://registry.invalid")
        async with running_service(app_module.create_app, settings, target) as (_, client):
            for headers in MALFORMED:
                encoded = {name: value.encode("latin-1") for name, value in headers.items()}
                response = await client.get(probe, headers=encoded)
                answers[(service, str(headers)[:60])] = (response.status_code, response.headers["content-type"])
    wrong = {where: answer for where, answer in answers.items() if answer != (401, "application/problem+json")}
    assert not wrong, wrong


NUL_TEXT = [("intake", "POST", "/api/v1/tickets", {"category": "02060201", "description": "占道\x00经营",
                                                    "grid_code": "330903001001001"}),
            ("escalation", "PUT", "/api/v1/calendar/overrides/2026-10-09", {"working": False, "note": "台风\x00"})]


async def test_text_with_a_nul_character_is_refused_or_stored_never_a_500(database, common):
    """PostgreSQL cannot store NUL (schemathesis found it on escalation's override note): 422 there, 2xx on SQLite."""
    for service, method, path, body in NUL_TEXT:
        app_module = importlib.import_module(f"services.{service}.app")
        settings_module = importlib.import_module(f"services.{service}.settings")
        target = database(service)
        settings = settings_module.Settings(database_url=target.url, common=common,
                                            registry_url="http://registry.invalid")
        async with running_service(app_module.create_app, settings, target) as (app, client):
            key = await issue_key(app.state.db, scope="330903", roles=["system", "admin"])
            response = await client.request(method, path, json=body, headers={"X-API-Key": key})
            if target.backend == "postgres":
                assert response.status_code == 422, response.text
            else:
                assert response.status_code < 300, response.text
