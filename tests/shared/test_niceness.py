"""Services off the tickets' latency path take a lower CPU priority at start (GRIDGOV_<NAME>_NICENESS)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = """
import os, sys
from gridgov.services import settings_for
from shared.runtime import take_niceness
take_niceness(settings_for(sys.argv[1]))
print(os.getpriority(os.PRIO_PROCESS, 0))
"""


def _niceness_of(service: str, **env: str) -> int:
    clean = {k: v for k, v in os.environ.items() if not k.endswith("_NICENESS")}
    done = subprocess.run([sys.executable, "-c", PROBE, service], capture_output=True, text=True, timeout=60,
                          env={**clean, **env}, check=True)
    return int(done.stdout.strip())


@pytest.mark.parametrize(("service", "expected"), [("intake", 0), ("routing", 0), ("registry", 0),
                                                   ("escalation", 10), ("analytics", 10)])
def test_default_niceness_per_service(service: str, expected: int) -> None:
    assert _niceness_of(service) == max(expected, os.getpriority(os.PRIO_PROCESS, 0))


def test_niceness_is_a_setting_and_never_raises_priority() -> None:
    assert _niceness_of("analytics", GRIDGOV_ANALYTICS_NICENESS="3") == max(3, os.getpriority(os.PRIO_PROCESS, 0))
    assert _niceness_of("intake", GRIDGOV_INTAKE_NICENESS="5") == max(5, os.getpriority(os.PRIO_PROCESS, 0))
    # already nicer than asked: stays (lowering niceness would need privileges)
    nicer = subprocess.run(["nice", "-n", "15", sys.executable, "-c", PROBE, "analytics"], capture_output=True,
                           text=True, timeout=60, check=True)
    assert int(nicer.stdout.strip()) == max(15, os.getpriority(os.PRIO_PROCESS, 0))
