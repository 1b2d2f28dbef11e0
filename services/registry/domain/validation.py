"""Rules across grids: no overlaps inside a community, every community covered."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from services.registry.domain.errors import OverlappingGrids
from services.registry.domain.grids import Grid, to_shape
from services.registry.domain.tree import JurisdictionTree

# Areas below this (square degrees, ~1 m²) are rounding noise, not an overlap or a gap.
AREA_TOLERANCE = 1e-10


@dataclass(frozen=True, slots=True)
class Overlap:
    first: str
    second: str
    area: float


def _area_grids(grids: Iterable[Grid]) -> dict[str, list[Grid]]:
    by_community: dict[str, list[Grid]] = defaultdict(list)
    for grid in grids:
        if grid.is_area and grid.polygon is not None and len(grid.code) == 15:
            by_community[grid.community_code].append(grid)
    return by_community


def _overlaps_in(grids: list[Grid]) -> list[Overlap]:
    shapes = np.array([to_shape(grid.polygon) for grid in grids if grid.polygon is not None])
    left, right = shapely.STRtree(shapes).query(shapes, predicate="intersects")
    pairs = left < right
    left, right = left[pairs], right[pairs]
    areas = shapely.area(shapely.intersection(shapes[left], shapes[right]))
    return [
        Overlap(grids[a].code, grids[b].code, float(area))
        for a, b, area in zip(left, right, areas, strict=True) if area > AREA_TOLERANCE
    ]


def find_overlaps(grids: Iterable[Grid]) -> list[Overlap]:
    """Pairs of area grids of the same community whose interiors overlap (shared edges are fine)."""
    found: list[Overlap] = []
    for members in _area_grids(grids).values():
        if len(members) > 1:
            found.extend(_overlaps_in(members))
    return sorted(found, key=lambda o: (o.first, o.second))


def check_no_overlap(grid: Grid, existing: Iterable[Grid]) -> None:
    """Raise :class:`OverlappingGrids` when ``grid`` overlaps another grid of its community."""
    others = [g for g in existing if g.community_code == grid.community_code and g.code != grid.code]
    overlaps = [o for o in find_overlaps([grid, *others]) if grid.code in (o.first, o.second)]
    if overlaps:
        other = overlaps[0].second if overlaps[0].first == grid.code else overlaps[0].first
        raise OverlappingGrids(f"grid '{grid.code}' overlaps grid '{other}' of the same community")


def uncovered_communities(
    tree: JurisdictionTree, grids: Iterable[Grid], *, boundaries: Mapping[str, dict[str, Any]] | None = None,
) -> list[str]:
    """Communities without a grid, or (when a boundary is known) whose area grids leave part of it bare."""
    grids = list(grids)
    with_grid = {grid.community_code for grid in grids}
    area = _area_grids(grids)
    missing = []
    for community in tree.under("", level="community"):
        if community.code not in with_grid:
            missing.append(community.code)
            continue
        boundary = (boundaries or {}).get(community.code)
        if boundary is not None and _gap(to_shape(boundary), area.get(community.code, [])) > AREA_TOLERANCE:
            missing.append(community.code)
    return missing


def _gap(boundary: shapely.Geometry, grids: list[Grid]) -> float:
    union = shapely.union_all([to_shape(g.polygon) for g in grids if g.polygon is not None])
    return float(shapely.area(shapely.difference(boundary, union)))
