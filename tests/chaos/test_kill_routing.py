"""Chaos: kill -9 of routing under load, on SQLite, with the whole system as separate processes."""

from __future__ import annotations

import pytest
from rich.console import Console

from gridgov.benches import chaos

pytestmark = pytest.mark.slow


async def test_kill_9_of_routing_under_load_neither_loses_nor_doubles_a_ticket() -> None:
    [row] = await chaos.run_scenarios(Console(quiet=True), backend="sqlite", names=("kill-routing",), tickets=300)

    tickets = row["accepted_201"] + row["accepted_not_acknowledged"]
    assert row["accepted_201"] >= 290, row["http"]  # routing down does not stop intake from accepting
    assert row["lost"] == 0 and row["doubled"] == 0, row
    assert row["routed_once"] == tickets == row["intake_listed"]
    assert row["decided_once"] == tickets and row["clocks_once"] == tickets == row["intake_assigned"]
    # Analytics' growth is read over a time window that can also catch the routability probe ticket posted just
    # before the load (a window race seen once in CI: 301 for 300); loss and doubling are asserted exactly above.
    assert tickets <= row["analytics_received"] <= tickets + 1
    assert row["dlq_records"] == 0, row["dlq_consumers"]
