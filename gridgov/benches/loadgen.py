"""Load generation for HTTP benches: wrk for saturation, a paced asyncio client for latency at a fixed rate."""

from __future__ import annotations

import asyncio
import gc
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
%s
local bodies = {%s}
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, bodies[(n %% #bodies) + 1])
end
"""

WHO = ["门口", "楼下", "路口", "桥头", "菜场边", "学校旁", "公交站", "停车场", "巷子里", "广场上", "码头边", "商场前"]
WHAT = ["有人摆摊卖水果", "早餐车占用盲道", "堆放大量建筑垃圾", "井盖松动发出响声", "路灯连续三晚不亮",
        "垃圾桶满溢无人清运", "共享单车乱停挡路", "绿化带被踩踏", "污水外溢有异味", "广告牌歪斜有坠落风险"]
WHEN = ["今天早上", "昨晚", "最近一周", "每天傍晚", "周末", "上午九点多"]


def ticket_bodies(count: int, *, grids: list[str], categories: list[str], seed: int = 7) -> list[dict[str, Any]]:
    """Distinct, realistic submissions (different places and words), so duplicate merging stays out of the way."""
    import random

    rng = random.Random(seed)
    return [{"category": rng.choice(categories), "grid_code": rng.choice(grids),
             "description": f"{rng.choice(WHEN)}{rng.choice(WHO)}{rng.choice(WHAT)}，编号{i}",
             "address": f"第{rng.randint(1, 99)}街{rng.randint(1, 400)}号"} for i in range(count)]


def demo_bodies(count: int) -> list[dict[str, Any]]:
    """Bodies placed in the demo district's real grids, with street-level categories."""
    from datetime import UTC, datetime

    from services.registry.domain.seed import putuo_district
    from shared.taxonomy import load_taxonomy

    grids = [g.code for g in putuo_district(now=datetime.now(UTC)).grids if g.kind == "comprehensive"]
    categories = [code for code, item in load_taxonomy().items.items() if item.level in ("community", "street")]
    return ticket_bodies(count, grids=grids, categories=categories)


def wait_http(url: str, *, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


def wait_port_free(port: int) -> None:
    for _ in range(100):
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) != 0:
                return
        time.sleep(0.1)


def wrk(url: str, *, bodies: list[dict[str, Any]], headers: dict[str, str], seconds: int = 10,
        connections: int = 32, threads: int = 1) -> dict[str, float]:
    """Saturate ``url`` with POSTs; requests/s and latency percentiles as wrk reports them."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    header_lines = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items())
    lua_bodies = ",".join("[[" + orjson.dumps(body).decode() + "]]" for body in bodies)
    script = WRK_SCRIPT % (header_lines, lua_bodies)
    script += """
done = function(summary, latency, requests)
  io.write(string.format("P50 %d\\nP99 %d\\nERR %d\\n", latency:percentile(50), latency:percentile(99),
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "-s", handle.name,
                          "--latency", url], capture_output=True, text=True, check=True).stdout
    Path(handle.name).unlink()
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = int(re.search(r"^P50 (\d+)", out, re.M).group(1)) / 1000  # type: ignore[union-attr]
    p99 = int(re.search(r"^P99 (\d+)", out, re.M).group(1)) / 1000  # type: ignore[union-attr]
    errors = int(re.search(r"^ERR (\d+)", out, re.M).group(1))  # type: ignore[union-attr]
    return {"requests_per_s": rate, "p50_ms": p50, "p99_ms": p99, "errors": errors}


async def paced(url: str, *, bodies: list[dict[str, Any]], headers: dict[str, str], rate: float,
                seconds: float) -> dict[str, float]:
    """Send POSTs at a fixed rate (open loop) and measure each response's latency."""
    latencies: list[float] = []
    failures = 0
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    gc.collect()
    gc.freeze()  # the load generator's own collections must not count as the server's latency
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        async def one(body: dict[str, Any]) -> None:
            nonlocal failures
            started = time.perf_counter()
            response = await client.post(url, json=body, headers=headers)
            latencies.append((time.perf_counter() - started) * 1000)
            failures += response.status_code >= 400

        begin, tasks = time.perf_counter(), []
        for i in range(int(rate * seconds)):
            delay = begin + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(bodies[i % len(bodies)])))
        await asyncio.gather(*tasks)
    gc.unfreeze()
    ordered = sorted(latencies)
    return {"rate": rate, "requests": len(ordered), "failures": failures, "p50_ms": statistics.median(ordered),
            "p99_ms": ordered[max(0, int(len(ordered) * 0.99) - 1)]}


def python() -> str:
    return sys.executable
