"""`gridgov bench <target>`: run a benchmark, print figures, write JSON under bench/results/."""

from __future__ import annotations

import asyncio
import importlib
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

RESULTS = Path("bench/results")
TARGETS = {
    "bus": "gridgov.benches.bus",
    "geocode": "services.registry.bench",
    "intake": "gridgov.benches.intake",
    "routing": "services.routing.bench",
    "timers": "services.escalation.bench",
    "analytics": "services.analytics.bench",
    "pipeline": "gridgov.benches.pipeline",
    "chaos": "gridgov.benches.chaos",
}


def run_bench(target: str, *, quick: bool, console: Console) -> dict[str, Any]:
    if target not in TARGETS:
        raise SystemExit(f"unknown bench '{target}'; choose one of {', '.join(TARGETS)}")
    try:
        module = importlib.import_module(TARGETS[target])
    except ModuleNotFoundError as error:
        raise SystemExit(f"bench '{target}' is not available yet ({error.name} missing)") from None
    console.print(f"[bold]gridgov bench {target}[/] {'(quick)' if quick else ''}")
    result = module.run(quick=quick, console=console)
    if asyncio.iscoroutine(result):
        result = asyncio.run(result)
    result = {"target": target, "when": datetime.now(UTC).isoformat(), "machine": _machine(), "quick": quick, **result}
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{target}.json"
    path.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    _print(console, result)
    from gridgov.benches.report import update_document

    update_document()
    console.print(f"written {path} and docs/performance.md")
    return result


def _machine() -> dict[str, Any]:
    import os

    return {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()}


def _print(console: Console, result: dict[str, Any]) -> None:
    table = Table(title=f"bench {result['target']}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in _flatten(result.get("figures", {})):
        table.add_row(key, f"{value:,.2f}" if isinstance(value, float) else str(value))
    console.print(table)


def _flatten(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    for key, value in data.items():
        if isinstance(value, dict):
            rows += _flatten(value, f"{prefix}{key}.")
        else:
            rows.append((f"{prefix}{key}", value))
    return rows
