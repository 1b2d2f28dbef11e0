"""Where a ticket's problem is: its grid (if known) and the divisions above it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.routing.domain.explain import Explanation
from services.routing.domain.replica import Grid, Replica
from shared.codes import LENGTH_BY_LEVEL, InvalidCode, level_of, truncate
from shared.events.ticket import TicketReceived


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """What routing needs of a ticket; kept for re-routing after returns and escalations."""

    ticket_id: str
    category: str
    jurisdiction: str
    occurred_at: datetime
    severity: str = "一般"
    grid_code: str | None = None
    entry_level: str = "grid"
    channel: str = "rest"
    component_code: str | None = None

    @classmethod
    def from_received(cls, event: TicketReceived) -> TicketFacts:
        return cls(
            ticket_id=event.ticket_id, category=event.category, jurisdiction=event.jurisdiction,
            occurred_at=event.occurred_at, severity=event.severity, grid_code=event.grid_code,
            entry_level=event.entry_level, channel=event.channel, component_code=event.component_code,
        )


@dataclass(frozen=True, slots=True)
class Place:
    district: str
    street: str | None = None
    community: str | None = None
    grid_code: str | None = None
    grid: Grid | None = None

    def division_at(self, level: str) -> str | None:
        return {"district": self.district, "street": self.street, "community": self.community}.get(level)

    @property
    def most_precise(self) -> str:
        return self.grid_code or self.community or self.street or self.district

    @property
    def grid_kind(self) -> str | None:
        return self.grid.kind if self.grid is not None else None


def _known_code(code: str | None) -> str | None:
    if not code:
        return None
    try:
        level_of(code)
    except InvalidCode:
        return None
    return code if len(code) >= LENGTH_BY_LEVEL["district"] else None


def locate(ticket: TicketFacts, replica: Replica, *, district: str, explanation: Explanation) -> Place:
    """The ticket's place from its grid code, else the most precise division code it carries."""
    code = _known_code(ticket.grid_code) or _known_code(ticket.jurisdiction) or district
    grid_code = truncate(code, "grid") if len(code) >= LENGTH_BY_LEVEL["grid"] else None
    place = Place(
        district=truncate(code, "district"),
        street=truncate(code, "street") if len(code) >= LENGTH_BY_LEVEL["street"] else None,
        community=truncate(code, "community") if len(code) >= LENGTH_BY_LEVEL["community"] else None,
        grid_code=grid_code,
        grid=replica.grid(grid_code) if grid_code else None,
    )
    _explain_place(place, explanation)
    return place


def _explain_place(place: Place, explanation: Explanation) -> None:
    if place.grid is not None:
        grid = place.grid
        explanation.add(
            "place", True, level="grid", unit_code=None,
            en=f"located in grid {grid.code} ({grid.kind}, class {grid.grid_class})",
            zh=f"问题位于网格 {grid.code}（{grid.name}，{grid.kind}，{grid.grid_class}类）",
        )
    elif place.grid_code is not None:
        explanation.add(
            "place", True, level="grid",
            en=f"grid {place.grid_code} is not in the registry replica; treated as a comprehensive class-C grid",
            zh=f"网格 {place.grid_code} 不在登记副本中，按综合网格C类处理",
        )
    else:
        explanation.add(
            "place", True, level=None,
            en=f"no grid known; the place is known down to {place.most_precise}",
            zh=f"未定位到网格，问题位置精确到 {place.most_precise}",
        )
