"""What-if: replay past tickets under a draft authority list and compare with the version in force."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from services.routing.domain.place import TicketFacts
from services.routing.domain.plan import RoutingContext
from services.routing.domain.router import route_ticket

# Assessment: share resolved at or below community level (小事不出村).
LOW_LEVELS = ("grid", "community")


@dataclass
class _Tally:
    levels: Counter[str] = field(default_factory=Counter)
    unroutable: int = 0

    def share_low(self, total: int) -> float:
        return round(sum(self.levels[level] for level in LOW_LEVELS) / total, 4) if total else 0.0


def simulate(tickets: Iterable[TicketFacts], *, current: RoutingContext, draft: RoutingContext) -> dict[str, Any]:
    """How many assignments change, from whom to whom, and the level distribution before and after."""
    before, after = _Tally(), _Tally()
    moves: Counter[tuple[str, str]] = Counter()
    total = 0
    for ticket in tickets:
        total += 1
        old = route_ticket(ticket, current, now=ticket.occurred_at)
        new = route_ticket(ticket, draft, now=ticket.occurred_at)
        for tally, event in ((before, old), (after, new)):
            tally.levels[event.assignment.level] += 1
            tally.unroutable += event.reason == "unroutable"
        if old.assignment.unit_code != new.assignment.unit_code:
            moves[(old.assignment.unit_code, new.assignment.unit_code)] += 1
    return {
        "current_version": current.version.version,
        "draft_version": draft.version.version,
        "total": total,
        "changed": sum(moves.values()),
        "changes": [{"from": a, "to": b, "count": n} for (a, b), n in sorted(moves.items(), key=lambda m: (-m[1], m[0]))],
        "levels_before": dict(before.levels),
        "levels_after": dict(after.levels),
        "community_share_before": before.share_low(total),
        "community_share_after": after.share_low(total),
        "unroutable_before": before.unroutable,
        "unroutable_after": after.unroutable,
    }
