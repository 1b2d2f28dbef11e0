"""A deterministic Putuo-like demo district (普陀区 330903): tree, grids, units, workers, people and places.

Polygons are rectangles: streets on a 3×3 layout between lon 122.10–122.48 and lat 29.70–29.98, each street
split into one vertical strip per community, each community tiled by a rows×2 block of grids.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from stdnum.cn import ric

from services.registry.domain import seed_names as names
from services.registry.domain.grids import CORE_ROLES, Employment, Grid, GridWorker, TeamMember, rectangle
from services.registry.domain.people import Organisation, Person
from services.registry.domain.places import Building, Component, KeyPlace
from services.registry.domain.tree import Division, JurisdictionTree
from services.registry.domain.units import Unit, make_unit, standard_units

WEST, SOUTH = 122.10, 29.70
STREET_STEP, STREET_WIDTH = (0.13, 0.10), (0.12, 0.09)
GRIDS_PER_CLASS = {"A": 10, "B": 8, "C": 6}
# The centre of grid 330903001001001 (滨港社区 first grid): used by the README tour.
DEMO_POINT = (122.10375, 29.70900)
DEMO_GRID = "330903001001001"
NO_WORKER_GRID = "330903103202003"
OVERLOADED_GRIDS = ("330903103201001", "330903103201002", "330903103201003")
INCOMPLETE_TEAM_GRID = "330903001001002"


@dataclass(slots=True)
class SeedData:
    divisions: list[Division] = field(default_factory=list)
    grids: list[Grid] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)
    workers: list[GridWorker] = field(default_factory=list)
    persons: list[Person] = field(default_factory=list)
    buildings: list[Building] = field(default_factory=list)
    organisations: list[Organisation] = field(default_factory=list)
    components: list[Component] = field(default_factory=list)
    key_places: list[KeyPlace] = field(default_factory=list)
    boundaries: dict[str, dict[str, Any]] = field(default_factory=dict)

    def tree(self) -> JurisdictionTree:
        return JurisdictionTree(self.divisions)


class NameMaker:
    """Chinese names, mobile numbers and valid resident ID numbers from a seeded RNG."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def person(self) -> str:
        given = "".join(self.rng.choice(names.GIVEN) for _ in range(self.rng.choice((1, 2))))
        return self.rng.choice(names.SURNAMES) + given

    def phone(self) -> str:
        return self.rng.choice(names.MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def id_number(self, region: str) -> str:
        birth = f"{self.rng.randint(*names.BIRTH_YEARS)}{self.rng.randint(1, 12):02d}{self.rng.randint(1, 28):02d}"
        body = f"{region}{birth}{self.rng.randrange(1000):03d}"
        return body + ric.calc_check_digit(body + "0")


def _community_boxes() -> list[tuple[str, str, str, str, tuple[float, float, float, float]]]:
    boxes = []
    for index, (street, _, _, communities) in enumerate(names.STREETS):
        west = WEST + (index % 3) * STREET_STEP[0]
        south = SOUTH + (index // 3) * STREET_STEP[1]
        width = STREET_WIDTH[0] / len(communities)
        for position, (suffix, name, grid_class) in enumerate(communities):
            box = (west + position * width, south, west + (position + 1) * width, south + STREET_WIDTH[1])
            boxes.append((f"{names.DISTRICT[0]}{street}{suffix}", name, grid_class, suffix, box))
    return boxes


def _divisions() -> list[Division]:
    district_code, district_name = names.DISTRICT
    divisions = [Division(names.CITY[0], names.CITY[1], "city"), Division(district_code, district_name, "district")]
    for street, name, kind, communities in names.STREETS:
        divisions.append(Division(district_code + street, name, kind))  # type: ignore[arg-type]
        for suffix, community_name, grid_class in communities:
            kind_ = "village" if suffix.startswith("2") else "community"
            divisions.append(Division(f"{district_code}{street}{suffix}", community_name, kind_, grid_class))  # type: ignore[arg-type]
    return divisions


def _area_grids(code: str, name: str, *, grid_class: str, box: tuple[float, float, float, float]) -> list[Grid]:
    count = GRIDS_PER_CLASS[grid_class]
    rows, (west, south, east, north) = count // 2, box
    width, height = (east - west) / 2, (north - south) / rows
    grids = []
    for sequence in range(count):
        row, col = divmod(sequence, 2)
        grid_code = f"{code}{sequence + 1:03d}"
        kind, grid_name, cls = names.DEDICATED.get(grid_code, ("comprehensive", f"{name}第{sequence + 1}网格", "C"))
        if kind == "comprehensive":
            cls = grid_class if sequence < 2 else ("B" if grid_class == "A" else "C")
        polygon = rectangle(
            round(west + col * width, 6), round(south + row * height, 6),
            round(west + (col + 1) * width, 6), round(south + (row + 1) * height, 6),
        )
        grids.append(Grid(grid_code, grid_name, kind, cls, polygon))  # type: ignore[arg-type]
    return grids


def _sea_grids(rng: random.Random) -> list[Grid]:
    grids = []
    for code, name in names.SEA_GRIDS:
        vessels = tuple(f"浙普渔{rng.randrange(10000, 99999)}" for _ in range(rng.randint(5, 12)))
        grids.append(Grid(code, name, "sea", "B", None, vessels))
    return grids


def _units(tree: JurisdictionTree) -> list[Unit]:
    units: list[Unit] = []
    for division in tree.under(names.DISTRICT[0]):
        units.extend(standard_units(tree, division))
    units.append(make_unit(tree, names.PARK_STREET, function="park_office", name="六横小郭巨园区管委会"))
    return [replace(unit, contact=f"0580-3{i:06d}") for i, unit in enumerate(units, start=1)]


def _staff(grids: list[Grid], rng: random.Random) -> tuple[list[Grid], list[GridWorker]]:
    maker, workers, staffed = NameMaker(rng), [], []
    overloaded = GridWorker("GW-OVERLOAD", maker.person(), maker.phone(), "part_time", names.DISTRICT[0])
    workers.append(overloaded)
    for grid in grids:
        team = [TeamMember(role, maker.person(), maker.phone()) for role in CORE_ROLES]
        team += [TeamMember("volunteer", maker.person()) for _ in range(rng.randint(1, 3))]
        if grid.code == INCOMPLETE_TEAM_GRID:
            team = [m for m in team if m.role != "security"]
        worker_ids: tuple[str, ...] = ()
        if grid.code in OVERLOADED_GRIDS:
            worker_ids = (overloaded.id,)
        elif grid.code != NO_WORKER_GRID:
            employment: Employment = "part_time" if grid.code[9] == "2" else "full_time"
            worker = GridWorker(f"GW-{grid.code}", maker.person(), maker.phone(), employment, names.DISTRICT[0])
            workers.append(worker)
            worker_ids = (worker.id,)
        staffed.append(Grid(grid.code, grid.name, grid.kind, grid.grid_class, grid.polygon, grid.vessel_ids,
                            worker_ids, tuple(team)))
    return staffed, workers


def putuo_district(*, now: datetime) -> SeedData:
    """The demo district; the same ``now`` always gives the same data."""
    from services.registry.domain.seed_people import populate

    rng = random.Random(330903)
    data = SeedData(divisions=_divisions())
    tree = data.tree()
    grids: list[Grid] = []
    for code, name, grid_class, _, box in _community_boxes():
        data.boundaries[code] = rectangle(*(round(v, 6) for v in box))
        grids.extend(_area_grids(code, name, grid_class=grid_class, box=box))
    grids.extend(_sea_grids(rng))
    data.grids, data.workers = _staff(grids, rng)
    data.units = _units(tree)
    populate(data, rng=rng, now=now)
    return data
