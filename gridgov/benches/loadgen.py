"""Load generation for HTTP benches: wrk for saturation, a paced asyncio client for latency at a fixed rate."""

from __future__ import annotations

import asyncio
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
wrk.body = [[%s]]
wrk.headers["Content-Type"] = "application/json"
%s
"""


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


def wrk(url: str, *, body: dict[str, Any], headers: dict[str, str], seconds: int = 10, connections: int = 32,
        threads: int = 1) -> dict[str, float]:
    """Saturate ``url`` with POSTs; requests/s and latency percentiles as wrk reports them."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    header_lines = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items())
    script = WRK_SCRIPT % (orjson.dumps(body).decode(), header_lines)
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


async def paced(url: str, *, body: dict[str, Any], headers: dict[str, str], rate: float, seconds: float) -> dict[str, float]:
    """Send POSTs at a fixed rate (open loop) and measure each response's latency."""
    latencies: list[float] = []
    failures = 0
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        async def one() -> None:
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
            tasks.append(asyncio.create_task(one()))
        await asyncio.gather(*tasks)
    ordered = sorted(latencies)
    return {"rate": rate, "requests": len(ordered), "failures": failures, "p50_ms": statistics.median(ordered),
            "p99_ms": ordered[max(0, int(len(ordered) * 0.99) - 1)]}


def python() -> str:
    return sys.executable
