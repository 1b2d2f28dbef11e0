"""The timers benchmark runs its phases end to end (speed is read from `gridgov bench timers`, not asserted)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from services.escalation import bench


async def test_bench_phases_fire_every_due_timer_and_report_lateness(tmp_path: Path) -> None:
    path = str(tmp_path / "timers.db")
    sqlite = bench.Backend("sqlite", f"sqlite+aiosqlite:///{path}", lambda *a: bench._sqlite_load(path, *a))
    figures: dict[str, Any] = await bench.bench_backend(sqlite, pending=2_000, wave=300)
    assert figures["burst"]["fired"] == 300 and figures["burst"]["fires_per_s"] > 0
    paced = figures["paced"]
    assert paced["fired"] == 300 and 0 <= paced["lateness_p50_s"] <= paced["lateness_p99_s"] <= paced["lateness_max_s"]
    assert figures["raw_claim"]["claimed"] == 300 and figures["raw_claim_in_subquery"]["claimed"] == 300
    assert 0 < figures["peak_rss_mib"] < 1024
