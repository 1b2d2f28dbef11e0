"""Builders shared by tests: credentials, settings and tickets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from shared.auth import new_api_key, new_operator, store_credential
from shared.db import Database


async def issue_key(db: Database, *, scope: str, roles: list[str] | None = None, expired: bool = False) -> str:
    """Write an API key into a service's credential replica exactly as the replication handler does."""
    now = datetime.now(UTC)
    key, event = new_api_key(scope=scope, roles=roles or ["system"], label=f"test {scope}", now=now,
                             jurisdiction=scope, expires_at=now - timedelta(hours=1) if expired else None)
    async with db.uow() as uow:
        await store_credential(uow, event)
        await uow.commit()
    return key


async def issue_operator(db: Database, *, username: str, password: str, scope: str, roles: list[str]) -> None:
    event = new_operator(username=username, password=password, scope=scope, roles=roles, now=datetime.now(UTC),
                         jurisdiction=scope)
    async with db.uow() as uow:
        await store_credential(uow, event)
        await uow.commit()


def ticket_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "category": overrides.pop("category", None) or first_category(),
        "description": "小区门口有人占道经营，影响通行",
        "grid_code": "330903001001001",
        "address": "沈家门街道某路 12 号",
        "severity": "一般",
        "reporter": {"name": "张三", "phone": "13812345678", "id_number": "330903199001011234"},
    }
    body.update(overrides)
    return body


def first_category() -> str:
    from shared.taxonomy import load_taxonomy

    return sorted(load_taxonomy().items)[0]
