"""`gridgov seed`: write the demo district (or a synthetic large one) into the registry's database."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlmodel import SQLModel

from shared.db import Database, UnitOfWork
from shared.events.registry import RegistryEvent
from shared.settings import CommonSettings
from services.registry import store
from services.registry.domain.grids import Grid, grid_upserted
from services.registry.domain.seed import SeedData, putuo_district
from services.registry.domain.synthetic import synthetic_district
from services.registry.domain.tree import Division, JurisdictionTree, division_upserted
from services.registry.domain.units import standard_units, unit_upserted
from services.registry.handlers.people import PLACE_KINDS, PiiKeys, person_row

BATCH = 5_000


async def seed_district(db: Database, *, district: str = "330903", grids: int = 0, now: datetime,
                        console: Any = None, keys: PiiKeys | None = None) -> dict[str, Any]:
    """Seed once: the Putuo-like demo (``grids=0``, district 330903) or ``grids`` synthetic grids."""
    async with db.uow() as uow:
        await store.claim_writer(uow)
        existing = (await uow.session.execute(select(func.count()).select_from(store.GridRow))).scalar() or 0
        if existing:
            _say(console, f"registry already holds {existing} grids; not seeding again")
            return {"streets": await _streets(uow, district), "grids": existing, "seeded": False}
        if grids or district != "330903":
            counts = await _seed_synthetic(uow, district=district, grids=grids or 300, now=now)
        else:
            common = CommonSettings()
            keys = keys or PiiKeys.from_secret(common.secret_key, common.pii_key)
            counts = await _seed_demo(uow, putuo_district(now=now), now=now, keys=keys)
        streets = await _streets(uow, district)
        await uow.commit()
    _say(console, "seeded registry: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return {"streets": streets, "seeded": True, **counts}


def _say(console: Any, message: str) -> None:
    if console is not None:
        console.print(message)


async def _streets(uow: UnitOfWork, district: str) -> list[str]:
    rows = await store.under(uow, store.DivisionRow, column="code", prefix=district)
    return [row.code for row in rows if row.level == "street"]


async def _bulk(uow: UnitOfWork, model: type[SQLModel], rows: Sequence[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        await uow.session.execute(insert(model), list(rows[start:start + BATCH]))


def _publish(uow: UnitOfWork, events: Iterable[RegistryEvent]) -> None:
    for event in events:
        uow.publish(event, key=getattr(event, "code"))


def division_rows(divisions: Iterable[Division], *, now: datetime,
                  boundaries: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return [{"code": d.code, "name": d.name, "kind": d.kind, "level": d.level, "parent_code": d.parent_code,
             "community_class": d.community_class, "boundary": (boundaries or {}).get(d.code), "updated_at": now}
            for d in divisions]


def grid_rows(grids: Iterable[Grid], *, now: datetime) -> list[dict[str, Any]]:
    return [{"code": g.code, "name": g.name, "kind": g.kind, "grid_class": g.grid_class,
             "community_code": g.community_code, "polygon": g.polygon, "vessel_ids": list(g.vessel_ids),
             "worker_ids": list(g.worker_ids), "team": [asdict(m) for m in g.team], "updated_at": now}
            for g in grids]


async def _seed_tree(uow: UnitOfWork, divisions: list[Division], grids: list[Grid], *, now: datetime,
                     boundaries: dict[str, Any] | None = None, units: list[Any] | None = None) -> None:
    divisions = [d for d in divisions if d.level != "city"]
    await _bulk(uow, store.DivisionRow, division_rows(divisions, now=now, boundaries=boundaries))
    await _bulk(uow, store.GridRow, grid_rows(grids, now=now))
    unit_list = units or []
    await _bulk(uow, store.UnitRow, [{**asdict(u), "updated_at": now} for u in unit_list])
    _publish(uow, (division_upserted(d, now=now) for d in divisions))
    _publish(uow, (grid_upserted(g, now=now) for g in grids))
    _publish(uow, (unit_upserted(u, now=now) for u in unit_list))


async def _seed_demo(uow: UnitOfWork, data: SeedData, *, now: datetime, keys: PiiKeys) -> dict[str, int]:
    await _seed_tree(uow, data.divisions, data.grids, now=now, boundaries=data.boundaries, units=data.units)
    await _bulk(uow, store.WorkerRow, [asdict(w) for w in data.workers])
    await _bulk(uow, store.PersonRow, [person_row(p, keys=keys, now=now).model_dump() for p in data.persons])
    places = [*data.buildings, *data.organisations, *data.components, *data.key_places]
    await _bulk(uow, store.PlaceRow, [_place_row(place, now=now) for place in places])
    return {"divisions": len(data.divisions) - 1, "grids": len(data.grids), "units": len(data.units),
            "workers": len(data.workers), "people": len(data.persons), "places": len(places)}


def _place_row(place: Any, *, now: datetime) -> dict[str, Any]:
    fields = asdict(place)
    key = fields.pop("code", None) or fields.pop("id")
    fields.pop("id", None)
    return {"id": key, "kind": PLACE_KINDS[type(place)], "grid_code": fields.pop("grid_code"),
            "name": fields.pop("name"), "data": fields, "updated_at": now}


async def _seed_synthetic(uow: UnitOfWork, *, district: str, grids: int, now: datetime) -> dict[str, int]:
    data = synthetic_district(grids, district=district)
    tree = JurisdictionTree(data.divisions)
    units = [unit for division in data.divisions for unit in standard_units(tree, division)]
    await _seed_tree(uow, data.divisions, data.grids, now=now, units=units)
    return {"divisions": len(data.divisions), "grids": len(data.grids), "units": len(units)}
