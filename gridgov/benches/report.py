"""Render bench/results/*.json into the figures section of docs/performance.md (between markers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from gridgov.bench import RESULTS, _flatten

DOC = Path("docs/performance.md")
START, END = "<!-- figures:start -->", "<!-- figures:end -->"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value)


def figures_markdown(results: Path = RESULTS) -> str:
    parts = ["Generated from `bench/results/*.json` by `gridgov bench <target>`; do not edit by hand.\n"]
    for path in sorted(results.glob("*.json")):
        data = orjson.loads(path.read_bytes())
        parts.append(f"### {data['target']}{' (quick)' if data.get('quick') else ''} — {data['when'][:19]}Z\n")
        parts.append("| measure | value |\n|---|---|")
        parts += [f"| {key} | {_fmt(value)} |" for key, value in _flatten(data.get("figures", {}))]
        if data.get("targets"):
            parts.append("\nTargets: " + ", ".join(f"{k} = {v}" for k, v in data["targets"].items()))
        if data.get("notes"):
            parts.append(f"\nNotes: {data['notes']}")
        parts.append("")
    return "\n".join(parts)


def update_document(doc: Path = DOC) -> None:
    text = doc.read_text(encoding="utf-8") if doc.exists() else f"# Performance\n\n{START}\n{END}\n"
    if START not in text:
        text += f"\n{START}\n{END}\n"
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    doc.write_text(f"{head}{START}\n{figures_markdown()}\n{END}{tail}", encoding="utf-8")
