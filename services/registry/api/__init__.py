"""The registry's HTTP API: tree, grids, units, people, places, geocoding, snapshots and reports."""

from __future__ import annotations

from fastapi import APIRouter

from shared.problems import register_domain_error
from services.registry.api import geocode, imports, people, reports, tree
from services.registry.domain import errors

_STATUS: list[tuple[type[Exception], int, str]] = [
    (errors.RegistryError, 422, "invalid-registry-record"),
    (errors.InvalidDivisionCode, 422, "invalid-division-code"),
    (errors.UnknownParentCode, 422, "unknown-parent-code"),
    (errors.DuplicateCode, 409, "duplicate-code"),
    (errors.DuplicateRecord, 409, "duplicate-record"),
    (errors.UnknownCode, 404, "unknown-code"),
    (errors.InvalidPolygon, 422, "invalid-polygon"),
    (errors.OverlappingGrids, 409, "overlapping-grids"),
    (errors.InvalidGrid, 422, "invalid-grid"),
    (errors.InvalidIdNumber, 422, "invalid-id-number"),
    (errors.InvalidCreditCode, 422, "invalid-credit-code"),
    (errors.InvalidComponentCode, 422, "invalid-component-code"),
    (errors.InvalidRecord, 422, "invalid-record"),
    (errors.GridHasRecords, 409, "grid-has-records"),
]
for _error, _status, _kind in _STATUS:
    register_domain_error(_error, status=_status, kind=_kind)

router = APIRouter(prefix="/api/v1")
for _module in (tree, people, geocode, reports, imports):
    router.include_router(_module.router)
