"""The explanation carried by every routing decision: each rule considered, taken or skipped, and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Explanation:
    """Steps appended in the order the router considered them."""

    steps: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self, rule: str, taken: bool, *, en: str, zh: str, level: str | None = None, unit_code: str | None = None
    ) -> None:
        self.steps.append({
            "step": len(self.steps) + 1,
            "rule": rule,
            "taken": taken,
            "why_en": en,
            "why_zh": zh,
            "level": level,
            "unit_code": unit_code,
        })

    def extend(self, other: Explanation) -> None:
        for step in other.steps:
            self.steps.append({**step, "step": len(self.steps) + 1})

    def as_list(self) -> list[dict[str, Any]]:
        return [dict(step) for step in self.steps]


def bilingual(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same steps with Chinese keys beside the English ones, for operators."""
    return [
        {
            **step,
            "步骤": step.get("step"),
            "规则": step.get("rule"),
            "是否采用": step.get("taken"),
            "原因": step.get("why_zh"),
            "层级": step.get("level"),
            "单位": step.get("unit_code"),
        }
        for step in steps
    ]
