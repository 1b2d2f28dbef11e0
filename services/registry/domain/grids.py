"""Grids: kind, class A/B/C, lon/lat polygon (or vessels for sea grids), grid workers and the 1+4+X team."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, get_args

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from services.registry.domain.errors import (
    InvalidDivisionCode,
    InvalidGrid,
    InvalidPolygon,
    UnknownParentCode,
)
from services.registry.domain.tree import JurisdictionTree
from shared.events.registry import GridKind, GridUpserted

GridClass = Literal["A", "B", "C"]
Employment = Literal["full_time", "part_time"]
TeamRole = Literal["leader", "supervisor", "manager", "information", "security", "volunteer"]

GRID_KINDS: tuple[str, ...] = get_args(GridKind)
KIND_NAMES_ZH = {
    "comprehensive": "综合网格", "park": "园区专属网格", "market": "市场专属网格", "school": "校园专属网格",
    "migrant_housing": "流动人口集中居住区专属网格", "commercial_building": "商务楼宇专属网格", "sea": "海上网格",
}
EMPLOYMENT_NAMES_ZH = {"full_time": "专职", "part_time": "兼职"}
# "1+4+X": one grid leader, four officers, any number of volunteers.
CORE_ROLES: tuple[TeamRole, ...] = ("leader", "supervisor", "manager", "information", "security")
ROLE_NAMES_ZH = {
    "leader": "网格长", "supervisor": "网格指导员", "manager": "专管员", "information": "信息员",
    "security": "治安员", "volunteer": "志愿者",
}


@dataclass(frozen=True, slots=True)
class TeamMember:
    role: TeamRole
    name: str
    phone: str = ""


@dataclass(frozen=True, slots=True)
class GridWorker:
    id: str
    name: str
    phone: str
    employment: Employment
    district_code: str


@dataclass(frozen=True, slots=True)
class Grid:
    code: str
    name: str
    kind: GridKind
    grid_class: GridClass
    polygon: dict[str, Any] | None = None
    vessel_ids: tuple[str, ...] = ()
    worker_ids: tuple[str, ...] = ()
    team: tuple[TeamMember, ...] = field(default_factory=tuple)

    @property
    def community_code(self) -> str:
        return self.code[:12]

    @property
    def is_area(self) -> bool:
        return self.kind != "sea"

    def has_full_team(self) -> bool:
        return set(CORE_ROLES) <= {member.role for member in self.team}


def to_shape(polygon: dict[str, Any]) -> BaseGeometry:
    """A valid shapely (Multi)Polygon from GeoJSON in lon/lat, or :class:`InvalidPolygon` saying why not."""
    if not isinstance(polygon, dict) or polygon.get("type") not in ("Polygon", "MultiPolygon"):
        raise InvalidPolygon("a grid boundary must be a GeoJSON Polygon or MultiPolygon")
    try:
        geometry = shape(polygon)
    except (ValueError, TypeError, IndexError, AttributeError, shapely.errors.GEOSException) as error:
        raise InvalidPolygon(f"malformed GeoJSON coordinates: {error}") from None
    if geometry.is_empty:
        raise InvalidPolygon("polygon is empty")
    if not geometry.is_valid:
        raise InvalidPolygon(f"polygon is not valid: {shapely.is_valid_reason(geometry)}")
    if geometry.area <= 0:
        raise InvalidPolygon("polygon has no area")
    minx, miny, maxx, maxy = geometry.bounds
    if not (-180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90):
        raise InvalidPolygon("coordinates must be lon/lat (WGS 84 / CGCS2000 degrees)")
    return geometry


def check_grid(grid: Grid, tree: JurisdictionTree) -> Grid:
    """Raise a named error when the code, parent, kind, class, polygon or vessels break a rule."""
    if not (grid.code.isdigit() and len(grid.code) in (15, 18)):
        raise InvalidDivisionCode(f"'{grid.code}' is not a grid (15 digits) or micro-grid (18 digits) code")
    if grid.community_code not in tree:
        raise UnknownParentCode(f"community '{grid.community_code}' of grid '{grid.code}' is not in the registry")
    if grid.kind not in GRID_KINDS:
        raise InvalidGrid(f"unknown grid kind '{grid.kind}'")
    if grid.grid_class not in ("A", "B", "C"):
        raise InvalidGrid(f"unknown grid class '{grid.grid_class}'")
    if not grid.name.strip():
        raise InvalidGrid(f"grid '{grid.code}' has no name")
    if grid.is_area:
        if grid.polygon is None:
            raise InvalidPolygon(f"area grid '{grid.code}' needs a polygon")
        to_shape(grid.polygon)
    elif not grid.vessel_ids:
        raise InvalidGrid(f"sea grid '{grid.code}' needs at least one vessel")
    return grid


def rectangle(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    """A GeoJSON Polygon for a lon/lat box, counter-clockwise as RFC 7946 asks."""
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def grid_upserted(grid: Grid, *, now: datetime) -> GridUpserted:
    return GridUpserted(
        occurred_at=now, jurisdiction=grid.code, code=grid.code, name=grid.name, kind=grid.kind,
        grid_class=grid.grid_class, community_code=grid.community_code, polygon=grid.polygon,
        vessel_ids=list(grid.vessel_ids), worker_count=len(grid.worker_ids),
    )
