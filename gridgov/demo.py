"""Demo data for `make run`: district 330903 in the registry plus credentials for every interface."""

from __future__ import annotations

import asyncio
import importlib
import secrets
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
from rich.console import Console

from shared.auth import new_api_key, new_operator, store_credential
from shared.db import Database, UnitOfWork, make_engine
from shared.migrations import migrate

DEFAULT_STREETS = ["330903001", "330903002", "330903003", "330903004"]


def seed_demo(console: Console, *, var_dir: Path, env: dict[str, str], district: str = "330903",
              grids: int = 0, tickets: int = 0) -> dict[str, Any]:
    """Seed once; on later runs reuse and reprint the credentials already written."""
    path = var_dir / "demo-credentials.json"
    if path.exists() and not grids:
        credentials = orjson.loads(path.read_bytes())
        console.print(f"demo data already seeded; credentials in {path}")
    else:
        credentials = asyncio.run(seed_registry_and_credentials(console, env=env, district=district, grids=grids))
        credentials["hotline"] = _register_hotline(console, env=env, api_key=credentials["district"]["api_key"])
        path.write_bytes(orjson.dumps(credentials, option=orjson.OPT_INDENT_2))
        console.print(f"demo credentials written to {path}")
        if credentials["hotline"] and tickets:
            from gridgov.demo_tickets import post_demo_tickets

            post_demo_tickets(console, intake_url=f"http://127.0.0.1:{env.get('GRIDGOV_INTAKE_PORT', '8001')}",
                              api_key=credentials["district"]["api_key"], count=tickets)
    _print_credentials(console, credentials)
    return credentials


async def seed_registry_and_credentials(console: Console, *, env: dict[str, str], district: str,
                                        grids: int) -> dict[str, Any]:
    """Write the district's registry data straight into the registry's database and issue the demo credentials."""
    from gridgov.services import metadata_for
    from services.registry.settings import Settings

    overrides = {"database_url": env["GRIDGOV_REGISTRY_DATABASE_URL"]} if "GRIDGOV_REGISTRY_DATABASE_URL" in env else {}
    settings = Settings(**overrides)
    metadata = metadata_for("registry")
    db = Database(make_engine(settings.database_url, schema=settings.database_schema), metadata, service="registry", district=district,
                  topic_prefix=settings.common.topic_prefix)
    await migrate(db, service="registry")
    try:
        streets = await _seed_registry(console, db, district=district, grids=grids)
        async with db.uow() as uow:
            credentials = await _issue_credentials(uow, district=district, streets=streets)
            await uow.commit()
    finally:
        await db.dispose()
    return credentials


async def _seed_registry(console: Console, db: Database, *, district: str, grids: int) -> list[str]:
    """Divisions, grids, units and people from the registry's seeder, when it is installed."""
    try:
        seeding = importlib.import_module("services.registry.seeding")
    except ModuleNotFoundError:
        console.print("[yellow]registry seeder not available; credentials only[/]")
        return DEFAULT_STREETS
    result = await seeding.seed_district(db, district=district, grids=grids, now=datetime.now(UTC), console=console)
    return list(result.get("streets", DEFAULT_STREETS))


async def _issue_credentials(uow: UnitOfWork, *, district: str, streets: list[str]) -> dict[str, Any]:
    now = datetime.now(UTC)

    async def key(scope: str, roles: list[str], label: str) -> str:
        secret, event = new_api_key(scope=scope, roles=roles, label=label, now=now, jurisdiction=scope)
        await store_credential(uow, event)
        uow.publish(event, key=event.key_id)
        return secret

    operators = [("district-admin", district, ["admin"]), ("dispatcher", district, ["dispatcher"]),
                 *[(f"street-{code[-3:]}", code, ["dispatcher"]) for code in streets[:2]]]
    operator_rows = []
    for username, scope, roles in operators:
        password = secrets.token_urlsafe(9)
        event = new_operator(username=username, password=password, scope=scope, roles=roles, now=now,
                             jurisdiction=scope, label=username)
        await store_credential(uow, event)
        uow.publish(event, key=username)
        operator_rows.append({"username": username, "password": password, "jurisdiction": scope, "roles": roles})
    return {
        "district": {"code": district, "api_key": await key(district, ["system", "dispatcher", "admin"], "district admin")},
        "streets": [{"code": code, "api_key": await key(code, ["system", "dispatcher"], f"street {code}")} for code in streets],
        "open311": {"api_key": await key(district, ["open311"], "open311 clients"), "jurisdiction_id": district},
        "operators": operator_rows,
    }


def _register_hotline(console: Console, *, env: dict[str, str], api_key: str, timeout: float = 60) -> dict[str, Any]:
    """Register the demo 12345 integration at intake (it keeps the signing secret); waits for the key to replicate."""
    port = env.get("GRIDGOV_INTAKE_PORT", "8001")
    url = f"http://127.0.0.1:{port}/hotline/v1/integrations"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            response = httpx.post(url, json={"label": "12345 demo"}, headers={"X-API-Key": api_key}, timeout=5)
        except httpx.HTTPError:
            response = None
        if response is not None and response.status_code == 201:
            body = response.json()
            return {"client_id": body["client_id"], "secret": body["secret"]}
        time.sleep(0.3)
    console.print("[yellow]intake is not reachable; register a hotline integration later (POST /hotline/v1/integrations)[/]")
    return {}


def _print_credentials(console: Console, credentials: dict[str, Any]) -> None:
    console.print(f"  district {credentials['district']['code']} API key: {credentials['district']['api_key']}")
    for operator in credentials.get("operators", [])[:2]:
        console.print(f"  operator {operator['username']} / {operator['password']} ({operator['jurisdiction']})")
