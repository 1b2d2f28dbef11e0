"""The escalation ladder of one district: notices, reminder (催办), supervision (督办), escalation.

Shaped like PagerDuty/Opsgenie escalation rules: each rule has a condition (a share of the limit has
run, or the deadline passed some delay ago), an action, a target and an optional repeat. A ladder is
uploaded as JSON and checked as a whole: every problem is reported, not only the first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from services.escalation.domain.policy import CLOCK_KINDS, Unit
from shared.events.ticket import ClockKind

Action = Literal["notice", "remind", "supervise", "escalate"]
Target = Literal["assignee", "parent"]
MAX_REPEATS = 10
_ACTIONS: tuple[str, ...] = get_args(Action)
_TARGETS: tuple[str, ...] = get_args(Target)
_UNITS: tuple[str, ...] = get_args(Unit)
_STEP_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_")


class InvalidLadder(ValueError):
    """An uploaded ladder with problems; ``problems`` lists every one of them."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Delay:
    amount: float
    unit: Unit


@dataclass(frozen=True)
class Rule:
    """``percent`` of the limit has run (1–100), or ``after_due`` has passed since the deadline."""

    step: str
    action: Action
    target: Target = "assignee"
    percent: int | None = None
    after_due: Delay | None = None
    clocks: tuple[ClockKind, ...] = CLOCK_KINDS
    repeat_every: Delay | None = None
    repeat_times: int = 0


@dataclass(frozen=True)
class Ladder:
    rules: tuple[Rule, ...]
    version: int = 1

    def for_clock(self, kind: ClockKind) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if kind in rule.clocks)


def default_ladder(*, supervise_after: Delay = Delay(4, "working_hours"),
                   escalate_after: Delay = Delay(1, "working_days")) -> Ladder:
    """Notices at 50 % and 75 %, 催办 at 100 %, 督办 after a grace, then escalation of handling."""
    return Ladder((
        Rule("notice-50", "notice", percent=50),
        Rule("notice-75", "notice", percent=75),
        Rule("remind", "remind", percent=100),
        Rule("supervise", "supervise", target="parent", after_due=supervise_after),
        Rule("escalate", "escalate", target="parent", after_due=escalate_after, clocks=("handling",)),
    ))


def parse_ladder(data: Mapping[str, Any], *, version: int = 1) -> Ladder:
    """Build a ladder from its JSON form, or raise ``InvalidLadder`` listing every problem."""
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise InvalidLadder(["rules: a non-empty list of rules is required"])
    problems: list[str] = []
    rules = [_parse_rule(raw, f"rules[{i}]", problems=problems) for i, raw in enumerate(raw_rules)]
    steps = [rule.step for rule in rules if rule is not None]
    problems += [f"rules: step '{step}' appears more than once" for step in sorted(set(steps)) if steps.count(step) > 1]
    if problems:
        raise InvalidLadder(problems)
    return Ladder(tuple(rule for rule in rules if rule is not None), version)


def ladder_to_dict(ladder: Ladder) -> dict[str, Any]:
    return {"version": ladder.version, "rules": [_rule_to_dict(rule) for rule in ladder.rules]}


def _parse_rule(raw: Any, path: str, *, problems: list[str]) -> Rule | None:
    if not isinstance(raw, Mapping):
        problems.append(f"{path}: must be an object")
        return None
    before = len(problems)
    unknown = set(raw) - {"step", "action", "target", "percent", "after_due", "clocks", "repeat_every", "repeat_times"}
    problems += [f"{path}.{key}: unknown field" for key in sorted(unknown)]
    step = _step(raw.get("step"), f"{path}.step", problems=problems)
    action = _choice(raw.get("action"), f"{path}.action", allowed=_ACTIONS, problems=problems)
    target = _choice(raw.get("target", "assignee"), f"{path}.target", allowed=_TARGETS, problems=problems)
    percent, after_due = _condition(raw, path, problems=problems)
    clocks = _clocks(raw.get("clocks", list(CLOCK_KINDS)), f"{path}.clocks", problems=problems)
    repeat_every, repeat_times = _repeat(raw, path, problems=problems)
    if len(problems) > before:
        return None
    return Rule(step, action, target, percent, after_due, clocks, repeat_every, repeat_times)  # type: ignore[arg-type]


def _condition(raw: Mapping[str, Any], path: str, *, problems: list[str]) -> tuple[int | None, Delay | None]:
    percent, after_due = raw.get("percent"), raw.get("after_due")
    if (percent is None) == (after_due is None):
        problems.append(f"{path}: give exactly one condition, 'percent' or 'after_due'")
        return None, None
    if percent is not None:
        if isinstance(percent, bool) or not isinstance(percent, int) or not 1 <= percent <= 100:
            problems.append(f"{path}.percent: must be a whole number from 1 to 100")
        return percent, None
    return None, _delay(after_due, f"{path}.after_due", problems=problems, allow_zero=True)


def _repeat(raw: Mapping[str, Any], path: str, *, problems: list[str]) -> tuple[Delay | None, int]:
    times, every = raw.get("repeat_times", 0), raw.get("repeat_every")
    if isinstance(times, bool) or not isinstance(times, int) or not 0 <= times <= MAX_REPEATS:
        problems.append(f"{path}.repeat_times: must be a whole number from 0 to {MAX_REPEATS}")
        return None, 0
    if times and every is None:
        problems.append(f"{path}.repeat_every: required when repeat_times > 0")
    if every is None:
        return None, times
    return _delay(every, f"{path}.repeat_every", problems=problems, allow_zero=False), times


def _delay(raw: Any, path: str, *, problems: list[str], allow_zero: bool) -> Delay | None:
    if not isinstance(raw, Mapping):
        problems.append(f"{path}: must be an object {{amount, unit}}")
        return None
    amount, unit = raw.get("amount"), raw.get("unit")
    if isinstance(amount, bool) or not isinstance(amount, int | float) or amount < 0 or (amount == 0 and not allow_zero):
        problems.append(f"{path}.amount: must be a number {'>= 0' if allow_zero else '> 0'}")
    if unit not in _UNITS:
        problems.append(f"{path}.unit: must be one of {', '.join(_UNITS)}")
    elif unit == "working_days" and isinstance(amount, int | float) and amount != int(amount):
        problems.append(f"{path}.amount: working_days must be a whole number")
    return Delay(float(amount), unit) if isinstance(amount, int | float) and unit in _UNITS else None


def _step(raw: Any, path: str, *, problems: list[str]) -> str:
    if not isinstance(raw, str) or not raw or not set(raw) <= _STEP_CHARS or len(raw) > 40:
        problems.append(f"{path}: must be 1–40 characters of a-z, 0-9, '-' or '_'")
        return ""
    return raw


def _choice(raw: Any, path: str, *, allowed: tuple[str, ...], problems: list[str]) -> str:
    if raw not in allowed:
        problems.append(f"{path}: must be one of {', '.join(allowed)}")
    return str(raw)


def _clocks(raw: Any, path: str, *, problems: list[str]) -> tuple[ClockKind, ...]:
    if not isinstance(raw, list) or not raw or any(kind not in CLOCK_KINDS for kind in raw):
        problems.append(f"{path}: must be a non-empty list of {', '.join(CLOCK_KINDS)}")
        return ()
    return tuple(raw)


def _rule_to_dict(rule: Rule) -> dict[str, Any]:
    out: dict[str, Any] = {"step": rule.step, "action": rule.action, "target": rule.target, "clocks": list(rule.clocks)}
    if rule.percent is not None:
        out["percent"] = rule.percent
    if rule.after_due is not None:
        out["after_due"] = {"amount": rule.after_due.amount, "unit": rule.after_due.unit}
    if rule.repeat_times:
        out["repeat_times"] = rule.repeat_times
        out["repeat_every"] = {"amount": rule.repeat_every.amount, "unit": rule.repeat_every.unit} if rule.repeat_every else None
    return out
