"""Bulk imports: people and places from CSV/XLSX, grids from GeoJSON; each answers a per-row/feature report."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, UploadFile

from services.registry import importer
from services.registry.deps import CallerDep, DatabaseDep, GeocodersDep, PiiKeysDep
from services.registry.handlers import tree as handlers

router = APIRouter(tags=["imports"])
MAX_UPLOAD = 20 * 1024 * 1024


async def _rows(upload: UploadFile) -> list[dict[str, str]]:
    content = await upload.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        raise importer.UnreadableFile("files over 20 MB must be split")
    return importer.read_table(content, filename=upload.filename or "upload.csv")


async def _import(kind: Literal["people", "places"], upload: UploadFile, *, caller: CallerDep, db: DatabaseDep,
                  keys: PiiKeysDep) -> dict[str, Any]:
    caller.require_role("admin", "system", "grid_worker")
    report = await importer.import_rows(db, await _rows(upload), kind=kind, scope=caller.scope,
                                        now=datetime.now(UTC), keys=keys)
    return {"total": report.total, "accepted": len(report.accepted), "ids": report.accepted,
            "errors": [asdict(error) for error in report.errors]}


@router.post("/people/import")
async def import_people(file: UploadFile, caller: CallerDep, db: DatabaseDep, keys: PiiKeysDep) -> dict[str, Any]:
    """Import people from CSV/XLSX; bad rows are reported with their row number and reason."""
    return await _import("people", file, caller=caller, db=db, keys=keys)


@router.post("/places/import")
async def import_places(file: UploadFile, caller: CallerDep, db: DatabaseDep, keys: PiiKeysDep) -> dict[str, Any]:
    """Import buildings, components, key places and organisations from CSV/XLSX (column ``kind``)."""
    return await _import("places", file, caller=caller, db=db, keys=keys)


@router.post("/grids/import")
async def import_grid_features(caller: CallerDep, db: DatabaseDep, geocoders: GeocodersDep,
                               collection: Annotated[dict[str, Any], Body()], replace: bool = False) -> dict[str, Any]:
    """Import grids from a GeoJSON FeatureCollection; each rejected feature is reported with its reason."""
    caller.require_role("admin", "system")
    async with db.uow() as uow:
        saved, errors = await handlers.import_grid_collection(uow, collection, scope=caller.scope, replace=replace,
                                                              now=datetime.now(UTC))
        await uow.commit()
    geocoders.invalidate()
    return {"accepted": saved, "errors": [asdict(error) for error in errors]}
