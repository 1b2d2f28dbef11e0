"""The routing benchmark runs and reports its figures (speed is read from `gridgov bench routing`, not asserted)."""

from __future__ import annotations

from services.routing.bench import run_consumer_bench, run_routing_bench


def test_bench_reports_decisions_per_second_and_p99() -> None:
    figures = run_routing_bench(decisions=2000)
    assert figures["decisions"] == 2000
    assert figures["decisions_per_second"] > 0 and 0 < figures["p50_ms"] <= figures["p99_ms"] <= figures["max_ms"]


async def test_consumer_bench_routes_every_ticket_it_sends() -> None:
    figures = await run_consumer_bench(count=200)
    assert figures["tickets"] == 200 and figures["routing_consumer_per_s"] > 0 and figures["raw_consume_per_s"] > 0
