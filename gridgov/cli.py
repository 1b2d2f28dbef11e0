"""The ``gridgov`` command: run the whole system, serve one service, relay, migrate, seed, tail, bench."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from gridgov.services import NAMES, UnknownService, app_factory, metadata_for, settings_for

app = typer.Typer(help="gridgov: event-driven grid-based social governance backend.", no_args_is_help=True)
outbox_app = typer.Typer(help="Outbox maintenance.", no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")
console = Console(stderr=True)


def _fail(message: str) -> None:
    console.print(f"[red]error:[/] {message}", soft_wrap=True, highlight=False)
    raise typer.Exit(code=2)


def _settings(service: str):  # noqa: ANN202 - each service has its own Settings class
    try:
        return settings_for(service)
    except UnknownService as error:
        _fail(str(error))
    except ValidationError as error:
        first = error.errors()[0]
        _fail(f"bad setting {'.'.join(map(str, first['loc']))} for {service}: {first['msg']}")


@app.command()
def serve(service: Annotated[str, typer.Argument(help="one of " + ", ".join(NAMES))]) -> None:
    """Serve one service (API, in-process relay and consumers)."""
    import uvicorn

    from shared.bus.kafka import BrokerUnreachable
    from shared.db import UnsupportedDatabase

    import logging

    from shared.runtime import preflight, take_niceness

    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    settings = _settings(service)
    try:
        settings.common.check_production_safe()
        take_niceness(settings)
        asyncio.run(preflight(settings))
        application = app_factory(service)(settings)
        uvicorn.run(application, host=settings.host, port=settings.port, log_level="warning", access_log=False)
    except (BrokerUnreachable, UnsupportedDatabase, ValueError, OSError) as error:
        _fail(f"{service} cannot start: {str(error).splitlines()[0]}")


@app.command()
def relay(service: str) -> None:
    """Run only the outbox relay of one service (when it is deployed apart from the API)."""
    from shared.runtime import ServiceRuntime

    from shared import telemetry

    settings = _settings(service)
    metadata = metadata_for(service)
    common = settings.common
    telemetry.configure(f"{service}-relay", exporter=common.otel_exporter, endpoint=common.otel_endpoint,
                        level=common.log_level, json_logs=common.log_json)

    async def _run() -> None:
        runtime = ServiceRuntime(settings, metadata=metadata, replicate_credentials=False)
        await runtime.start(relay=True, consume=False)
        console.print(f"relay of {service} publishing from {settings.database_url}")
        try:
            await asyncio.gather(*runtime.tasks)
        finally:
            await runtime.stop()

    asyncio.run(_run())


@app.command()
def scheduler() -> None:
    """Run only the escalation timer scheduler (when it is deployed apart from the API)."""
    from services.escalation.app import work_periods
    from services.escalation.scheduler import run_scheduler
    from shared.db import Database, make_engine

    settings = _settings("escalation")
    metadata = metadata_for("escalation")

    async def _run() -> None:
        db = Database(make_engine(settings.database_url, schema=settings.database_schema), metadata,
                      service="escalation", district=settings.common.district_code,
                      topic_prefix=settings.common.topic_prefix)
        console.print(f"escalation scheduler firing timers from {settings.database_url}")
        try:
            await run_scheduler(db, periods=work_periods(settings), interval=settings.scheduler_interval,
                                batch=settings.scheduler_batch)
        finally:
            await db.dispose()

    asyncio.run(_run())


@app.command()
def migrate(service: str) -> None:
    """Bring one service's database schema to the newest revision."""
    from shared.db import Database, make_engine
    from shared.migrations import migrate as run_migrations

    settings = _settings(service)
    metadata = metadata_for(service)

    async def _run() -> None:
        db = Database(make_engine(settings.database_url, schema=settings.database_schema), metadata, service=service,
                      district=settings.common.district_code)
        await run_migrations(db, service=service)
        await db.dispose()

    asyncio.run(_run())
    console.print(f"{service}: schema up to date")


@app.command("make-migration")
def make_migration(service: str, message: Annotated[str, typer.Option("-m", help="what changed")]) -> None:
    """Developers: write a new Alembic revision for the difference between the models and the newest revision."""
    import tempfile

    from shared.migrations import autogenerate

    metadata = metadata_for(service)
    with tempfile.TemporaryDirectory() as tmp:
        autogenerate(f"sqlite:///{tmp}/scratch.db", service=service, metadata=metadata, message=message)
    console.print(f"{service}: new revision written under services/{service}/migrations/versions/")


@outbox_app.command("redrive")
def outbox_redrive(
    service: Annotated[list[str], typer.Option(help="service(s) whose outbox to republish; default all")] = [],  # noqa: B006
    since: Annotated[str, typer.Option(help="ISO 8601 time; events created since then are published again")] = "",
) -> None:
    """Publish again every outbox event since a time (after the broker lost its data)."""
    from shared.bus.relay import redrive
    from shared.db import Database, make_engine

    if not since:
        _fail("--since is required, e.g. --since 2026-11-25T08:00:00+08:00")
    try:
        moment = datetime.fromisoformat(since)
    except ValueError:
        _fail(f"--since '{since}' is not an ISO 8601 time")
    if moment.tzinfo is None:
        _fail("--since needs a UTC offset, e.g. +08:00")

    async def _run(name: str) -> int:
        settings = _settings(name)
        metadata = metadata_for(name)
        db = Database(make_engine(settings.database_url, schema=settings.database_schema), metadata, service=name, district=settings.common.district_code)
        try:
            return await redrive(db, since=moment)
        finally:
            await db.dispose()

    for name in service or list(NAMES):
        count = asyncio.run(_run(name))
        console.print(f"{name}: {count} events marked for republishing (the running relay sends them)")


@app.command()
def run(
    demo: Annotated[bool, typer.Option(help="seed district 330903 and write var/demo-credentials.json")] = True,
    broker_port: Annotated[int, typer.Option(help="port of the embedded broker")] = 9092,
    var_dir: Annotated[Path, typer.Option(help="where databases, logs and demo credentials go")] = Path("var"),
) -> None:
    """Start the embedded broker and all five services (Ctrl-C stops everything)."""
    from gridgov.supervisor import Supervisor

    import signal

    def _interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _interrupt)
    var_dir.mkdir(parents=True, exist_ok=True)
    supervisor = Supervisor(console, var_dir=var_dir)
    env = {"GRIDGOV_LOG_JSON": os.environ.get("GRIDGOV_LOG_JSON", "false")}
    try:
        env["GRIDGOV_BROKER_URL"] = supervisor.start_broker(broker_port)
        for name in NAMES:
            env[f"GRIDGOV_{name.upper()}_DATABASE_URL"] = os.environ.get(
                f"GRIDGOV_{name.upper()}_DATABASE_URL", f"sqlite+aiosqlite:///{var_dir}/{name}.db")
            supervisor.start_service(name, env)
        supervisor.wait_healthy()
        if demo:
            from gridgov.demo import seed_demo

            seed_demo(console, var_dir=var_dir, env=env, tickets=120)
        _print_urls()
        supervisor.watch()
    except KeyboardInterrupt:
        console.print("stopping…")
    except (TimeoutError, RuntimeError) as error:
        console.print(f"[red]error:[/] {error}")
        supervisor.stop()
        raise typer.Exit(code=1) from None
    finally:
        supervisor.stop()


def _print_urls() -> None:
    console.print("\n[bold]gridgov is up[/]")
    for name in NAMES:
        port = settings_for(name).port
        console.print(f"  {name:<11} http://127.0.0.1:{port}/docs")
    console.print(f"  dashboard   http://127.0.0.1:{settings_for('analytics').port}/  (operators: var/demo-credentials.json)\n")


@app.command()
def seed(
    district: Annotated[str, typer.Option(help="district code")] = "330903",
    grids: Annotated[int, typer.Option(help="synthetic grid count for a large district (0 = realistic demo)")] = 0,
    var_dir: Annotated[Path, typer.Option()] = Path("var"),
) -> None:
    """Seed the registry (divisions, grids, units, people) and demo credentials."""
    from gridgov.demo import seed_demo

    seed_demo(console, var_dir=var_dir, env=dict(os.environ), district=district, grids=grids)


@app.command("import")
def import_command(
    kind: Annotated[str, typer.Argument(help="people | places")],
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV (UTF-8 or GBK) or XLSX")],
    scope: Annotated[str, typer.Option(help="jurisdiction the rows must lie in")] = "",
) -> None:
    """Import people or places into the registry; bad rows are reported with their reason, good rows kept."""
    from datetime import UTC

    from services.registry.handlers.people import PiiKeys
    from services.registry.importer import import_file
    from shared.db import Database, make_engine
    from shared.migrations import migrate as run_migrations

    if kind not in ("people", "places"):
        _fail("kind must be 'people' or 'places'")
    settings = _settings("registry")
    common = settings.common

    async def _run():  # noqa: ANN202
        db = Database(make_engine(settings.database_url, schema=settings.database_schema), metadata_for("registry"),
                      service="registry", district=common.district_code, topic_prefix=common.topic_prefix)
        await run_migrations(db, service="registry")
        try:
            return await import_file(db, path, kind=kind, scope=scope or common.district_code,
                                     keys=PiiKeys.from_secret(common.secret_key, common.pii_key), now=datetime.now(UTC))
        finally:
            await db.dispose()

    report = asyncio.run(_run())
    console.print(f"{len(report.accepted)} of {report.total} rows imported, {len(report.errors)} refused")
    for error in report.errors[:50]:
        console.print(f"  row {error.row}: {error.reason} ({error.error})", highlight=False)
    if report.errors:
        raise typer.Exit(code=1)


@app.command()
def tail(
    jurisdiction: Annotated[str, typer.Option(help="code prefix to follow, e.g. 330903001")],
    url: Annotated[str, typer.Option(help="analytics base URL")] = "http://127.0.0.1:8005",
    api_key: Annotated[str, typer.Option(envvar="GRIDGOV_API_KEY", help="API key (or operator token)")] = "",
) -> None:
    """Print the live ticket stream of a jurisdiction (Server-Sent Events from analytics)."""
    from gridgov.tail import follow

    follow(console=Console(), url=url, jurisdiction=jurisdiction, api_key=api_key)


@app.command("new-district")
def new_district_command(
    code: Annotated[str, typer.Argument(help="six-digit GB/T 2260 county code")],
    name: Annotated[str, typer.Option("--name", help="Chinese name, e.g. 岳麓区")],
    root: Annotated[Path, typer.Option(help="repository root")] = Path("."),
) -> None:
    """Generate a Kubernetes overlay and a compose profile for a new district."""
    from gridgov.new_district import new_district

    for path in new_district(code, name, root=root):
        console.print(f"wrote {path}")


@app.command()
def bench(
    target: Annotated[str, typer.Argument(help="bus | geocode | intake | routing | timers | analytics | pipeline | chaos")],
    quick: Annotated[bool, typer.Option(help="smaller run for a smoke check")] = False,
) -> None:
    """Run a benchmark; prints figures and writes JSON under bench/results/."""
    from gridgov.bench import run_bench

    run_bench(target, quick=quick, console=Console())


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
