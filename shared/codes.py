"""Division codes (GB/T 2260 + street/community/grid digits) and ticket ids.

A code's prefix is its ancestry: district 6 digits, street 9, community 12, grid 15, micro-grid 18.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

Level = Literal["city", "district", "street", "community", "grid", "microgrid"]

LEVEL_BY_LENGTH: dict[int, Level] = {4: "city", 6: "district", 9: "street", 12: "community", 15: "grid", 18: "microgrid"}
LENGTH_BY_LEVEL: dict[Level, int] = {level: length for length, level in LEVEL_BY_LENGTH.items()}
LEVEL_ORDER: tuple[Level, ...] = ("grid", "community", "street", "district", "city")
LEVEL_NAMES_ZH: dict[str, str] = {
    "microgrid": "微网格", "grid": "网格", "community": "社区/村", "street": "街道/镇", "district": "区/县", "city": "市",
}

_CODE = re.compile(r"^\d{4}(\d{2}(\d{3}){0,4})?$")
_TICKET_ID = re.compile(r"^(\d{6})-(\d{8})-(\d{6,})$")


class InvalidCode(ValueError):
    """A string that is not a division code of a known length."""


def validate_code(code: str) -> str:
    if not _CODE.match(code):
        raise InvalidCode(f"'{code}' is not a division code (4, 6, 9, 12, 15 or 18 digits)")
    return code


def level_of(code: str) -> Level:
    validate_code(code)
    return LEVEL_BY_LENGTH[len(code)]


def parent_of(code: str) -> str | None:
    """The code one level up, or None for a city."""
    lengths = sorted(LEVEL_BY_LENGTH)
    index = lengths.index(len(validate_code(code)))
    return code[: lengths[index - 1]] if index > 0 else None


def ancestry(code: str) -> list[str]:
    """Codes from the district down to ``code`` itself (the city is not part of ticket chains)."""
    validate_code(code)
    return [code[:n] for n in sorted(LEVEL_BY_LENGTH) if 6 <= n <= len(code)]


def truncate(code: str, level: Level) -> str:
    """The ancestor of ``code`` at ``level`` (the code itself if it is already coarser)."""
    return code[: LENGTH_BY_LEVEL[level]]


def is_under(code: str, prefix: str) -> bool:
    """True when ``code`` lies inside the jurisdiction ``prefix`` (a prefix is its ancestry)."""
    return code.startswith(prefix)


def district_of(code: str) -> str:
    return code[:6]


def format_ticket_id(district: str, day: date, sequence: int) -> str:
    return f"{district}-{day:%Y%m%d}-{sequence:06d}"


def parse_ticket_id(ticket_id: str) -> tuple[str, str, int] | None:
    match = _TICKET_ID.match(ticket_id)
    return (match.group(1), match.group(2), int(match.group(3))) if match else None
