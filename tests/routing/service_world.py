"""Running the routing service in tests: settings, the replica seeded as the registry's snapshot, ticket events."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from services.routing import handlers
from services.routing.settings import Settings
from shared.events.base import Event
from shared.events.ticket import TicketReceived
from tests.routing.routing_world import GRID, REPLICA


def settings_for(common: Any, target: Any) -> Settings:
    # A registry nobody listens on: the bootstrap must not reach a `make run` instance on the default port.
    return Settings(database_url=target.url, common=common, registry_url="http://127.0.0.1:9")


async def seed_replica(app: Any) -> None:
    """What the bootstrap writes from the registry's snapshot."""
    for kind, rows in (("divisions", REPLICA.divisions), ("grids", REPLICA.grids), ("units", REPLICA.units)):
        async with app.state.db.uow() as uow:
            await handlers.apply_snapshot(uow, kind, [asdict(row) for row in rows.values()])


async def publish(app: Any, *events: Event) -> None:
    async with app.state.db.uow() as uow:
        for event in events:
            uow.publish(event, key=getattr(event, "ticket_id", "registry"), jurisdiction=event.jurisdiction)  # type: ignore[attr-defined]
        await uow.commit()


def received(ticket_id: str, category: str, *, grid: str | None = GRID, **fields: Any) -> TicketReceived:
    base: dict[str, Any] = {"ticket_id": ticket_id, "occurred_at": datetime.now(UTC), "jurisdiction": grid or "330903",
                            "channel": "rest", "category": category, "grid_code": grid}
    return TicketReceived(**{**base, **fields})


def decisions_of(client: Any, ticket_id: str, headers: dict[str, str], *, count: int = 1) -> Any:
    """A predicate for wait_for: the ticket's decisions once there are at least ``count``."""
    async def check() -> dict[str, Any] | None:
        response = await client.get(f"/api/v1/routing/decisions/{ticket_id}", headers=headers)
        body = response.json() if response.status_code == 200 else None
        return body if body is not None and len(body["decisions"]) >= count else None
    return check
