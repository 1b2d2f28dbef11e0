"""Load generation for HTTP benches: wrk for saturation, a paced raw-asyncio client for latency at a fixed rate."""

from __future__ import annotations

import asyncio
import collections
import gc
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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


def located_bodies(count: int) -> list[dict[str, Any]]:
    """Like :func:`demo_bodies`, but each ticket carries a point inside its grid instead of the grid code, so
    intake has to geocode it."""
    from datetime import UTC, datetime

    from services.registry.domain.seed import putuo_district

    centres = {}
    for grid in putuo_district(now=datetime.now(UTC)).grids:
        if grid.polygon:
            ring = grid.polygon["coordinates"][0][:-1]
            centres[grid.code] = (sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring))
    bodies = [body for body in demo_bodies(count * 2) if body["grid_code"] in centres][:count]
    for body in bodies:
        lon, lat = centres[body.pop("grid_code")]
        body["location"] = {"lon": round(lon, 6), "lat": round(lat, 6)}
    return bodies


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


def require_wrk() -> None:
    """Fail before a bench starts its system, not minutes into it, when wrk is missing."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed: run `make bench-deps` (apt-get install wrk)")


def wrk(url: str, *, bodies: list[dict[str, Any]], headers: dict[str, str], seconds: int = 10,
        connections: int = 32, threads: int = 1) -> dict[str, float]:
    """Saturate ``url`` with POSTs; requests/s and latency percentiles as wrk reports them."""
    require_wrk()
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


IDLE_EXPIRY = 2.0
CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.I)
CONNECTION_CLOSE = re.compile(rb"\r\nconnection:\s*close", re.I)


class RawHttp:
    """A minimal HTTP/1.1 keep-alive client for load generation: pre-encoded requests, Content-Length responses.

    httpx spends about a millisecond of CPU per request; on two cores that is the load generator taking the CPU
    the system under test needs. This client spends a tenth of that.
    """

    def __init__(self, url: str, *, headers: dict[str, str], max_connections: int = 256) -> None:
        parsed = urlsplit(url)
        self.host, self.port = parsed.hostname or "127.0.0.1", parsed.port or 80
        extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self.head = (f"POST {parsed.path or '/'} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                     f"Content-Type: application/json\r\n{extra}Content-Length: ").encode()
        self.slots = asyncio.Semaphore(max_connections)
        # Idle connections with the time they were last used: dropped after IDLE_EXPIRY, before uvicorn closes them
        # (its keep-alive timeout is 5 s), so a request never races a server-side close.
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
        self.open: set[asyncio.StreamWriter] = set()

    async def post(self, body: bytes) -> tuple[int, bytes]:
        async with self.slots:
            reader, writer = await self._connection()
            try:
                writer.write(self.head + str(len(body)).encode() + b"\r\n\r\n" + body)
                head = await reader.readuntil(b"\r\n\r\n")
                length = CONTENT_LENGTH.search(head)
                payload = await reader.readexactly(int(length.group(1))) if length else b""
            except BaseException:
                self._discard(writer)
                raise
            if CONNECTION_CLOSE.search(head):
                self._discard(writer)
            else:
                self.idle.append((reader, writer, time.monotonic()))
            return int(head[9:12]), payload

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        while self.idle:
            reader, writer, used = self.idle.pop()
            if time.monotonic() - used < IDLE_EXPIRY:
                return reader, writer
            self._discard(writer)
        return await self._connect()

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        self.open.add(writer)
        return reader, writer

    def _discard(self, writer: asyncio.StreamWriter) -> None:
        self.open.discard(writer)
        writer.close()

    async def close(self) -> None:
        for writer in list(self.open):
            self._discard(writer)
        self.idle.clear()


async def paced(url: str, *, bodies: list[dict[str, Any]], headers: dict[str, str], rate: float, seconds: float,
                on_response: Callable[[int, bytes], None] | None = None) -> dict[str, float]:
    """Send POSTs at a fixed rate (open loop) and measure each response's latency from its scheduled send time.

    ``on_response(status, body)`` sees every response as it arrives (the pipeline bench stamps accept times).
    """
    encoded = [orjson.dumps(body) for body in bodies]
    latencies: list[float] = []
    failures = 0
    outcomes: collections.Counter[str] = collections.Counter()
    client = RawHttp(url, headers=headers)
    gc.collect()
    gc.freeze()  # the load generator's own collections must not count as the server's latency

    async def one(body: bytes, scheduled: float) -> None:
        nonlocal failures
        try:
            status, payload = await client.post(body)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
            failures += 1
            outcomes[type(error).__name__] += 1
            return
        latencies.append((time.perf_counter() - scheduled) * 1000)
        failures += status >= 400
        outcomes[str(status)] += 1
        if on_response is not None:
            on_response(status, payload)

    try:
        begin, tasks = time.perf_counter(), []
        for i in range(int(rate * seconds)):
            scheduled = begin + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(encoded[i % len(encoded)], scheduled)))
        await asyncio.gather(*tasks)
    finally:
        await client.close()
        gc.unfreeze()
    ordered = sorted(latencies)
    return {"rate": rate, "requests": len(ordered) + failures, "failures": failures, "outcomes": dict(outcomes),
            "p50_ms": statistics.median(ordered) if ordered else float("nan"),
            "p99_ms": ordered[max(0, int(len(ordered) * 0.99) - 1)] if ordered else float("nan")}


def python() -> str:
    return sys.executable
