"""`gridgov bench chaos` with some scenarios keeps the other scenarios' rows of the last run."""

from __future__ import annotations

from pathlib import Path

from gridgov.benches.chaos import merge_rows, write_document


def row(scenario: str, lost: int = 0) -> dict:
    routed = 3000 - lost
    return {"scenario": scenario, "fault": "-", "posted": 3000, "http": {"201": 3000}, "accepted_201": 3000,
            "intake_listed": 3000, "accepted_not_acknowledged": 0, "routed_once": routed, "doubled": 0, "lost": lost,
            "lost_not_on_kafka": 0, "merged": 0, "intake_assigned": routed, "decided_once": routed,
            "decided_twice": 0, "undecided": lost, "clocks_once": routed, "clocks_doubled": 0,
            "clocks_missing": lost, "analytics_received": 3000, "analytics_equal": True, "drain_s": 1.0,
            "dlq_records": 0, "dlq_consumers": [], "unreadable_on_broker": {}}


def test_a_subset_run_replaces_its_rows_and_keeps_the_others_in_order() -> None:
    previous = {"backend": "postgres", "tickets_per_scenario": 3000,
                "scenarios": [row("steady"), row("poison"), row("broker-restart", lost=326)]}
    merged = merge_rows(previous, [row("broker-restart")], backend="postgres", tickets=3000)
    assert [r["scenario"] for r in merged] == ["steady", "poison", "broker-restart"]
    assert merged[2]["lost"] == 0


def test_a_previous_run_on_another_database_or_load_is_not_mixed_in() -> None:
    previous = {"backend": "sqlite", "tickets_per_scenario": 3000, "scenarios": [row("steady")]}
    assert [r["scenario"] for r in merge_rows(previous, [row("poison")], backend="postgres", tickets=3000)] == [
        "poison"]
    previous = {"backend": "postgres", "tickets_per_scenario": 1000, "scenarios": [row("steady")]}
    assert len(merge_rows(previous, [row("poison")], backend="postgres", tickets=3000)) == 1
    assert len(merge_rows(None, [row("poison")], backend="postgres", tickets=3000)) == 1


def test_the_document_says_which_scenarios_were_re_run(tmp_path: Path) -> None:
    path = tmp_path / "reliability.md"
    write_document([row("steady"), row("broker-restart")], backend="postgres", quick=False,
                   rerun=("broker-restart",), path=path)
    text = path.read_text(encoding="utf-8")
    assert "scenarios broker-restart re-run on" in text
    assert "| steady |" in text and "| broker-restart |" in text
