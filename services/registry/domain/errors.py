"""Named domain errors of the registry; ``shared/problems.py`` maps them to RFC 9457 responses."""

from __future__ import annotations


class RegistryError(ValueError):
    """Base of every registry rule violation (a 4xx, never a 5xx)."""


class InvalidDivisionCode(RegistryError):
    """A code whose length or digits do not fit the level it is used for."""


class UnknownParentCode(RegistryError, LookupError):
    """A division, grid or unit whose parent division is not in the tree."""


class DuplicateCode(RegistryError):
    """A code that is already taken by another division, grid or unit."""


class UnknownCode(RegistryError, LookupError):
    """A division, grid or unit code that is not in the registry."""


class InvalidPolygon(RegistryError):
    """A grid polygon that is not a valid GeoJSON Polygon/MultiPolygon in lon/lat."""


class OverlappingGrids(RegistryError):
    """Two area grids of the same community overlap."""


class UncoveredCommunity(RegistryError):
    """A community or village that no grid covers (fully)."""


class InvalidGrid(RegistryError):
    """A grid whose kind, class, vessels or team break a rule."""


class InvalidIdNumber(RegistryError):
    """A resident ID number (居民身份证号) with a bad format, date or checksum."""


class InvalidCreditCode(RegistryError):
    """A unified social credit code (统一社会信用代码) with a bad format or checksum."""


class InvalidComponentCode(RegistryError):
    """A city component (部件) code that is not 16 digits under the district."""


class InvalidRecord(RegistryError):
    """A person, place or organisation record with a missing or malformed field."""


class DuplicateRecord(DuplicateCode):
    """A person or place already registered (same ID number or id)."""


class GridHasRecords(RegistryError):
    """A grid that still has people or places attached cannot be removed."""
