"""Lookups other services use: point/vessel → grid with its chain, and paginated snapshots for replicas."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from services.registry.deps import CallerDep, DatabaseDep, GeocodersDep, Principal
from services.registry.domain.geocoder import OUTSIDE, Geocoder
from services.registry.handlers.reports import snapshot_page

router = APIRouter(tags=["lookups"])
MAX_POINTS = 10_000


class LonLat(BaseModel):
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


class Vessel(BaseModel):
    vessel_id: str = Field(min_length=1, max_length=40)


class GeocodeRequest(BaseModel):
    points: list[LonLat | Vessel] = Field(max_length=MAX_POINTS)


def _json(body: Any) -> Response:
    return Response(orjson.dumps(body), media_type="application/json")


def geocode_all(geocoder: Geocoder, points: list[LonLat | Vessel]) -> list[dict[str, Any]]:
    """Results in request order: coordinates in one vectorised query, vessels by membership."""
    coords = [(i, p.lon, p.lat) for i, p in enumerate(points) if isinstance(p, LonLat)]
    results: list[dict[str, Any]] = [{}] * len(points)
    located = geocoder.locate_many([(lon, lat) for _, lon, lat in coords]) if coords else []
    for (index, _, _), location in zip(coords, located, strict=True):
        results[index] = location.as_dict()
    for index, point in enumerate(points):
        if isinstance(point, Vessel):
            results[index] = geocoder.locate_vessel(point.vessel_id).as_dict()
    return results


def within_scope(caller: Principal, result: dict[str, Any]) -> dict[str, Any]:
    """A grid outside the caller's jurisdiction is answered as outside every grid (existence is not disclosed)."""
    return result if not result.get("inside") or caller.can_see(result.get("grid_code")) else OUTSIDE.as_dict()


@router.post("/geocode")
async def geocode_batch(body: GeocodeRequest, caller: CallerDep, db: DatabaseDep, geocoders: GeocodersDep) -> Response:
    """Points or vessel ids → grid code and chain; a point outside every grid answers inside=false."""
    geocoder = await geocoders.get(db)
    return _json({"results": [within_scope(caller, result) for result in geocode_all(geocoder, body.points)]})


@router.get("/geocode")
async def geocode_one(caller: CallerDep, db: DatabaseDep, geocoders: GeocodersDep,
                      lon: Annotated[float, Query(ge=-180, le=180)], lat: Annotated[float, Query(ge=-90, le=90)],
                      ) -> Response:
    """One point → one result object."""
    geocoder = await geocoders.get(db)
    return _json(within_scope(caller, geocoder.locate(lon, lat).as_dict()))


@router.get("/snapshot/{kind}")
async def snapshot(kind: Literal["divisions", "grids", "units"], caller: CallerDep, db: DatabaseDep,
                   cursor: str | None = None, limit: Annotated[int, Query(ge=1, le=5000)] = 1000) -> Response:
    """A page of the registry for replicas, shaped like the *Upserted events, with the outbox position."""
    async with db.uow() as uow:
        items, next_cursor, position = await snapshot_page(uow, kind, prefix=caller.scope, after=cursor, limit=limit)
    return _json({"items": items, "next_cursor": next_cursor, "position": position})
