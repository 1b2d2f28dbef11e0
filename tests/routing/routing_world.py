"""A small district (330903 普陀区) for routing's pure tests: the real taxonomy, a registry replica, rule versions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from services.routing.domain.catalog import DISTRICT_FUNCTIONS, STREET_FUNCTIONS
from services.routing.domain.place import TicketFacts
from services.routing.domain.plan import RoutingContext
from services.routing.domain.replica import Division, Grid, Replica, Unit
from services.routing.domain.rules import RuleVersion, default_version
from shared.taxonomy import load_taxonomy

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=CST)

TAXONOMY = load_taxonomy()
ITEMS = TAXONOMY.items
CODE = {item.name: code for code, item in ITEMS.items()}

ROADSIDE_VENDING = CODE["占道经营"]
NEIGHBOUR_DISPUTE = CODE["邻里纠纷"]
GAS_LEAK = CODE["燃气泄漏"]
MANHOLE_COVER = CODE["上水井盖"]  # a component owned by the district water bureau
ILLEGAL_FISHING = CODE["非法捕捞"]
FISHING_DISPUTE = CODE["渔事纠纷"]
MAN_OVERBOARD = CODE["船员落水"]

GRID = "330903001001001"  # comprehensive, class B
GRID_A = "330903001001002"  # class A
SEA_GRID = "330903001002001"
PARK_GRID = "330903002001001"
STREETS = ("330903001", "330903002")
COMMUNITIES = ("330903001001", "330903001002", "330903002001")


def _units() -> list[Unit]:
    units = [Unit(f"{c}-community", "社区两委", "community", c, "community") for c in COMMUNITIES]
    units += [Unit(f"{s}-{f}", name, "street", s, f) for s in STREETS for f, name in STREET_FUNCTIONS.items()
              if f != "park_office"]
    units.append(Unit("330903002-park_office", "园区管委会", "street", "330903002", "park_office"))
    units += [Unit(f"330903-{f}", name, "district", "330903", f) for f, name in DISTRICT_FUNCTIONS.items()]
    return units


REPLICA = Replica.of(
    divisions=[Division("330903", "普陀区", "district"),
               *(Division(s, f"街道{s[-1]}", "street", "330903") for s in STREETS),
               *(Division(c, f"社区{c[-3:]}", "community", c[:9], "B") for c in COMMUNITIES)],
    grids=[Grid(GRID, "一网格", "comprehensive", "B", GRID[:12]), Grid(GRID_A, "重点网格", "comprehensive", "A", GRID_A[:12]),
           Grid(SEA_GRID, "海上网格", "sea", "C", SEA_GRID[:12]), Grid(PARK_GRID, "园区网格", "park", "B", PARK_GRID[:12])],
    units=_units(),
)

V1 = default_version("330903", ITEMS, effective_from=datetime(2026, 1, 1, tzinfo=CST), version="2026.1")


def natural_hours(start: datetime, amount: float, unit: str) -> datetime:
    return start + timedelta(hours=amount)


def context(version: RuleVersion = V1, replica: Replica = REPLICA) -> RoutingContext:
    return RoutingContext(version=version, items=ITEMS, replica=replica, deadline=natural_hours)


def ticket(category: str, grid: str | None = GRID, **fields: object) -> TicketFacts:
    base: dict[str, object] = {"ticket_id": "330903-20261124-000001", "category": category,
                               "jurisdiction": grid or "330903", "occurred_at": NOW, "grid_code": grid}
    return TicketFacts(**{**base, **fields})  # type: ignore[arg-type]


def without(function: str) -> Replica:
    """The replica with every unit of ``function`` removed."""
    return Replica.of(divisions=REPLICA.divisions.values(), grids=REPLICA.grids.values(),
                      units=[u for u in REPLICA.units.values() if u.function != function])
