"""A synthetic large district for benchmarks: ``grids`` square grids tiling lon 122.1–122.5, lat 29.7–30.0."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely

from services.registry.domain.grids import Grid, rectangle
from services.registry.domain.tree import Division

GRIDS_PER_COMMUNITY = 20
COMMUNITIES_PER_STREET = 50
BOUNDS = (122.1, 29.7, 122.5, 30.0)


@dataclass(slots=True)
class SyntheticDistrict:
    divisions: list[Division] = field(default_factory=list)
    grids: list[Grid] = field(default_factory=list)
    shapes: list[shapely.Geometry] = field(default_factory=list)

    def names(self) -> dict[str, str]:
        return {d.code: d.name for d in self.divisions} | {g.code: g.name for g in self.grids}


def grid_code(index: int, *, district: str) -> str:
    """The index-th synthetic grid: 20 per community, 50 communities per street."""
    community, grid = divmod(index, GRIDS_PER_COMMUNITY)
    street, community = divmod(community, COMMUNITIES_PER_STREET)
    return f"{district}{street + 1:03d}{community + 1:03d}{grid + 1:03d}"


def _divisions(codes: list[str], *, district: str) -> list[Division]:
    divisions = [Division(district, f"合成区{district}", "district")]
    seen: set[str] = set()
    for code in codes:
        for length, kind, label in ((9, "street", "街道"), (12, "community", "社区")):
            part = code[:length]
            if part not in seen:
                seen.add(part)
                divisions.append(Division(part, f"第{int(part[-3:])}{label}", kind))  # type: ignore[arg-type]
    return divisions


def synthetic_district(grids: int = 100_000, *, district: str = "330903") -> SyntheticDistrict:
    """Deterministic; row-major square tiles so no two grids overlap and every point inside hits one."""
    columns = math.ceil(math.sqrt(grids))
    rows = math.ceil(grids / columns)
    west, south, east, north = BOUNDS
    width, height = (east - west) / columns, (north - south) / rows
    index = np.arange(grids)
    x0 = west + (index % columns) * width
    y0 = south + (index // columns) * height
    shapes = shapely.box(x0, y0, x0 + width, y0 + height)
    codes = [grid_code(i, district=district) for i in range(grids)]
    result = SyntheticDistrict(divisions=_divisions(codes, district=district), shapes=list(shapes))
    result.grids = [
        Grid(code, f"网格{code[-6:]}", "comprehensive", "C", rectangle(a, b, a + width, b + height))
        for code, a, b in zip(codes, x0.tolist(), y0.tolist(), strict=True)
    ]
    return result
