"""Working-time arithmetic on China's official calendar: the one function every time limit uses.

Working days come from the ``chinesecalendar`` package (official holidays and 调休 make-up days), then a
district's overrides (local holidays, typhoon days). Years the package does not know fall back to
weekends-only, with one loud warning per year per process, so a deployment never crashes on 1 January.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal, get_args
from zoneinfo import ZoneInfo

import chinese_calendar

logger = logging.getLogger(__name__)

Unit = Literal["working_hours", "working_days", "hours"]
UNITS: tuple[str, ...] = get_args(Unit)
DEFAULT_PERIODS: tuple[tuple[time, time], ...] = ((time(8, 30), time(12, 0)), (time(14, 0), time(17, 30)))
_SEARCH_DAYS = 3660
_warned_years: set[int] = set()


class CalendarError(ValueError):
    """A calendar that cannot be built, or an amount that cannot be added."""


@lru_cache(maxsize=8192)
def official_workday(day: date) -> bool:
    """Whether the State Council calendar makes ``day`` a working day (weekends-only beyond known years)."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        _warn_unknown_year(day.year)
        return day.weekday() < 5


def _warn_unknown_year(year: int) -> None:
    if year in _warned_years:
        return
    _warned_years.add(year)
    logger.warning(
        "no official holiday data for %s in chinesecalendar %s: counting weekends only, plus district "
        "overrides; upgrade chinesecalendar or add overrides for %s's holidays and 调休 days",
        year, getattr(chinese_calendar, "__version__", "?"), year,
    )


class WorkCalendar:
    """Working days and hours of one district; all arithmetic happens in its local time zone."""

    def __init__(
        self,
        *,
        work_periods: Sequence[tuple[time, time]] = DEFAULT_PERIODS,
        tz: str = "Asia/Shanghai",
        overrides: Mapping[date, bool] | None = None,
    ) -> None:
        self.work_periods = _checked_periods(work_periods)
        self.tz = ZoneInfo(tz)
        self.overrides: dict[date, bool] = dict(overrides or {})

    def is_working_day(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        return official_workday(day)

    def add(self, start: datetime, amount: float, unit: str) -> datetime:
        """The deadline ``amount`` ``unit`` after ``start`` (ARCHITECTURE.md "Working-time arithmetic")."""
        local = self._local(start)
        if not math.isfinite(amount) or amount < 0:
            raise CalendarError(f"amount must be a finite number >= 0, got {amount}")
        if unit == "hours":
            return local + timedelta(hours=amount)
        if unit == "working_hours":
            return self._add_working_time(local, timedelta(hours=amount))
        if unit == "working_days":
            return self._add_working_days(local, amount)
        raise CalendarError(f"unknown unit '{unit}', expected one of {', '.join(UNITS)}")

    def add_working_time(self, start: datetime, delta: timedelta) -> datetime:
        """The instant at which ``delta`` of working time after ``start`` has passed."""
        if delta < timedelta(0):
            raise CalendarError(f"working time to add must be >= 0, got {delta}")
        return self._add_working_time(self._local(start), delta)

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time from ``a`` to ``b``; negative when ``b`` is before ``a``."""
        a, b = self._local(a), self._local(b)
        if b < a:
            return -self.working_time_between(b, a)
        total = timedelta(0)
        day = a.date()
        while day <= b.date():
            for begin, end in self._periods_on(day):
                overlap = min(end, b) - max(begin, a)
                if overlap > timedelta(0):
                    total += overlap
            day += timedelta(days=1)
        return total

    def next_working_instant(self, t: datetime) -> datetime:
        """``t`` itself when it is inside working time, else the start of the next work period."""
        local = self._local(t)
        for begin, end in self._periods_from(local.date()):
            if local < end:
                return max(begin, local)
        raise CalendarError(f"no working day within {_SEARCH_DAYS} days after {t.isoformat()}")

    def is_working_time(self, t: datetime) -> bool:
        return self.next_working_instant(t) == self._local(t)

    def _add_working_time(self, local: datetime, remaining: timedelta) -> datetime:
        if remaining == timedelta(0):
            return local
        for begin, end in self._periods_from(local.date()):
            available = end - max(begin, local)
            if available <= timedelta(0):
                continue
            if remaining <= available:
                return max(begin, local) + remaining
            remaining -= available
        raise CalendarError(f"no working day within {_SEARCH_DAYS} days after {local.isoformat()}")

    def _add_working_days(self, local: datetime, amount: float) -> datetime:
        if amount != int(amount):
            raise CalendarError(f"working_days must be a whole number, got {amount}")
        if amount == 0:
            return local
        day, counted = local.date(), 0
        for _ in range(_SEARCH_DAYS):
            day += timedelta(days=1)
            counted += self.is_working_day(day)
            if counted == amount:
                return datetime.combine(day, self.work_periods[-1][1], tzinfo=self.tz)
        raise CalendarError(f"fewer than {amount} working days within {_SEARCH_DAYS} days")

    def _periods_on(self, day: date) -> list[tuple[datetime, datetime]]:
        if not self.is_working_day(day):
            return []
        return [
            (datetime.combine(day, begin, tzinfo=self.tz), datetime.combine(day, end, tzinfo=self.tz))
            for begin, end in self.work_periods
        ]

    def _periods_from(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        for offset in range(_SEARCH_DAYS):
            yield from self._periods_on(day + timedelta(days=offset))

    def _local(self, t: datetime) -> datetime:
        if t.tzinfo is None or t.utcoffset() is None:
            raise ValueError(f"naive datetime {t.isoformat()}: pass a time zone (e.g. +08:00)")
        return t.astimezone(self.tz)


def _checked_periods(periods: Sequence[tuple[time, time]]) -> tuple[tuple[time, time], ...]:
    if not periods:
        raise CalendarError("a working day needs at least one work period")
    previous_end = time(0)
    for begin, end in periods:
        if not begin < end:
            raise CalendarError(f"work period {begin}–{end} must start before it ends")
        if begin < previous_end:
            raise CalendarError(f"work period {begin}–{end} overlaps or precedes the one before it")
        previous_end = end
    return tuple(periods)
