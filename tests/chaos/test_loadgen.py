"""The HTTP benches refuse to start their system when wrk, which they need minutes later, is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridgov.benches import loadgen


def test_require_wrk_names_the_make_target_when_wrk_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(RuntimeError, match="make bench-deps"):
        loadgen.require_wrk()


def test_require_wrk_passes_when_wrk_is_on_the_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "wrk"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    loadgen.require_wrk()
