"""Time-limit policies (限时办结): per taxonomy item and priority, versioned so a ticket keeps its own."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from shared.events.ticket import ClockKind
from shared.taxonomy import model as taxonomy

Unit = taxonomy.LimitUnit
Priority = taxonomy.Priority
PRIORITIES: tuple[Priority, ...] = taxonomy.PRIORITIES
CLOCK_KINDS: tuple[ClockKind, ...] = ("sign_off", "handling", "verification")
WORKING_DAY_HOURS = 7.0
# How much of the item's own limit a ticket of another priority gets (the item's priority is 1.0).
PRIORITY_FACTOR: dict[Priority, float] = {"urgent": 0.25, "high": 0.5, "normal": 1.0, "low": 2.0}
_SEVERITY_PRIORITY: dict[str, Priority] = {"较大": "high", "重大": "urgent", "特别重大": "urgent"}


class Calendar(Protocol):
    """What the domain needs from ``shared.workcal.WorkCalendar``."""

    def add(self, start: datetime, amount: float, unit: str) -> datetime: ...

    def add_working_time(self, start: datetime, delta: timedelta) -> datetime: ...

    def working_time_between(self, a: datetime, b: datetime) -> timedelta: ...


class UnknownPolicy(LookupError):
    """No time limit is known for this category, or for this policy version."""


@dataclass(frozen=True)
class Limit:
    amount: float
    unit: Unit

    def scaled(self, factor: float) -> Limit:
        """This limit times ``factor``; working days that stop being whole become working hours."""
        amount = self.amount * factor
        if self.unit == "working_days" and amount != int(amount):
            return Limit(round(amount * WORKING_DAY_HOURS, 3), "working_hours")
        return Limit(round(amount, 3), self.unit)


@dataclass(frozen=True)
class Policy:
    category: str
    priority: Priority
    limits: Mapping[ClockKind, Limit]

    def limit(self, kind: ClockKind) -> Limit:
        return self.limits[kind]


FALLBACK_LIMITS: dict[ClockKind, Limit] = {
    "sign_off": Limit(2, "working_hours"), "handling": Limit(5, "working_days"), "verification": Limit(1, "working_days"),
}


@dataclass(frozen=True)
class PolicyBook:
    """One version of every category's limits; a ticket's clocks all read the version it started with."""

    version: str
    items: Mapping[str, Policy] = field(default_factory=dict)
    fallback: Policy | None = Policy("", "normal", FALLBACK_LIMITS)

    def for_ticket(self, category: str | None, severity: str) -> Policy:
        """The limits of a ticket of ``category``, at its priority raised by ``severity``."""
        base = self.items.get(category or "") or self.fallback
        if base is None:
            raise UnknownPolicy(f"no time limits for category '{category}' in policy version {self.version}")
        return self.policy(base.category, ticket_priority(base.priority, severity), base=base)

    def policy(self, category: str, priority: Priority, *, base: Policy | None = None) -> Policy:
        base = base or self.items.get(category)
        if base is None:
            raise UnknownPolicy(f"no time limits for category '{category}' in policy version {self.version}")
        if priority == base.priority:
            return base
        factor = PRIORITY_FACTOR[priority] / PRIORITY_FACTOR[base.priority]
        limits = {kind: limit.scaled(factor) for kind, limit in base.limits.items()}
        return Policy(category, priority, limits)


def book_from_items(items: Iterable[taxonomy.Item], *, version: str) -> PolicyBook:
    """A policy book holding each taxonomy item's own limits at its own priority."""
    policies = {
        item.code: Policy(
            item.code,
            item.priority,
            {kind: _limit(getattr(item, kind)) for kind in CLOCK_KINDS},
        )
        for item in items
    }
    return PolicyBook(version, policies)


def ticket_priority(base: Priority, severity: str) -> Priority:
    """A ticket's priority: its category's, raised by severity (一般/较大/重大/特别重大), never lowered."""
    raised = _SEVERITY_PRIORITY.get(severity, base)
    return min(base, raised, key=PRIORITIES.index)


def _limit(limit: taxonomy.Limit) -> Limit:
    return Limit(float(limit.amount), limit.unit)  # the taxonomy's loader admits only the units a Limit knows


class PolicyVersions:
    """The policy books by version, and which one new tickets get."""

    def __init__(self, books: Iterable[PolicyBook], *, current: str) -> None:
        self._books = {book.version: book for book in books}
        if current not in self._books:
            raise UnknownPolicy(f"current policy version {current} is not among the books")
        self.current = current

    def book(self, version: str | None = None) -> PolicyBook:
        try:
            return self._books[version or self.current]
        except KeyError:
            raise UnknownPolicy(f"unknown policy version {version}") from None
