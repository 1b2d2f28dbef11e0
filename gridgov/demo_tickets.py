"""A month of demo tickets for `make run`, so the dashboard, rates and live tail have something to show."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from typing import Any

import httpx
from rich.console import Console
from rich.progress import Progress

from shared.taxonomy import load_taxonomy

PLACES = ["渔港路", "滨港路", "东河路", "海华路", "新街", "兴港路", "朱家尖大道", "同济路", "鲁家峙路", "六横大道"]
PROBLEMS = {
    "占道经营": ["早餐摊占用人行道", "夜市摊位占道", "水果摊摆到车行道"],
    "邻里纠纷": ["楼上漏水与邻居起争执", "装修噪音引发邻里矛盾", "公共楼道堆物纠纷"],
    "暴露垃圾": ["路边垃圾多日无人清运", "绿化带里有建筑垃圾"],
    "井盖缺损": ["人行道井盖破损有安全隐患", "雨水井盖缺失"],
    "消防隐患": ["楼道电瓶车充电存在火灾隐患", "消防通道被车辆堵塞"],
}
WALK = [("sign", {}), ("start", {}), ("resolve", {"result": "已处置完毕"}), ("verify", {"passed": True}),
        ("close", {})]


def _categories() -> list[tuple[str, str]]:
    items = load_taxonomy().items.values()
    return [(item.code, item.name) for item in items if item.name in PROBLEMS]


def _grids() -> list[str]:
    from services.registry.domain.seed import putuo_district

    return [grid.code for grid in putuo_district(now=datetime.now(UTC)).grids if grid.kind != "sea"]


def post_demo_tickets(console: Console, *, intake_url: str, api_key: str, count: int = 120) -> list[str]:
    """Post ``count`` tickets over REST, then walk most of them to the end of their life (some stay open)."""
    rng = random.Random(330903)
    categories, grids, headers = _categories(), _grids(), {"X-API-Key": api_key}
    ids: list[str] = []
    with httpx.Client(base_url=intake_url, headers=headers, timeout=10) as client, Progress(console=console) as bar:
        _wait_for_routing(client, grid=grids[0], category=categories[0][0])
        task = bar.add_task("demo tickets", total=count * 2)
        for i in range(count):
            code, name = rng.choice(categories)
            grid = rng.choice(grids)
            body = {"category": code, "grid_code": grid, "description": f"{rng.choice(PROBLEMS[name])}（{i}）",
                    "address": f"{rng.choice(PLACES)}{rng.randint(1, 300)}号"}
            response = client.post("/api/v1/tickets", json=body)
            if response.status_code == 201:
                ids.append(response.json()["id"])
            bar.advance(task)
        time.sleep(2)  # routing assigns them meanwhile
        for ticket_id in ids:
            _walk(client, ticket_id, rng)
            bar.advance(task)
    console.print(f"posted {len(ids)} demo tickets")
    return ids


def _wait_for_routing(client: httpx.Client, *, grid: str, category: str, timeout: float = 30) -> None:
    """Routing fills its copy of the registry from events: wait until a probe ticket reaches a real unit."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        created = client.post("/api/v1/tickets", json={"category": category, "grid_code": grid,
                                                       "description": "系统联调测试工单", "address": "指挥中心"})
        if created.status_code == 201:
            for _ in range(20):
                time.sleep(0.2)
                assignment = client.get(f"/api/v1/tickets/{created.json()['id']}").json().get("assignment") or {}
                if assignment:
                    break
            client.post(f"/api/v1/tickets/{created.json()['id']}/actions/not_accept", json={"reason": "联调测试"})
            if assignment and not assignment.get("unit_code", "").endswith("-center"):
                return
        time.sleep(1)


def _walk(client: httpx.Client, ticket_id: str, rng: random.Random) -> None:
    steps = rng.choice([0, 1, 3, 5, 5, 5, 5])
    for action, body in WALK[:steps]:
        if client.post(f"/api/v1/tickets/{ticket_id}/actions/{action}", json=body).status_code != 200:
            return
    if steps == 5:
        rating: Any = rng.choice(["满意", "满意", "满意", "基本满意", "不满意"])
        client.post(f"/api/v1/tickets/{ticket_id}/actions/evaluate", json={"rating": rating})
