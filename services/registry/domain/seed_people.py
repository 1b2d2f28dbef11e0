"""People, buildings, organisations, components and key places of the demo district."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from stdnum.cn import uscc

from services.registry.domain import seed_names as names
from services.registry.domain.grids import Grid
from services.registry.domain.people import Organisation, Person, check_person
from services.registry.domain.places import Building, Component, KeyPlace
from services.registry.domain.seed import NameMaker, SeedData

STALE_RECORDS = 320
ANOMALY_LIVE = 5
ANOMALY_CAPACITY = 24


def _centre(grid: Grid) -> tuple[float, float]:
    ring = (grid.polygon or {"coordinates": [[[0.0, 0.0]]]})["coordinates"][0]
    lons, lats = [p[0] for p in ring[:-1]], [p[1] for p in ring[:-1]]
    return round(sum(lons) / len(lons), 6), round(sum(lats) / len(lats), 6)


def _person(maker: NameMaker, grid: Grid, *, kind: str, number: int, verified_at: datetime) -> Person:
    region = names.DISTRICT[0] if kind == "registered" else maker.rng.choice(names.MIGRANT_ORIGINS)
    id_number = maker.id_number(region) if kind != "foreign" else f"E{maker.rng.randrange(10**8):08d}"
    person = Person(
        id=f"P{number:07d}", name=maker.person(), id_number=id_number, kind=kind,  # type: ignore[arg-type]
        grid_code=grid.code, phone=maker.phone(), building_id=f"B-{grid.code}-1", verified_at=verified_at,
    )
    return check_person(person, now=verified_at)


def _residents(grid: Grid, maker: NameMaker, *, now: datetime, start: int) -> list[Person]:
    rng = maker.rng
    kinds = ["registered"] * rng.randint(5, 9) + ["floating"] * rng.randint(1, 4)
    if rng.random() < 0.05:
        kinds.append("foreign")
    if grid.code == names.ANOMALY_GRID:
        kinds = ["floating"] * (STALE_RECORDS + ANOMALY_LIVE)
    people = []
    for offset, kind in enumerate(kinds):
        stale = grid.code == names.ANOMALY_GRID and offset >= ANOMALY_LIVE
        days = rng.randint(400, 900) if stale else rng.randint(0, 60)
        people.append(_person(maker, grid, kind=kind, number=start + offset, verified_at=now - timedelta(days=days)))
    return people


def _buildings(grid: Grid, rng: random.Random) -> list[Building]:
    lon, lat = _centre(grid)
    if grid.code == names.ANOMALY_GRID:
        return [Building(f"B-{grid.code}-1", "塘头外来务工人员公寓", grid.code, "rental", ANOMALY_CAPACITY,
                         "东港街道塘头社区", lon, lat)]
    count = rng.randint(2, 4)
    uses = ["residential"] * (count - 1) + [rng.choice(["rental", "residential", "commercial"])]
    return [
        Building(f"B-{grid.code}-{i}", f"{grid.name.removesuffix('网格')}{i}{rng.choice(names.BUILDING_SUFFIXES)}",
                 grid.code, use, rng.randint(40, 160), grid.name, lon, lat)  # type: ignore[arg-type]
        for i, use in enumerate(uses, start=1)
    ]


def _credit_code(rng: random.Random, *, social: bool) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = ("51" if social else "91") + names.DISTRICT[0] + "".join(rng.choice(alphabet) for _ in range(9))
    return body + uscc.calc_check_digit(body)


def _organisations(area: list[Grid], rng: random.Random, maker: NameMaker) -> list[Organisation]:
    entries = [(n, "enterprise") for n in names.ENTERPRISE_NAMES]
    entries += [(n, "social_organisation") for n in names.SOCIAL_ORGANISATIONS]
    return [
        Organisation(f"O{i:05d}", name, _credit_code(rng, social=kind != "enterprise"), kind,  # type: ignore[arg-type]
                     (grid := rng.choice(area)).code, grid.name, maker.person())
        for i, (name, kind) in enumerate(entries, start=1)
    ]


def _components(area: list[Grid], rng: random.Random) -> list[Component]:
    found, sequence = [], 0
    for grid in area:
        lon, lat = _centre(grid)
        for major, minor, name, owner in rng.sample(names.COMPONENTS, 2):
            sequence += 1
            code = f"{names.DISTRICT[0]}{major}{minor}{sequence:06d}"
            found.append(Component(code, name, grid.code, f"{names.DISTRICT[0]}-{owner}", lon, lat))
    return found


def _key_places(by_code: dict[str, Grid]) -> list[KeyPlace]:
    return [
        KeyPlace(f"K{i:04d}", name, kind, code, risk, by_code[code].name, *_centre(by_code[code]))  # type: ignore[arg-type]
        for i, (code, kind, name, risk) in enumerate(names.KEY_PLACES, start=1)
    ]


def populate(data: SeedData, *, rng: random.Random, now: datetime) -> None:
    """Fill ``data`` with residents (incl. the Jianye-style stale grid), places, things and organisations."""
    maker = NameMaker(rng)
    area = [grid for grid in data.grids if grid.is_area]
    for grid in area:
        data.persons.extend(_residents(grid, maker, now=now, start=len(data.persons) + 1))
        data.buildings.extend(_buildings(grid, rng))
    data.organisations = _organisations(area, rng, maker)
    data.components = _components(area, rng)
    data.key_places = _key_places({grid.code: grid for grid in area})
