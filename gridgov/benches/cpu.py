"""CPU time of the system's processes, to report what each costs per ticket (Linux /proc; empty elsewhere)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from pathlib import Path

_HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pids: Mapping[str, int]) -> dict[str, float]:
    """User + system CPU seconds used so far by each named process (absent when it cannot be read)."""
    used: dict[str, float] = {}
    for name, pid in pids.items():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        used[name] = (int(fields[11]) + int(fields[12])) / _HZ
    return used


class CpuMeter:
    """CPU per unit of work: the idle rate is measured first and taken off what the work window used."""

    def __init__(self, pids: Mapping[str, int]) -> None:
        self.pids = dict(pids)
        self.idle: dict[str, float] = {}

    async def measure_idle(self, seconds: float = 3.0) -> None:
        before = cpu_seconds(self.pids)
        await asyncio.sleep(seconds)
        after = cpu_seconds(self.pids)
        self.idle = {name: (after[name] - before[name]) / seconds for name in after if name in before}

    def start(self) -> tuple[float, dict[str, float]]:
        return asyncio.get_running_loop().time(), cpu_seconds(self.pids)

    async def settle(self, *, quiet_cores: float = 0.05, timeout: float = 60.0) -> float:
        """Wait until the processes are back near their idle rate (consumers off the critical path included);
        returns how long that took, in seconds (about a second when nothing was left to do)."""
        loop = asyncio.get_running_loop()
        began = loop.time()
        deadline, previous = began + timeout, cpu_seconds(self.pids)
        while loop.time() < deadline:
            await asyncio.sleep(1.0)
            current = cpu_seconds(self.pids)
            busy = sum(current[n] - previous.get(n, current[n]) for n in current)
            if busy < sum(self.idle.values()) + quiet_cores:
                break
            previous = current
        return loop.time() - began

    def per_unit(self, started: tuple[float, dict[str, float]], units: int) -> dict[str, float]:
        """Milliseconds of CPU per unit of work for each process, idle use removed, plus their total."""
        at, before = started
        elapsed, after = asyncio.get_running_loop().time() - at, cpu_seconds(self.pids)
        costs = {name: round(max(0.0, after[name] - before[name] - self.idle.get(name, 0.0) * elapsed)
                             * 1000 / max(units, 1), 3)
                 for name in after if name in before}
        return {**costs, "total": round(sum(costs.values()), 3)}
