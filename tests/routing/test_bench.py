"""The routing benchmark runs and reports its figures (speed is read from `gridgov bench routing`, not asserted)."""

from __future__ import annotations

from services.routing.bench import run


def test_bench_reports_decisions_per_second_and_p99() -> None:
    figures = run(quick=True)["figures"]["in_process"]
    assert figures["decisions"] == 2000
    assert figures["decisions_per_second"] > 0 and 0 < figures["p50_ms"] <= figures["p99_ms"] <= figures["max_ms"]
