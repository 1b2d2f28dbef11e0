"""The dashboard in a real Chromium (Debian ``chromium`` driven by Playwright): pages, charts, live tail, scope."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from shared.broker import free_port
from shared.events.registry import DivisionUpserted, GridUpserted
from services.analytics.app import create_app
from services.analytics.domain.readmodel import CHINA
from tests.builders import issue_operator
from tests.harness import wait_for

from .builders import GRID, life, received
from .test_handlers import publish, settings_for

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
SQUARE = {"type": "Polygon", "coordinates": [[[122.30, 29.95], [122.31, 29.95], [122.31, 29.96], [122.30, 29.96],
                                              [122.30, 29.95]]]}


@asynccontextmanager
async def served(common: Any, target: Any) -> AsyncIterator[tuple[Any, str]]:
    """The analytics app behind a real uvicorn on a free port (lifespan, relay and consumers running)."""
    port = free_port()
    settings = settings_for(common, target)
    settings.port = port
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    try:
        await wait_for(lambda: server.started)
        yield app, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def _seed(app: Any) -> None:
    now = datetime.now(CHINA)
    await issue_operator(app.state.db, username="street1", password="pw-street-1", scope="330903001", roles=["viewer"])
    await issue_operator(app.state.db, username="street2", password="pw-street-2", scope="330903002", roles=["viewer"])
    await publish(app, [
        DivisionUpserted(occurred_at=now, jurisdiction=GRID[:9], code=GRID[:9], name="沈家门街道", level="street",
                         parent_code="330903"),
        DivisionUpserted(occurred_at=now, jurisdiction=GRID[:12], code=GRID[:12], name="东港社区", level="community",
                         parent_code=GRID[:9], community_class="A"),
        GridUpserted(occurred_at=now, jurisdiction=GRID, code=GRID, name="东港一网格", kind="comprehensive",
                     grid_class="A", community_code=GRID[:12], polygon=SQUARE),
    ], key="registry")
    shift = now - timedelta(hours=14) - life()[0].occurred_at
    await publish(app, [e.model_copy(update={"occurred_at": e.occurred_at + shift}) for e in life()])


async def _login(browser: Any, base: str, username: str, password: str) -> tuple[Any, list[str]]:
    page = await browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
    await page.goto(base + "/")
    assert page.url.endswith("/login")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("button[type=submit]")
    await page.wait_for_url(base + "/")
    return page, errors


async def test_every_page_renders_charts_without_console_errors_and_live_rows_arrive(database, common):
    target = database("analytics")
    if target.backend != "sqlite" or not Path(CHROMIUM).exists():
        pytest.skip("browser test runs once, on SQLite, where Debian chromium is installed")
    from playwright.async_api import async_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    async with served(common, target) as (app, base), async_playwright() as playwright:
        await _seed(app)
        await wait_for(lambda: app.state.hub.ring.last_seq >= len(life()))
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page, errors = await _login(browser, base, "street1", "pw-street-1")
        for path, charts in (("/", 4), ("/map", 1), ("/live", 1), ("/assessment", 1), ("/alerts", 1)):
            await page.goto(base + path)
            await page.wait_for_function(f"document.querySelectorAll('canvas').length >= {charts}")
            await page.screenshot(path=str(ARTIFACTS / f"analytics{path.replace('/', '-') or '-'}.png"))
        await page.goto(base + "/live")
        await page.wait_for_function("document.getElementById('live-status').textContent === '已连接'")
        await publish(app, [received("330903-20260302-000777", occurred_at=datetime.now(CHINA))])
        await page.wait_for_selector('tr[data-ticket="330903-20260302-000777"]', timeout=5000)
        assert errors == []
        await browser.close()


async def test_operator_of_another_street_sees_none_of_it(database, common):
    target = database("analytics")
    if target.backend != "sqlite" or not Path(CHROMIUM).exists():
        pytest.skip("browser test runs once, on SQLite, where Debian chromium is installed")
    from playwright.async_api import async_playwright

    async with served(common, target) as (app, base), async_playwright() as playwright:
        await _seed(app)
        await wait_for(lambda: app.state.hub.ring.last_seq >= len(life()))
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page, errors = await _login(browser, base, "street2", "pw-street-2")
        await page.wait_for_function("document.querySelectorAll('#jurisdiction option').length > 0")
        options = await page.locator("#jurisdiction option").all_inner_texts()
        assert options and not any("330903001" in text for text in options)
        await page.wait_for_function("document.querySelector('.kpi .v') !== null")
        assert await page.locator(".kpi .v").first.inner_text() == "0"
        await page.goto(base + "/live")
        await page.wait_for_timeout(500)
        assert await page.locator("#live-rows tr").count() == 0
        forbidden = await page.request.get(base + "/api/v1/metrics/summary?jurisdiction=330903001")
        assert forbidden.status == 403 and errors == []
        await browser.close()
