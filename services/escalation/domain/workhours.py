"""A district's working hours as configured (``"08:30-12:00,14:00-17:30"``), parsed and checked once at start-up."""

from __future__ import annotations

import re
from datetime import time

WorkPeriods = tuple[tuple[time, time], ...]
_PERIOD = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


class InvalidWorkPeriods(ValueError):
    """Working hours that cannot be parsed, or periods that are empty, reversed or overlapping."""


def parse_work_periods(text: str) -> WorkPeriods:
    """``"08:30-12:00,14:00-17:30"`` → ((08:30, 12:00), (14:00, 17:30)); raises naming the bad part."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts:
        raise InvalidWorkPeriods(f"no work period in {text!r}; expected e.g. '08:30-12:00,14:00-17:30'")
    periods = tuple(_period(part) for part in parts)
    for (_, end), (begin, _) in zip(periods, periods[1:]):
        if begin < end:
            raise InvalidWorkPeriods(f"work periods in {text!r} overlap or are out of order at {begin:%H:%M}")
    return periods


def format_work_periods(periods: WorkPeriods) -> str:
    return ",".join(f"{begin:%H:%M}-{end:%H:%M}" for begin, end in periods)


def _period(part: str) -> tuple[time, time]:
    match = _PERIOD.match(part)
    if match is None:
        raise InvalidWorkPeriods(f"work period {part!r} is not HH:MM-HH:MM")
    begin, end = _time(part, *match.groups()[:2]), _time(part, *match.groups()[2:])
    if not begin < end:
        raise InvalidWorkPeriods(f"work period {part!r} must start before it ends")
    return begin, end


def _time(part: str, hours: str, minutes: str) -> time:
    if int(hours) > 23 or int(minutes) > 59:
        raise InvalidWorkPeriods(f"work period {part!r} has an impossible time {hours}:{minutes}")
    return time(int(hours), int(minutes))
