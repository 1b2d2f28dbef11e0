"""`gridgov bench chaos`: faults under a steady ticket load, each followed by an exact count.

The whole system runs as `gridgov run` runs it (Tansu broker + five service processes). Each scenario posts
tickets over HTTP at a steady rate, injects its fault a third of the way through, waits for the pipeline to drain,
then counts: accepted by intake, routed exactly once (Kafka and routing's decisions), escalation clocks started once,
analytics totals, doubled and lost. `docs/reliability.md` is rewritten from the results.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from rich.console import Console

from gridgov.bench import RESULTS
from gridgov.benches import loadgen
from gridgov.services import NAMES
from gridgov.supervisor import Supervisor
from shared import topics
from shared.broker import free_port
from shared.bus.gaps import GapGuard

ROUTED = "cn.gridgov.ticket.routed.v1"
RECEIVED = "cn.gridgov.ticket.received.v1"
MERGED = "cn.gridgov.ticket.merged.v1"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DOCUMENT = Path("docs/reliability.md")
R = TypeVar("R")
DRAIN_TIMEOUT = 120.0
FIGURES = ("accepted_201", "intake_listed", "routed_once", "decided_once", "clocks_once", "analytics_received",
           "doubled", "lost")
SCENARIOS = ("steady", *(f"kill-{name}" for name in NAMES), "poison", "postgres-restart", "broker-restart",
             "broker-restart-services")


@dataclass
class System:
    supervisor: Supervisor
    env: dict[str, str]
    var: Path
    key: str = ""
    databases: list[str] = field(default_factory=list)

    def url(self, service: str, path: str) -> str:
        return f"http://127.0.0.1:{self.env[f'GRIDGOV_{service.upper()}_PORT']}{path}"


class Ledger:
    """Everything seen on gridgov.tickets and gridgov.dlq, kept across broker restarts (deduplicated by ce_id)."""

    def __init__(self) -> None:
        self.routed: dict[str, set[str]] = {}  # ticket id -> distinct ce_ids of routed events with sequence 1
        self.merged: set[str] = set()
        self.received: set[str] = set()
        self.dlq: list[dict[str, str]] = []
        self._dlq_seen: set[tuple[str, str, str]] = set()
        self.consumer: AIOKafkaConsumer | None = None
        self.partitions: list[int] = []
        self.unreadable: dict[str, int] = {}  # partition -> records the broker counts but never returns
        self.gaps = GapGuard()

    async def open(self, broker_url: str) -> None:
        await self.close()
        self.consumer = AIOKafkaConsumer(bootstrap_servers=broker_url, enable_auto_commit=False, fetch_max_wait_ms=5,
                                         auto_offset_reset="earliest", max_poll_records=5000)
        await self.consumer.start()
        await self.consumer.topics()
        self.partitions = sorted(self.consumer.partitions_for_topic(topics.TICKETS) or ())
        partitions = [TopicPartition(t, p) for t in (topics.TICKETS, topics.DLQ)
                      for p in self.consumer.partitions_for_topic(t) or ()]
        self.consumer.assign(partitions)
        for tp in partitions:  # from 0, not the log start Tansu reports (see Consumer.seek_to_committed)
            self.consumer.seek(tp, 0)
        self.gaps = GapGuard()
        self.gaps.expect(dict.fromkeys(partitions, 0))

    async def close(self) -> None:
        if self.consumer is not None:
            await self.consumer.stop()
            self.consumer = None

    async def catch_up(self, *, patience: float = 10.0) -> None:
        """Read until every partition's position reaches its end offset as of now, or nothing arrives for
        ``patience`` seconds (a Tansu restarted empty has been seen to count a record it never stores)."""
        assert self.consumer is not None
        ends = await self.consumer.end_offsets(list(self.consumer.assignment()))
        last_record = time.monotonic()
        while [tp for tp, end in ends.items() if await self.consumer.position(tp) < end]:
            if time.monotonic() - last_record > patience:
                self.unreadable = {f"{tp.topic}/{tp.partition}": end - await self.consumer.position(tp)
                                   for tp, end in ends.items() if await self.consumer.position(tp) < end}
                return
            batch = self.gaps.contiguous(self.consumer, await self.consumer.getmany(timeout_ms=200))
            for records in batch.values():
                last_record = time.monotonic()
                for record in records:
                    self._note(record)

    def _note(self, record: Any) -> None:
        headers = {k: v.decode(errors="replace") for k, v in record.headers or ()}
        if record.topic == topics.DLQ:
            entry = (headers.get("ce_id", ""), headers.get("dlq_consumer", ""), headers.get("dlq_offset", ""))
            if entry not in self._dlq_seen:
                self._dlq_seen.add(entry)
                self.dlq.append({"key": (record.key or b"").decode(errors="replace"),
                                 "type": headers.get("ce_type", ""), "consumer": headers.get("dlq_consumer", ""),
                                 "reason": headers.get("dlq_reason", "")})
        elif headers.get("ce_type") == ROUTED and orjson.loads(record.value).get("sequence") == 1:
            self.routed.setdefault(record.key.decode(), set()).add(headers["ce_id"])
        elif headers.get("ce_type") == RECEIVED:
            self.received.add(record.key.decode())
        elif headers.get("ce_type") == MERGED:
            self.merged.add(record.key.decode())


# ---- the system -------------------------------------------------------------------------------------------------

async def _create_databases(names: list[str]) -> None:
    import asyncpg  # type: ignore[import-untyped]

    connection = await asyncpg.connect(PG_ADMIN)
    try:
        for name in names:
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def _drop_databases(names: list[str]) -> None:
    import asyncpg  # type: ignore[import-untyped]

    connection = await asyncpg.connect(PG_ADMIN)
    try:
        for name in names:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def start_system(console: Console, var: Path, *, backend: str) -> System:
    """Broker + five services on free ports, each with its own database (SQLite files or PostgreSQL databases)."""
    system = System(Supervisor(console, var_dir=var, quiet=True), {
        "GRIDGOV_LOG_LEVEL": "WARNING", "GRIDGOV_LOG_JSON": "false", "GRIDGOV_RATE_LIMIT_PER_SECOND": "1000000",
        "GRIDGOV_RATE_LIMIT_BURST": "1000000"}, var)
    if backend == "postgres":
        system.databases = [f"chaos_{uuid.uuid4().hex[:8]}_{name}" for name in NAMES]
        await _create_databases(system.databases)
    system.env["GRIDGOV_BROKER_URL"] = system.supervisor.start_broker(free_port())
    for index, name in enumerate(NAMES):
        system.env[f"GRIDGOV_{name.upper()}_DATABASE_URL"] = (
            f"postgresql+asyncpg://postgres@127.0.0.1:5432/{system.databases[index]}" if system.databases
            else f"sqlite+aiosqlite:///{var}/{name}.db")
        system.env[f"GRIDGOV_{name.upper()}_PORT"] = str(free_port())
    for name in NAMES:
        system.env[f"GRIDGOV_{name.upper()}_REGISTRY_URL"] = system.url("registry", "")
    try:
        for name in NAMES:
            system.supervisor.start_service(name, system.env)
        await asyncio.to_thread(system.supervisor.wait_healthy)
    except BaseException:
        await stop_system(system)
        raise
    return system


async def stop_system(system: System) -> None:
    await asyncio.to_thread(system.supervisor.stop)
    if system.databases:
        await _drop_databases(system.databases)


async def _wait_routable(system: System, bodies: list[dict[str, Any]], *, timeout: float = 120) -> None:
    """Routing's registry replica fills from events: wait until a probe ticket is routed to a real unit."""
    deadline, probes = time.monotonic() + timeout, iter(bodies)
    async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": system.key}) as client:
        while time.monotonic() < deadline:
            created = await client.post(system.url("intake", "/api/v1/tickets"), json=next(probes))
            if created.status_code != 201:  # the key is still replicating from the registry
                await asyncio.sleep(0.3)
                continue
            ticket = created.json()["id"]
            for _ in range(30):
                await asyncio.sleep(0.2)
                read = (await client.get(system.url("intake", f"/api/v1/tickets/{ticket}"))).json()
                unit = (read.get("assignment") or {}).get("unit_code", "")
                if unit:
                    break
            if unit and not unit.endswith("-center"):
                return
    raise TimeoutError("routing never produced a real assignment")


# ---- faults -----------------------------------------------------------------------------------------------------

def _restart_service(system: System, name: str) -> dict[str, Any]:
    system.supervisor.kill(name)
    time.sleep(1.0)  # stay down for a moment under load
    started = time.monotonic()
    system.supervisor.start_service(name, system.env)
    system.supervisor.wait_healthy((name,))
    return {"fault": f"kill -9 {name}, restarted", "restart_s": round(time.monotonic() - started, 1)}


def _replace_broker(system: System) -> None:
    """Stop the broker and start an empty one on the same port. Nobody creates the topics for the running services:
    the first metadata request of any client creates a missing topic with Tansu's 4 partitions, and the relays,
    which notice the new logs by their falling offsets, create the rest with theirs (see shared.bus.relay)."""
    assert system.supervisor.broker is not None
    port = system.supervisor.broker.port
    system.supervisor.broker.stop()
    time.sleep(2.0)
    system.supervisor.start_broker(port)


def _redrive(system: System, *, since: datetime) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "gridgov", "outbox", "redrive", "--since", since.isoformat()],
                          env={**os.environ, **system.env}, capture_output=True, text=True, timeout=120)
    marked = [line.strip() for line in done.stderr.splitlines() if "marked" in line]
    return {"redrive": " / ".join(line.split(" events")[0] for line in marked) or done.stderr[-300:],
            "redrive_exit": done.returncode}


def _restart_broker(system: System, *, since: datetime, services: bool) -> dict[str, Any]:
    """Broker restarted empty (optionally with every service stopped around it), then `gridgov outbox redrive`."""
    if services:
        for name in NAMES:
            system.supervisor.children[name].terminate()
        for name in NAMES:
            system.supervisor.children[name].wait(timeout=30)
    _replace_broker(system)
    if services:
        for name in NAMES:
            system.supervisor.start_service(name, system.env)
        system.supervisor.wait_healthy()
    what = "services stopped, broker restarted empty, services started" if services else "broker restarted empty"
    return {"fault": f"{what}; outbox redrive --since {since.isoformat(timespec='seconds')}",
            **_redrive(system, since=since)}


def _pg_version() -> str:
    return sorted(os.listdir("/etc/postgresql"))[-1]


def _restart_postgres() -> dict[str, Any]:
    started = time.monotonic()
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", _pg_version(), "main", "restart"], check=True,
                   capture_output=True, timeout=120)
    return {"fault": "pg_ctlcluster restart", "restart_s": round(time.monotonic() - started, 1)}


def ensure_postgres_running() -> None:
    """Whatever happened, leave the shared cluster online."""
    status = subprocess.run(["pg_ctlcluster", _pg_version(), "main", "status"], capture_output=True)
    if status.returncode != 0:
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", _pg_version(), "main", "start"],
                       capture_output=True, timeout=120)


POISON = {"poison-bad-json": ("cn.gridgov.ticket.received.v1", b"{not json"),
          "poison-unknown-type": ("cn.gridgov.ticket.teleported.v1", b"{}")}


async def _poison(system: System) -> dict[str, Any]:
    producer = AIOKafkaProducer(bootstrap_servers=system.env["GRIDGOV_BROKER_URL"])
    await producer.start()
    try:
        for key, (ce_type, value) in POISON.items():
            headers = {"ce_specversion": "1.0", "ce_id": str(uuid.uuid4()), "ce_source": "/chaos", "ce_type": ce_type,
                       "ce_time": datetime.now(UTC).isoformat(), "ce_jurisdiction": "330903001001001"}
            await producer.send_and_wait(topics.TICKETS, value=value, key=key.encode(),
                                         headers=[(k, v.encode()) for k, v in headers.items()])
    finally:
        await producer.stop()
    return {"fault": "bad JSON and an unknown event type produced raw to gridgov.tickets"}


async def _fault(system: System, name: str, *, since: datetime) -> dict[str, Any]:
    if name.startswith("kill-"):
        return await asyncio.to_thread(_restart_service, system, name.removeprefix("kill-"))
    if name.startswith("broker-restart"):
        return await asyncio.to_thread(_restart_broker, system, since=since, services=name.endswith("-services"))
    if name == "postgres-restart":
        return await asyncio.to_thread(_restart_postgres)
    if name == "poison":
        return await _poison(system)
    return {"fault": "none (control)"}


# ---- load and counts --------------------------------------------------------------------------------------------

async def _load(system: System, bodies: list[dict[str, Any]], *, rate: float) -> dict[str, Any]:
    accepted: set[str] = set()
    statuses: dict[str, int] = {}
    # Idle keep-alive connections expire before uvicorn's 5 s, so a POST never races a server-side close.
    limits = httpx.Limits(max_connections=256, keepalive_expiry=2.0)
    async with httpx.AsyncClient(timeout=20, limits=limits,
                                 headers={"X-API-Key": system.key}) as client:
        async def one(body: dict[str, Any]) -> None:
            try:
                response = await client.post(system.url("intake", "/api/v1/tickets"), json=body)
                status = str(response.status_code)
                if response.status_code == 201:
                    accepted.add(response.json()["id"])
            except httpx.HTTPError as error:
                status = type(error).__name__
            statuses[status] = statuses.get(status, 0) + 1

        begin, tasks = time.perf_counter(), []
        for i, body in enumerate(bodies):
            delay = begin + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(body)))
        await asyncio.gather(*tasks)
    return {"accepted": accepted, "statuses": statuses}


async def _get_json(client: httpx.AsyncClient, url: str, **params: Any) -> Any:
    for _ in range(20):
        try:
            response = await client.get(url, params=params)
            if response.status_code < 500:
                return response.json() if response.status_code == 200 else None
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.5)
    return None


async def _listed(client: httpx.AsyncClient, system: System, *, since: datetime, until: datetime) -> dict[str, bool]:
    """Intake's tickets created in the window, each with whether intake knows its assignment."""
    found: dict[str, bool] = {}
    cursor = None
    while True:
        params: dict[str, Any] = {"since": since.isoformat(), "until": until.isoformat(), "limit": 500}
        if cursor:
            params["cursor"] = cursor
        page = await _get_json(client, system.url("intake", "/api/v1/tickets"), **params)
        found.update({item["id"]: bool(item.get("assignment")) for item in page["items"]})
        cursor = page.get("next_cursor")
        if not cursor:
            return found


async def _assigned(client: httpx.AsyncClient, system: System, *, since: datetime, until: datetime, expected: int,
                    timeout: float) -> int:
    """How many of the window's tickets show their assignment at intake, polled until all do or time runs out
    (intake learns it from `ticket.routed` on its own consumer, which the drain above does not wait for)."""
    async def count() -> int:
        return sum((await _listed(client, system, since=since, until=until)).values())

    return await _polled(count, lambda assigned: assigned >= expected, timeout=timeout, interval=1.0)


async def _received_total(client: httpx.AsyncClient, system: System) -> int:
    today = datetime.now(UTC).date()
    window = {"since": (today - timedelta(days=2)).isoformat(), "until": (today + timedelta(days=2)).isoformat()}
    summary = await _get_json(client, system.url("analytics", "/api/v1/metrics/summary"), **window)
    return int((summary or {}).get("total", {}).get("received") or 0)


async def _per_ticket(client: httpx.AsyncClient, system: System, tickets: set[str]) -> dict[str, int]:
    """Routing's decisions and escalation's clocks of every ticket: how many have exactly one initial of each."""
    gate = asyncio.Semaphore(16)
    counts = dict.fromkeys(("decided_once", "decided_twice", "undecided", "clocks_once", "clocks_doubled",
                            "clocks_missing"), 0)

    async def one(ticket: str) -> None:
        async with gate:
            decisions = await _get_json(client, system.url("routing", f"/api/v1/routing/decisions/{ticket}"))
            clocks = await _get_json(client, system.url("escalation", f"/api/v1/clocks/{ticket}"))
        initial = [d for d in (decisions or {}).get("decisions", []) if d["sequence"] == 1]
        sign_off = [c for c in (clocks or {}).get("clocks", []) if c["kind"] == "sign_off" and c["seq"] == 1]
        counts[_once(initial, "decided_once", "decided_twice", "undecided")] += 1
        counts[_once(sign_off, "clocks_once", "clocks_doubled", "clocks_missing")] += 1

    await asyncio.gather(*(one(t) for t in tickets))
    return counts


def _once(items: list[Any], once: str, more: str, none: str) -> str:
    return once if len(items) == 1 else more if items else none


async def _drain(system: System, ledger: Ledger, tickets: set[str], *, expected_received: int,
                 client: httpx.AsyncClient, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        await ledger.catch_up()
        if all(t in ledger.routed for t in tickets) and await _received_total(client, system) >= expected_received:
            break
        await asyncio.sleep(1.0)
    await asyncio.sleep(1.0)  # let any late duplicate surface before counting
    await ledger.catch_up()
    return time.monotonic() - started


async def _settled(client: httpx.AsyncClient, system: System, tickets: set[str], *, timeout: float) -> dict[str, int]:
    """Poll routing's decisions and escalation's clocks until every ticket has both (or time runs out)."""
    return await _polled(lambda: _per_ticket(client, system, tickets),
                         lambda counts: counts["undecided"] == 0 and counts["clocks_missing"] == 0,
                         timeout=timeout, interval=2.0)


async def _polled(read: Callable[[], Awaitable[R]], done: Callable[[R], bool], *, timeout: float,
                  interval: float) -> R:
    """``read()`` again every ``interval`` seconds until ``done`` holds for its value or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = await read()
        if done(value) or time.monotonic() > deadline:
            return value
        await asyncio.sleep(interval)


async def _scenario(system: System, ledger: Ledger, name: str, bodies: list[dict[str, Any]], *,
                    rate: float) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=20, headers={"X-API-Key": system.key}) as client:
        received_before, dlq_before = await _received_total(client, system), len(ledger.dlq)
        ledger.unreadable = {}
        started = datetime.now(UTC)
        load = asyncio.create_task(_load(system, bodies, rate=rate))
        await asyncio.sleep(len(bodies) / rate / 3)
        fault = await _fault(system, name, since=started)
        posted = await load
        if name.startswith("broker-restart"):
            await ledger.open(system.env["GRIDGOV_BROKER_URL"])
            fault["tickets_partitions"] = len(ledger.partitions)
        ended = datetime.now(UTC)
        listed = set(await _listed(client, system, since=started, until=ended))
        tickets = posted["accepted"] | listed
        drain = await _drain(system, ledger, tickets, expected_received=received_before + len(tickets), client=client,
                             timeout=DRAIN_TIMEOUT)
        per_ticket = await _settled(client, system, tickets, timeout=max(10.0, DRAIN_TIMEOUT - drain))
        received = await _received_total(client, system) - received_before
        assigned = await _assigned(client, system, since=started, until=ended, expected=len(listed), timeout=60.0)
    routed = {t: len(ledger.routed.get(t, ())) for t in tickets}
    return {"scenario": name, **fault, "posted": len(bodies), "http": posted["statuses"],
            "accepted_201": len(posted["accepted"]), "intake_listed": len(listed),
            "accepted_not_acknowledged": len(listed - posted["accepted"]),
            "routed_once": sum(n == 1 for n in routed.values()), "doubled": sum(n > 1 for n in routed.values()),
            "lost": sum(n == 0 for n in routed.values()),
            "lost_not_on_kafka": sum(n == 0 and t not in ledger.received for t, n in routed.items()),
            "merged": len(tickets & ledger.merged), "intake_assigned": assigned, **per_ticket,
            "analytics_received": received, "analytics_equal": received == len(tickets),
            "drain_s": round(drain, 1), "dlq_records": len(ledger.dlq) - dlq_before,
            "dlq_consumers": sorted({e["consumer"] for e in ledger.dlq[dlq_before:]}),
            "unreadable_on_broker": dict(ledger.unreadable),
            **(_dlq_report(ledger) if name == "poison" else {})}


def _dlq_report(ledger: Ledger) -> dict[str, Any]:
    poison = [entry for entry in ledger.dlq if entry["key"] in POISON]
    return {"dlq_poison": len(poison), "dlq_poison_keys": sorted({e["key"] for e in poison}),
            "dlq_reasons": sorted({f"{e['consumer']}: {e['reason'][:90]}" for e in poison}),
            "dlq_other": len(ledger.dlq) - len(poison)}


def _quiet_kafka_logs() -> None:
    import logging

    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)


async def run_scenarios(console: Console, *, backend: str, names: tuple[str, ...] = SCENARIOS, tickets: int,
                        rate: float = 100.0) -> list[dict[str, Any]]:
    """Start a system, run the named scenarios one after the other, stop it; one result dict per scenario."""
    _quiet_kafka_logs()
    pool = loadgen.demo_bodies(tickets * len(names) + 2000)
    with tempfile.TemporaryDirectory() as tmp:
        system = await start_system(console, Path(tmp), backend=backend)
        ledger, results = Ledger(), []
        try:
            from gridgov.demo import seed_demo

            await asyncio.to_thread(seed_demo, console, var_dir=system.var, env=system.env)
            system.key = orjson.loads((system.var / "demo-credentials.json").read_bytes())["district"]["api_key"]
            await _wait_routable(system, pool[-2000:])
            await ledger.open(system.env["GRIDGOV_BROKER_URL"])
            for index, name in enumerate(names):
                console.print(f"chaos: {name} under {tickets} tickets at {rate:.0f}/s …")
                results.append(await _scenario(system, ledger, name, pool[index * tickets:(index + 1) * tickets],
                                               rate=rate))
                console.print(_line(results[-1]), highlight=False)
        finally:
            await ledger.close()
            await stop_system(system)
    return results


def _line(row: dict[str, Any]) -> str:
    return (f"  {row['scenario']}: 201={row['accepted_201']} listed={row['intake_listed']} once={row['routed_once']} "
            f"doubled={row['doubled']} lost={row['lost']} clocks_once={row['clocks_once']} "
            f"analytics={row['analytics_received']} drain={row['drain_s']}s")


BROKER_LOSS = (
    "`broker-restart` (the broker restarted empty while the services run) lost tickets in this run while "
    "`broker-restart-services` did not. Stopping the services, restarting the broker, starting the services and then "
    "running `gridgov outbox redrive --since <before the broker lost its data>` is the procedure to follow.")
TOPICS_NOTE = (
    "After the restart nobody creates the topics for the running services: the first client metadata request makes "
    "Tansu create a missing topic with 4 partitions. Tansu also acknowledges records sent to "
    "partitions it does not have, which a producer still holding the old broker's metadata does; the relays notice "
    "the new logs by their falling offsets, create the missing topics, refresh their metadata and publish that batch "
    "again, and the consumers re-read each new log from its start (inboxes drop the repeats).")
LEGEND = (
    "Counts per scenario: *HTTP 201* tickets acknowledged to the client; *not acked* tickets intake stored although "
    "the client saw an error (a kill or a timeout between commit and response); *intake list* tickets intake lists for "
    "the scenario's time window; *routed once* tickets with exactly one distinct `ticket.routed` event of sequence 1 "
    "on Kafka (redelivered copies of one event count once); *routing decisions once* tickets whose decisions at "
    "routing show one initial decision; *clocks once* tickets with exactly one initial sign-off clock at escalation; "
    "*intake assigned* tickets whose assignment intake shows (it learns it from `ticket.routed`); "
    "*analytics received* growth of analytics' received total; *doubled* tickets with two or more initial routings; "
    "*lost* stored tickets never routed; *DLQ records* records dead-lettered during the scenario (every consumer "
    "of `gridgov.tickets` dead-letters its own copy of a bad record).")


def _table(rows: list[dict[str, Any]]) -> str:
    columns = ("scenario", "fault", "accepted_201", "accepted_not_acknowledged", "intake_listed", "routed_once",
               "decided_once", "clocks_once", "intake_assigned", "analytics_received", "doubled", "lost", "dlq_records",
               "drain_s")
    head = ("| scenario | fault | HTTP 201 | not acked | intake list | routed once (Kafka) | routing decisions once | "
            "clocks once | intake assigned | analytics received | doubled | lost | DLQ records | drain s |\n")
    head += "|---" * len(columns) + "|\n"
    return head + "".join("| " + " | ".join(str(row.get(c, "—")) for c in columns) + " |\n" for row in rows)


def _findings(rows: list[dict[str, Any]]) -> str:
    by_name = {row["scenario"]: row for row in rows}
    lines = [f"- **{r['scenario']}**: {r['lost']} stored tickets never routed ({r.get('lost_not_on_kafka', 0)} of them "
             f"never reached Kafka), {r['doubled']} doubled; HTTP outcomes {r['http']}"
             + (f"; partitions of gridgov.tickets after the restart: {r['tickets_partitions']}"
                if "tickets_partitions" in r else "") + "." for r in rows
             if r["lost"] or r["doubled"] or not r["analytics_equal"]]
    lines += [f"- **{r['scenario']}**: escalation shows no sign-off clock for {r.get('clocks_missing', 0)} and two for "
              f"{r.get('clocks_doubled', 0)} of the routed tickets when the bench stopped waiting." for r in rows
              if r.get("clocks_missing") or r.get("clocks_doubled")]
    lines += [f"- **{r['scenario']}**: {r['dlq_records']} records dead-lettered by {', '.join(r['dlq_consumers'])}: "
              "events dropped over a transient fault, not poison." for r in rows
              if r.get("dlq_records") and r["scenario"] != "poison"]
    lines += [f"- **{r['scenario']}**: the restarted broker counts records it never returns "
              f"({r['unreadable_on_broker']}, partition: records); the ledger stopped waiting for them." for r in rows
              if r.get("unreadable_on_broker")]
    if any("dlq_records" not in r for r in rows):
        lines.append("- Cells marked — were not measured by the bench version that produced these rows.")
    if by_name.get("broker-restart", {}).get("lost") and not by_name.get("broker-restart-services", {}).get("lost", 1):
        lines.append(f"- {BROKER_LOSS}")
    if any(name.startswith("broker-restart") for name in by_name):
        partitions = ", ".join(f"{name} {row['tickets_partitions']}" for name, row in by_name.items()
                               if "tickets_partitions" in row)
        lines.append(f"- {TOPICS_NOTE} Partitions of `gridgov.tickets` after the restart: {partitions}.")
    if not lines:
        return "\n## Findings\n\nEvery stored ticket was routed exactly once in every scenario.\n"
    return "\n## Findings\n\n" + "\n".join(lines) + "\n"


def _poison_section(rows: list[dict[str, Any]]) -> str:
    poison = next((r for r in rows if r["scenario"] == "poison"), None)
    if poison is None:
        return ""
    return ("\n## Poison messages\n\n" + "".join(f"- `{reason}`\n" for reason in poison["dlq_reasons"])
            + f"\nPoison records in `gridgov.dlq`: {poison['dlq_poison']} (one per consumer of `gridgov.tickets`; keys "
            f"{', '.join(poison['dlq_poison_keys'])}); other DLQ records during the run: {poison['dlq_other']}.\n")


def merge_rows(previous: dict[str, Any] | None, fresh: list[dict[str, Any]], *, backend: str,
               tickets: int) -> list[dict[str, Any]]:
    """A run of some scenarios (``GRIDGOV_CHAOS_SCENARIOS``) replaces their rows in the last run's results, when
    that run used the same database and load; the others are kept, in the order of SCENARIOS."""
    kept: dict[str, dict[str, Any]] = {}
    if previous and previous.get("backend") == backend and previous.get("tickets_per_scenario") == tickets:
        kept = {row["scenario"]: row for row in previous.get("scenarios", [])}
    kept.update({row["scenario"]: row for row in fresh})
    return [kept[name] for name in SCENARIOS if name in kept]


def write_document(rows: list[dict[str, Any]], *, backend: str, quick: bool, rerun: tuple[str, ...] = (),
                   path: Path = DOCUMENT) -> None:
    """Rewrite docs/reliability.md from the bench's rows (``rerun``: the scenarios this run replaced)."""
    when = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    origin = f"on {when}" if not rerun else f"(scenarios {', '.join(rerun)} re-run on {when}, the others earlier)"
    path.write_text(
        "# Reliability: faults under load\n\n"
        f"Generated by `gridgov bench chaos{' --quick' if quick else ''}` {origin} "
        f"({backend}, {rows[0]['posted'] if rows else 0} tickets per scenario posted at a steady rate, the fault a "
        "third of the way through; broker and five services as separate processes). Do not edit by hand.\n\n"
        + LEGEND + "\n\n" + _table(rows) + _findings(rows) + _poison_section(rows), encoding="utf-8")


def _last_results(path: Path = RESULTS / "chaos.json") -> dict[str, Any] | None:
    try:
        result: dict[str, Any] = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    return result


def run(*, quick: bool, console: Console) -> dict[str, Any]:
    backend = os.environ.get("GRIDGOV_CHAOS_BACKEND", "postgres")
    tickets = 1000 if quick else 3000
    try:
        chosen = tuple(filter(None, os.environ.get("GRIDGOV_CHAOS_SCENARIOS", "").split(","))) or SCENARIOS
        if unknown := set(chosen) - set(SCENARIOS):
            raise ValueError(f"GRIDGOV_CHAOS_SCENARIOS: unknown {sorted(unknown)}; known: {', '.join(SCENARIOS)}")
        rows = asyncio.run(run_scenarios(console, backend=backend, tickets=tickets, names=chosen))
    finally:
        if backend == "postgres":
            ensure_postgres_running()
    rerun: tuple[str, ...] = ()
    if set(chosen) != set(SCENARIOS):
        rerun = tuple(name for name in SCENARIOS if name in chosen)
        rows = merge_rows(_last_results(), rows, backend=backend, tickets=tickets)
    write_document(rows, backend=backend, quick=quick, rerun=rerun)
    console.print(f"written {DOCUMENT}")
    return {"figures": {row["scenario"]: {k: row[k] for k in FIGURES} for row in rows},
            "scenarios": rows, "backend": backend, "tickets_per_scenario": tickets,
            "targets": {"doubled": 0, "lost": 0, "analytics_equal": True},
            "notes": "broker + five services as separate processes; each fault a third of the way through the load"}
