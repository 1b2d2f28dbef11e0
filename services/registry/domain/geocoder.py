"""Point → grid (and vessel → sea grid) lookups on a shapely STRtree, single or vectorised."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

from services.registry.domain.grids import Grid, to_shape
from services.registry.domain.tree import chain

Chain = tuple[dict[str, str], ...]


@dataclass(frozen=True, slots=True)
class Location:
    grid_code: str | None
    chain: Chain = ()

    @property
    def inside(self) -> bool:
        return self.grid_code is not None

    def as_dict(self) -> dict[str, Any]:
        """The geocode result object of ARCHITECTURE.md."""
        if self.grid_code is None:
            return {"inside": False}
        return {"inside": True, "grid_code": self.grid_code, "chain": [dict(link) for link in self.chain]}


OUTSIDE = Location(None)


class Geocoder:
    """Area grids in an STRtree (sorted by code, so a point on a shared edge goes to the lower code)."""

    def __init__(
        self, codes: Sequence[str], shapes: Sequence[shapely.Geometry], *, names: Mapping[str, str],
        vessels: Mapping[str, str] | None = None,
    ) -> None:
        order = sorted(range(len(codes)), key=codes.__getitem__)
        self._codes = [codes[i] for i in order]
        self._shapes = np.array([shapes[i] for i in order], dtype=object)
        self._tree = shapely.STRtree(self._shapes)
        self._names = dict(names)
        self._vessels = dict(vessels or {})
        self._chains: dict[int, Chain] = {}

    @classmethod
    def from_grids(cls, grids: Iterable[Grid], *, names: Mapping[str, str]) -> Geocoder:
        """Index the area grids (not micro-grids) and the vessels of sea grids; ``names`` covers divisions."""
        codes, shapes, vessels, all_names = [], [], {}, dict(names)
        for grid in grids:
            all_names[grid.code] = grid.name
            for vessel in grid.vessel_ids:
                vessels[vessel.upper()] = grid.code
            if grid.is_area and grid.polygon is not None and len(grid.code) == 15:
                codes.append(grid.code)
                shapes.append(to_shape(grid.polygon))
        return cls(codes, shapes, names=all_names, vessels=vessels)

    def __len__(self) -> int:
        return len(self._codes)

    def _location(self, index: int) -> Location:
        found = self._chains.get(index)
        if found is None:
            found = self._chains[index] = tuple(chain(self._codes[index], self._names))
        return Location(self._codes[index], found)

    def grid_indices(self, lons: npt.ArrayLike, lats: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """The tree index of the grid under each point, -1 where none: the raw vectorised query."""
        xs, ys = np.atleast_1d(np.asarray(lons, dtype=float)), np.atleast_1d(np.asarray(lats, dtype=float))
        result = np.full(len(xs), -1, dtype=np.int64)
        if len(xs) == 0 or len(self._codes) == 0:
            return result
        inputs, hits = self._tree.query(shapely.points(xs, ys), predicate="intersects")
        order = np.lexsort((hits, inputs))
        inputs, hits = inputs[order], hits[order]
        first_inputs, first = np.unique(inputs, return_index=True)
        result[first_inputs] = hits[first]
        return result

    def locate(self, lon: float, lat: float) -> Location:
        return self.locate_many([(lon, lat)])[0]

    def locate_many(self, points: Sequence[tuple[float, float]] | npt.ArrayLike) -> list[Location]:
        """One :class:`Location` per (lon, lat), in input order; outside points give ``inside=False``."""
        coords = np.asarray(points, dtype=float).reshape(-1, 2)
        indices = self.grid_indices(coords[:, 0], coords[:, 1])
        return [OUTSIDE if index < 0 else self._location(int(index)) for index in indices.tolist()]

    def codes_many(self, lons: npt.ArrayLike, lats: npt.ArrayLike) -> list[str | None]:
        """Grid codes only (None outside), for bulk geocoding of imported rows."""
        return [self._codes[i] if i >= 0 else None for i in self.grid_indices(lons, lats).tolist()]

    def locate_vessel(self, vessel_id: str) -> Location:
        """The sea grid a fishing vessel belongs to (membership, not area)."""
        code = self._vessels.get(vessel_id.strip().upper())
        if code is None:
            return OUTSIDE
        return Location(code, tuple(chain(code, self._names)))
