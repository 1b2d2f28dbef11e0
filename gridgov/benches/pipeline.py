"""Bench the whole pipeline as `gridgov run` runs it: tickets over HTTP → intake → Kafka → routing → ticket.routed.

Baselines measured in the same run: bare FastAPI + one insert-and-outbox transaction (wrk), raw Kafka produce+consume.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from rich.console import Console

from gridgov.benches import loadgen
from gridgov.benches.cpu import CpuMeter
from gridgov.benches.bus import raw_kafka
from gridgov.benches.intake import _baseline
from gridgov.services import NAMES
from gridgov.supervisor import Supervisor
from shared import topics
from shared.broker import free_port
from shared.bus.gaps import GapGuard
from shared.settings import CommonSettings


class RoutedWatcher:
    """Follows gridgov.tickets and stamps, per ticket, when each stage happened."""

    def __init__(self, broker_url: str) -> None:
        self.broker_url = broker_url
        self.stages: dict[str, dict[str, float]] = {}
        self.task: asyncio.Task[None] | None = None
        self.gaps = GapGuard()  # a routed event stepped over would count as a ticket never routed

    async def start(self) -> None:
        self.consumer = AIOKafkaConsumer(bootstrap_servers=self.broker_url, enable_auto_commit=False,
                                         fetch_max_wait_ms=5, auto_offset_reset="latest", max_poll_records=5000)
        await self.consumer.start()
        await self.consumer.topics()
        partitions = [TopicPartition(topics.TICKETS, p)
                      for p in self.consumer.partitions_for_topic(topics.TICKETS) or ()]
        self.consumer.assign(partitions)
        ends = await self.consumer.end_offsets(partitions)
        for tp, end in ends.items():
            self.consumer.seek(tp, end)
        self.gaps.expect(ends)  # the next record of each is the one at its end offset
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            batch = self.gaps.contiguous(self.consumer, await self.consumer.getmany(timeout_ms=100))
            seen = time.time()
            for records in batch.values():
                for record in records:
                    self._stamp(record, seen)

    def _stamp(self, record: Any, seen: float) -> None:
        headers = {k: v.decode() for k, v in record.headers}
        kind = headers.get("ce_type", "").split(".")[3] if headers.get("ce_type") else ""
        ticket = record.key.decode()
        stage = self.stages.setdefault(ticket, {})
        committed = datetime.fromisoformat(headers["ce_time"].replace("Z", "+00:00")).timestamp()
        if kind == "received":
            stage.update(received_commit=committed, received_published=record.timestamp / 1000)
        elif kind == "routed" and "routed_seen" not in stage:
            stage.update(routed_commit=committed, routed_published=record.timestamp / 1000, routed_seen=seen)

    async def stop(self) -> None:
        if self.task:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
            self.task = None
            await self.consumer.stop()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * q) - 1)] if ordered else float("nan")


async def _paced(url: str, key: str, watcher: RoutedWatcher, *, rate: float, seconds: float,
                 bodies: list[dict[str, Any]]) -> dict[str, Any]:
    accepted: dict[str, float] = {}

    def stamp(status: int, payload: bytes) -> None:
        if status == 201:
            accepted[orjson.loads(payload)["id"]] = time.time()

    sent = await loadgen.paced(url, bodies=bodies, headers={"X-API-Key": key}, rate=rate, seconds=seconds,
                               on_response=stamp)
    deadline = time.time() + 30
    while time.time() < deadline and any("routed_seen" not in watcher.stages.get(t, {}) for t in accepted):
        await asyncio.sleep(0.05)
    return {**_latency_report(accepted, watcher, rate=rate), "failed_requests": sent["failures"],
            "http_outcomes": sent["outcomes"],
            "http_p50_ms": sent["p50_ms"], "http_p99_ms": sent["p99_ms"]}


def _latency_report(accepted: dict[str, float], watcher: RoutedWatcher, *, rate: float) -> dict[str, Any]:
    done = {t: watcher.stages[t] for t in accepted if "routed_seen" in watcher.stages.get(t, {})}
    total = [(s["routed_seen"] - accepted[t]) * 1000 for t, s in done.items()]
    stage = {
        "intake_commit_to_kafka_ms": [(s["received_published"] - s["received_commit"]) * 1000 for s in done.values()
                                      if "received_published" in s],
        "kafka_to_routing_commit_ms": [(s["routed_commit"] - s["received_published"]) * 1000 for s in done.values()
                                       if "received_published" in s],
        "routing_commit_to_kafka_ms": [(s["routed_published"] - s["routed_commit"]) * 1000 for s in done.values()],
        "kafka_to_observer_ms": [(s["routed_seen"] - s["routed_published"]) * 1000 for s in done.values()],
    }
    return {"rate": rate, "accepted": len(accepted), "routed": len(done), "p50_ms": statistics.median(total) if total else None,
            "p99_ms": _pct(total, 0.99), "stages_p50_ms": {k: statistics.median(v) if v else None for k, v in stage.items()},
            "stages_p99_ms": {k: _pct(v, 0.99) for k, v in stage.items()}}


async def _saturate(url: str, key: str, watcher: RoutedWatcher, *, seconds: int,
                    bodies: list[dict[str, Any]]) -> dict[str, Any]:
    """wrk at full speed. ``bodies`` must outnumber the requests: wrk cycles through them, and a body sent again is
    a repeat complaint (a duplicate merged by intake, a repeat counted and supervised by escalation), which costs
    every service more than a new ticket does."""
    before = sum("routed_seen" in s for s in watcher.stages.values())
    started = time.time()
    result = await asyncio.to_thread(loadgen.wrk, url, bodies=bodies, headers={"X-API-Key": key}, seconds=seconds,
                                     connections=64)
    drain_deadline = time.time() + 60
    accepted = result["requests_per_s"] * seconds
    while time.time() < drain_deadline:
        routed = sum("routed_seen" in s for s in watcher.stages.values()) - before
        if routed >= accepted * 0.999:
            break
        await asyncio.sleep(0.2)
    elapsed = time.time() - started
    return {"accepted_per_s": result["requests_per_s"], "http_p99_ms": result["p99_ms"], "routed": routed,
            "sustained_routed_per_s": routed / elapsed, "drain_seconds": elapsed - seconds}


def _start_system(console: Console, var: Path) -> tuple[Supervisor, dict[str, str]]:
    supervisor = Supervisor(console, var_dir=var, quiet=True)
    # One bench key sends more than a real integration would: lift the per-key rate limit for the run.
    env = {"GRIDGOV_LOG_LEVEL": "WARNING", "GRIDGOV_LOG_JSON": "false", "GRIDGOV_RATE_LIMIT_PER_SECOND": "1000000",
           "GRIDGOV_RATE_LIMIT_BURST": "1000000"}
    env["GRIDGOV_BROKER_URL"] = supervisor.start_broker(free_port())
    for name in NAMES:
        env[f"GRIDGOV_{name.upper()}_DATABASE_URL"] = f"sqlite+aiosqlite:///{var}/{name}.db"
        env[f"GRIDGOV_{name.upper()}_PORT"] = str(free_port())
    for name in NAMES:
        env[f"GRIDGOV_{name.upper()}_REGISTRY_URL"] = f"http://127.0.0.1:{env['GRIDGOV_REGISTRY_PORT']}"
    try:
        for name in NAMES:
            supervisor.start_service(name, env)
        supervisor.wait_healthy()
    except BaseException:
        supervisor.stop()
        raise
    return supervisor, env


async def _wait_routable(url: str, key: str, watcher: RoutedWatcher, *, timeout: float = 120) -> None:
    """The routing replica fills from registry events: wait until a probe ticket is routed to a real unit."""
    deadline, probes = time.time() + timeout, iter(loadgen.demo_bodies(5000)[:1000])
    async with httpx.AsyncClient(timeout=10) as client:
        while time.time() < deadline:
            created = await client.post(url, json=next(probes), headers={"X-API-Key": key})
            if created.status_code != 201:  # the key is still replicating from the registry
                await asyncio.sleep(0.2)
                continue
            ticket = created.json()["id"]
            for _ in range(40):
                await asyncio.sleep(0.1)
                if "routed_seen" in watcher.stages.get(ticket, {}):
                    break
            read = (await client.get(f"{url}/{ticket}", headers={"X-API-Key": key})).json()
            unit = (read.get("assignment") or {}).get("unit_code", "")
            if unit and not unit.endswith("-center"):
                return
    raise TimeoutError("routing never produced a real assignment")


class _System:
    """The whole system started afresh (broker, five services, demo data) for one phase, with an observer and a CPU
    meter on it. Each phase gets its own: the embedded broker's fetch lists every stored batch of a partition, so
    a phase on a broker that earlier phases filled pays for their records (five 100/s phases of 30 s in a row went
    from 3.0 to 6.3 ms of broker CPU per ticket and from 174 to 514 ms p99; see docs/operations.md)."""

    def __init__(self, console: Console, var: Path) -> None:
        self.console, self.var = console, var

    async def __aenter__(self) -> "_System":
        from gridgov.demo import seed_demo

        self.var.mkdir(parents=True)
        self.supervisor, self.env = _start_system(self.console, self.var)
        try:
            await asyncio.to_thread(seed_demo, self.console, var_dir=self.var, env=self.env)
            self.key = orjson.loads((self.var / "demo-credentials.json").read_bytes())["district"]["api_key"]
            self.url = f"http://127.0.0.1:{self.env['GRIDGOV_INTAKE_PORT']}/api/v1/tickets"
            self.watcher = RoutedWatcher(self.env["GRIDGOV_BROKER_URL"])
            await self.watcher.start()
            await _wait_routable(self.url, self.key, self.watcher)
            pids = {name: process.pid for name, process in self.supervisor.children.items()}
            if self.supervisor.broker is not None and self.supervisor.broker.process is not None:
                pids["broker"] = self.supervisor.broker.process.pid
            self.meter = CpuMeter(pids)
            await self.meter.measure_idle()
        except BaseException:
            await self.__aexit__()
            raise
        gc.collect()
        gc.freeze()  # the watcher's and the client's own collections must not count as the pipeline's latency
        return self

    async def __aexit__(self, *_: Any) -> None:
        gc.unfreeze()
        watcher = getattr(self, "watcher", None)
        if watcher is not None:
            await watcher.stop()
        self.supervisor.stop()


async def _pipeline(console: Console, *, quick: bool) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    seconds = 5 if quick else 20
    pool = loadgen.demo_bodies(80000)  # distinct tickets for every phase (see _saturate)
    unused = 1000  # the first bodies may be _wait_routable's probes
    with tempfile.TemporaryDirectory() as tmp:
        # Light loads first: where accept → routed latency bends as the two cores fill (the floor is the fetch
        # waits of two hops; at 200/s the machine has little idle CPU left).
        for rate in (20, 50, 100, 200, 1000):
            bodies, unused = pool[unused:unused + rate * seconds], unused + rate * seconds
            async with _System(console, Path(tmp) / f"at-{rate}") as system:
                console.print(f"paced {rate} tickets/s for {seconds}s …")
                started = system.meter.start()
                phase = figures[f"at_{rate}_per_s"] = await _paced(system.url, system.key, system.watcher, rate=rate,
                                                                   seconds=seconds, bodies=bodies)
                await system.meter.settle()
                phase["cpu_ms_per_ticket"] = system.meter.per_unit(started, phase["accepted"])
                phase["observer_gaps_waited"] = system.watcher.gaps.gaps_waited
        async with _System(console, Path(tmp) / "saturated") as system:
            console.print("saturating with wrk …")
            started = system.meter.start()
            saturated = figures["saturated"] = await _saturate(system.url, system.key, system.watcher, seconds=seconds,
                                                               bodies=pool[unused:])
            # How long the consumers off the latency path (escalation, analytics) took to catch up after the load.
            saturated["settle_seconds"] = await system.meter.settle()
            saturated["cpu_ms_per_ticket"] = system.meter.per_unit(started, saturated["routed"])
            await system.watcher.stop()
            common = CommonSettings(broker_url=system.env["GRIDGOV_BROKER_URL"],
                                    topic_prefix=f"raw{uuid.uuid4().hex[:4]}.")
            figures["raw_kafka"] = await raw_kafka(common, 5000 if quick else 30000)
        console.print("baseline: bare FastAPI + one insert-and-outbox transaction …")
        figures["baseline_fastapi_insert"] = await asyncio.to_thread(_baseline, f"sqlite+aiosqlite:///{tmp}/base.db",
                                                                     seconds)
    base = figures["baseline_fastapi_insert"]["saturated"]["requests_per_s"]
    figures["ratio_sustained_to_baseline"] = figures["saturated"]["sustained_routed_per_s"] / base
    return figures


def run(*, quick: bool, console: Console) -> dict[str, Any]:
    loadgen.require_wrk()
    figures = asyncio.run(_pipeline(console, quick=quick))
    return {"figures": figures, "targets": {"ratio_min": 0.6, "p99_ms_at_200_max": 50, "p99_ms_at_1000_max": 150},
            "notes": "all five services, broker and SQLite co-located on this machine as `gridgov run` runs them; "
                     "each phase on a system started afresh (the embedded broker slows as its logs grow)"}
