"""One ticket's walk across all five services over the real bus: intake → routing → escalation → analytics."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.builders import ticket_body
from tests.e2e.district import District, running_district
from tests.harness import wait_for

pytestmark = pytest.mark.slow

STREET_VENDING = "02060201"  # 占道经营


async def _assigned(district: District, ticket_id: str, suffix: str) -> dict | None:
    ticket = await district.ticket(ticket_id)
    unit = (ticket.get("assignment") or {}).get("unit_code")
    return ticket if unit and unit.endswith(suffix) else None


async def _act(district: District, ticket_id: str, action: str, body: dict | None = None) -> dict:
    response = await district.clients["intake"].post(f"/api/v1/tickets/{ticket_id}/actions/{action}",
                                                     json=body or {}, headers=district.headers())
    assert response.status_code == 200, f"{action}: {response.text}"
    return response.json()


PLACES = iter(f"330903001{community:03d}{grid:03d}" for community in (1, 2, 3) for grid in range(1, 9))
TEXTS = iter(["菜场门口占道经营", "夜市摊贩占用人行道", "早餐车停在盲道上", "水果摊摆到机动车道", "烧烤摊占道到深夜",
              "花店货架堆在门外", "小商贩在桥头摆摊", "五金店货物占道", "便利店冰柜放在路边", "快递点包裹堆满人行道"])


async def _post(district: District, **overrides) -> str:
    """A ticket in a fresh grid with its own words, so duplicate merging and repeat rules stay out of the way."""
    grid = next(PLACES)
    body = ticket_body(category=STREET_VENDING, grid_code=grid, description=next(TEXTS),
                       address=f"沈家门街道第{grid[-5:]}号路口", reporter=None, **overrides)
    response = await district.clients["intake"].post("/api/v1/tickets", headers=district.headers(), json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def _routable(district: District) -> bool:
    """Early tickets go to the district center while routing's registry replica fills; wait for a real unit."""
    ticket_id = await _post(district)
    ticket = await wait_for(lambda: _assigned(district, ticket_id, ""), timeout=20)
    return ticket["assignment"]["unit_code"].endswith("-enforcement")


async def test_a_ticket_walks_from_intake_to_analytics_and_a_late_one_escalates(database, common):
    async with running_district(database, common) as district:
        await wait_for(lambda: _routable(district), timeout=60, interval=0.5)
        ticket_id = await _post(district)
        routed = await wait_for(lambda: _assigned(district, ticket_id, "330903001-enforcement"), timeout=20)
        assert routed["timeline"][1]["time"] >= routed["timeline"][0]["time"]
        assert routed["state"] == "routed" and routed["assignment"]["level"] == "street"

        clocks = await wait_for(lambda: _clocks(district, ticket_id), timeout=20)
        assert any(clock["kind"] == "sign_off" for clock in clocks)
        decision = await district.clients["routing"].get(f"/api/v1/routing/decisions/{ticket_id}",
                                                         headers=district.headers())
        assert decision.status_code == 200 and ticket_id in decision.text

        for action, body in [("sign", {}), ("start", {}), ("resolve", {"result": "已清理占道摊位"}),
                             ("verify", {"passed": True}), ("close", {}), ("evaluate", {"rating": "满意"})]:
            await _act(district, ticket_id, action, body)
        closed = await district.ticket(ticket_id)
        assert closed["state"] == "closed"
        assert [entry["type"] for entry in closed["timeline"]][:2] == ["received", "routed"]

        summary = await wait_for(lambda: _summary(district, closed_at_least=1), timeout=30)
        assert summary["total"]["received"] >= 2 and summary["total"]["satisfaction_rate"] == 1.0

        late_id = await _post(district)
        await wait_for(lambda: _assigned(district, late_id, "330903001-enforcement"), timeout=20)
        await _act(district, late_id, "sign")
        await wait_for(lambda: _clock_running(district, late_id, "handling"), timeout=20)
        district.clock["now"] += timedelta(days=40)
        escalated = await wait_for(lambda: _escalated(district, late_id), timeout=30)
        assert escalated["assignment"]["level"] == "district"


async def _clocks(district: District, ticket_id: str) -> list | None:
    response = await district.clients["escalation"].get(f"/api/v1/clocks/{ticket_id}", headers=district.headers())
    return response.json().get("clocks") if response.status_code == 200 else None


async def _clock_running(district: District, ticket_id: str, kind: str) -> bool:
    return any(clock["kind"] == kind for clock in await _clocks(district, ticket_id) or [])


async def _summary(district: District, *, closed_at_least: int) -> dict | None:
    response = await district.clients["analytics"].get("/api/v1/metrics/summary", headers=district.headers())
    body = response.json() if response.status_code == 200 else {}
    return body if (body.get("total") or {}).get("satisfaction_rate") is not None else None


async def _escalated(district: District, ticket_id: str) -> dict | None:
    ticket = await district.ticket(ticket_id)
    types = [entry["type"] for entry in ticket["timeline"]]
    return ticket if "escalated" in types and (ticket.get("assignment") or {}).get("level") == "district" else None
