"""The jurisdiction tree: city → district → street/town → community/village (grids hang below, see grids.py)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from services.registry.domain.errors import DuplicateCode, InvalidDivisionCode, UnknownCode, UnknownParentCode
from shared.codes import InvalidCode, level_of, parent_of
from shared.events.registry import DivisionUpserted

DivisionLevel = Literal["city", "district", "street", "community"]
DivisionKind = Literal["city", "district", "street", "town", "community", "village"]
CommunityClass = Literal["A", "B", "C"]

_KINDS_BY_LEVEL: dict[str, tuple[str, ...]] = {
    "city": ("city",), "district": ("district",), "street": ("street", "town"), "community": ("community", "village"),
}


@dataclass(frozen=True, slots=True)
class Division:
    code: str
    name: str
    kind: DivisionKind
    community_class: CommunityClass | None = None

    @property
    def level(self) -> DivisionLevel:
        level = level_of(self.code)
        if level not in _KINDS_BY_LEVEL:
            raise InvalidDivisionCode(f"'{self.code}' is a {level} code, not a division code")
        return level  # type: ignore[return-value]

    @property
    def parent_code(self) -> str | None:
        return parent_of(self.code)


def check_division(division: Division) -> Division:
    """Raise a named error when the code, kind and class do not fit together."""
    try:
        level = division.level
    except InvalidCode as error:
        raise InvalidDivisionCode(str(error)) from None
    if division.kind not in _KINDS_BY_LEVEL[level]:
        raise InvalidDivisionCode(f"'{division.code}' is a {level} code; kind '{division.kind}' does not fit")
    if not division.name.strip():
        raise InvalidDivisionCode(f"division '{division.code}' has no name")
    if division.community_class is not None and level != "community":
        raise InvalidDivisionCode("only communities/villages have a class")
    return division


class JurisdictionTree:
    """Divisions by code; a code's prefix is its ancestry, so the parent must exist before the child."""

    def __init__(self, divisions: Iterable[Division] = ()) -> None:
        self._divisions: dict[str, Division] = {}
        for division in sorted(divisions, key=lambda d: len(d.code)):
            self.add(division)

    def __contains__(self, code: object) -> bool:
        return code in self._divisions

    def __iter__(self) -> Iterator[Division]:
        return iter(self._divisions.values())

    def __len__(self) -> int:
        return len(self._divisions)

    def get(self, code: str) -> Division:
        try:
            return self._divisions[code]
        except KeyError:
            raise UnknownCode(f"division '{code}' is not in the registry") from None

    def add(self, division: Division) -> Division:
        if division.code in self._divisions:
            raise DuplicateCode(f"division '{division.code}' already exists")
        return self.put(division)

    def put(self, division: Division) -> Division:
        """Create or replace a division whose parent is known (roots are cities or districts)."""
        check_division(division)
        parent = division.parent_code
        if parent is not None and division.level != "district" and parent not in self._divisions:
            raise UnknownParentCode(f"parent '{parent}' of '{division.code}' is not in the registry")
        self._divisions[division.code] = division
        return division

    def children(self, code: str) -> list[Division]:
        return sorted((d for d in self._divisions.values() if d.parent_code == code), key=lambda d: d.code)

    def under(self, prefix: str, *, level: DivisionLevel | None = None) -> list[Division]:
        found = (d for d in self._divisions.values() if d.code.startswith(prefix))
        return sorted((d for d in found if level is None or d.level == level), key=lambda d: d.code)

    def names(self) -> dict[str, str]:
        return {code: division.name for code, division in self._divisions.items()}


def chain(code: str, names: dict[str, str], *, grid_name: str | None = None) -> list[dict[str, str]]:
    """[{level, code, name}] from the district down to ``code`` (the geocode contract of ARCHITECTURE.md)."""
    links = []
    for length, level in ((6, "district"), (9, "street"), (12, "community"), (15, "grid")):
        if len(code) < length:
            break
        part = code[:length]
        name = grid_name if length == 15 and grid_name is not None else names.get(part, "")
        links.append({"level": level, "code": part, "name": name})
    return links


def division_upserted(division: Division, *, now: datetime) -> DivisionUpserted:
    return DivisionUpserted(
        occurred_at=now, jurisdiction=division.code, code=division.code, name=division.name,
        level=division.level, parent_code=division.parent_code, community_class=division.community_class,
    )
