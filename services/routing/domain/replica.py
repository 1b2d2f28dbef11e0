"""Routing's read-only view of the registry: divisions, grids and handling units, as plain data."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from services.routing.domain.catalog import FUNCTION_NAME, split_unit_code, unit_code


@dataclass(frozen=True, slots=True)
class Division:
    code: str
    name: str
    level: str
    parent_code: str | None = None
    community_class: str | None = None


@dataclass(frozen=True, slots=True)
class Grid:
    code: str
    name: str
    kind: str = "comprehensive"
    grid_class: str = "C"
    community_code: str = ""


@dataclass(frozen=True, slots=True)
class Unit:
    code: str
    name: str
    level: str
    division_code: str
    function: str
    kind: str = ""
    active: bool = True


@dataclass(frozen=True)
class Replica:
    """Divisions, grids and units by code; built by the store from registry events."""

    divisions: Mapping[str, Division] = field(default_factory=dict)
    grids: Mapping[str, Grid] = field(default_factory=dict)
    units: Mapping[str, Unit] = field(default_factory=dict)

    @classmethod
    def of(
        cls, *, divisions: Iterable[Division] = (), grids: Iterable[Grid] = (), units: Iterable[Unit] = ()
    ) -> Replica:
        return cls(
            divisions={d.code: d for d in divisions},
            grids={g.code: g for g in grids},
            units={u.code: u for u in units},
        )

    def unit_for(self, division_code: str, function: str) -> Unit | None:
        """The active unit with ``function`` at ``division_code``, or None."""
        unit = self.units.get(unit_code(division_code, function))
        return unit if unit is not None and unit.active else None

    def grid(self, code: str) -> Grid | None:
        return self.grids.get(code)

    def functions(self) -> set[str]:
        """Function keys that at least one active unit carries."""
        return {unit.function for unit in self.units.values() if unit.active}


def unit_function(code: str, function: str = "") -> str:
    """A unit's function key: the registry's field when it is a known key, else the code's suffix."""
    return function if function in FUNCTION_NAME else split_unit_code(code)[1]
