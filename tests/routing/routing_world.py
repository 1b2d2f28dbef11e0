"""A small district (330903 普陀区) for routing's pure tests: taxonomy items, registry replica, rule versions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from services.routing.domain.catalog import DISTRICT_FUNCTIONS, FUNCTION_NAME, STREET_FUNCTIONS
from services.routing.domain.place import TicketFacts
from services.routing.domain.plan import RoutingContext
from services.routing.domain.replica import Division, Grid, Replica, Unit
from services.routing.domain.rules import RuleVersion, standard_overrides

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=CST)

ROADSIDE_VENDING = "01010101"  # 占道经营
NEIGHBOUR_DISPUTE = "02010101"  # 邻里纠纷
GAS_LEAK = "03010101"  # 燃气泄漏
MANHOLE_COVER = "04010101"  # 井盖缺失 (component)
ILLEGAL_FISHING = "05010101"  # 非法捕捞

GRID = "330903001001001"  # comprehensive, class B
GRID_A = "330903001001002"  # class A
SEA_GRID = "330903001002001"
PARK_GRID = "330903002001001"


@dataclass(frozen=True)
class FakeLimit:
    amount: float
    unit: str


@dataclass(frozen=True)
class FakeItem:
    code: str
    name: str
    kind: str
    level: str
    authority: dict[str, str]
    sign_off: FakeLimit = field(default_factory=lambda: FakeLimit(2.0, "working_hours"))


ITEMS: dict[str, FakeItem] = {
    item.code: item
    for item in (
        FakeItem(ROADSIDE_VENDING, "占道经营", "event", "street", {"street": "enforcement", "district": "urban_management"}),
        FakeItem(NEIGHBOUR_DISPUTE, "邻里纠纷", "event", "community",
                 {"community": "community", "street": "governance", "district": "civil_affairs"}),
        FakeItem(GAS_LEAK, "燃气泄漏", "event", "street", {"street": "governance", "district": "emergency"},
                 FakeLimit(0.5, "hours")),
        FakeItem(MANHOLE_COVER, "井盖缺失", "component", "street",
                 {"street": "enforcement", "district": "urban_management"}),
        FakeItem(ILLEGAL_FISHING, "非法捕捞", "event", "district", {"district": "fisheries"}),
    )
}

STREETS = ("330903001", "330903002")
COMMUNITIES = ("330903001001", "330903001002", "330903002001")


def _units() -> list[Unit]:
    units = [Unit(f"{c}-community", "社区两委", "community", c, "community") for c in COMMUNITIES]
    units += [Unit(f"{s}-{f}", name, "street", s, f) for s in STREETS for f, name in STREET_FUNCTIONS.items()
              if f != "park_office"]
    units.append(Unit("330903002-park_office", "园区管委会", "street", "330903002", "park_office"))
    units += [Unit(f"330903-{f}", name, "district", "330903", f) for f, name in DISTRICT_FUNCTIONS.items()
              if f in ("emergency", "urban_management", "civil_affairs", "fisheries", "maritime", "water", "center")]
    return units


REPLICA = Replica.of(
    divisions=[Division("330903", "普陀区", "district"),
               *(Division(s, f"街道{s[-1]}", "street", "330903") for s in STREETS),
               *(Division(c, f"社区{c[-3:]}", "community", c[:9], "B") for c in COMMUNITIES)],
    grids=[Grid(GRID, "一网格", "comprehensive", "B", GRID[:12]), Grid(GRID_A, "重点网格", "comprehensive", "A", GRID_A[:12]),
           Grid(SEA_GRID, "海上网格", "sea", "C", SEA_GRID[:12]), Grid(PARK_GRID, "园区网格", "park", "B", PARK_GRID[:12])],
    units=_units(),
)

V1 = RuleVersion(version="2026.1", district="330903", effective_from=datetime(2026, 1, 1, tzinfo=CST),
                 owners={MANHOLE_COVER: "water"}, overrides=standard_overrides())


def natural_hours(start: datetime, amount: float, unit: str) -> datetime:
    return start + timedelta(hours=amount)


def context(version: RuleVersion = V1, replica: Replica = REPLICA) -> RoutingContext:
    return RoutingContext(version=version, items=ITEMS, replica=replica, deadline=natural_hours)


def ticket(category: str, grid: str | None = GRID, **fields: object) -> TicketFacts:
    base: dict[str, object] = {"ticket_id": "330903-20261124-000001", "category": category,
                               "jurisdiction": grid or "330903", "occurred_at": NOW, "grid_code": grid}
    return TicketFacts(**{**base, **fields})  # type: ignore[arg-type]


def unit_name(code: str) -> str:
    return REPLICA.units[code].name if code in REPLICA.units else FUNCTION_NAME[code.split("-")[1]]
