import logging
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared import workcal
from shared.workcal import CalendarError, WorkCalendar

CST = timezone(timedelta(hours=8))
FAST = settings(max_examples=200, deadline=None)


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=CST)


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar()


@pytest.fixture
def fresh_warnings():
    workcal._warned_years.clear()
    workcal.official_workday.cache_clear()
    yield
    workcal._warned_years.clear()
    workcal.official_workday.cache_clear()


starts_2026 = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2026, 11, 30), timezones=st.just(CST)
)
amounts = st.floats(min_value=0, max_value=200, allow_nan=False).map(lambda x: round(x, 3))


def test_national_day_2026_holidays_and_make_up_days(cal: WorkCalendar) -> None:
    assert not any(cal.is_working_day(date(2026, 10, d)) for d in range(1, 8))
    assert cal.is_working_day(date(2026, 9, 20))  # Sunday 调休
    assert cal.is_working_day(date(2026, 10, 10))  # Saturday 调休
    assert not cal.is_working_day(date(2026, 10, 11))


def test_working_days_across_national_day_skip_the_holiday_week(cal: WorkCalendar) -> None:
    assert cal.add(at(2026, 9, 30, 10), 1, "working_days") == at(2026, 10, 8, 17, 30)
    assert cal.add(at(2026, 9, 30, 10), 3, "working_days") == at(2026, 10, 10, 17, 30)
    assert cal.add(at(2026, 10, 3, 10), 1, "working_days") == at(2026, 10, 8, 17, 30)


def test_working_hours_across_national_day_continue_after_the_holidays(cal: WorkCalendar) -> None:
    assert cal.add(at(2026, 9, 30, 16), 2, "working_hours") == at(2026, 10, 8, 9)
    assert cal.add(at(2026, 10, 9, 17), 1, "working_hours") == at(2026, 10, 10, 9)


def test_limit_ending_exactly_at_close_of_work_ends_at_close(cal: WorkCalendar) -> None:
    assert cal.add(at(2026, 11, 24, 14), 3.5, "working_hours") == at(2026, 11, 24, 17, 30)
    assert cal.add(at(2026, 11, 24, 8, 30), 7, "working_hours") == at(2026, 11, 24, 17, 30)


def test_working_hours_skip_the_lunch_break(cal: WorkCalendar) -> None:
    assert cal.add(at(2026, 11, 24, 11), 1.5, "working_hours") == at(2026, 11, 24, 14, 30)


def test_start_outside_working_time_counts_from_next_period(cal: WorkCalendar) -> None:
    assert cal.add(at(2026, 11, 28, 22), 0.5, "working_hours") == at(2026, 11, 30, 9)
    assert cal.next_working_instant(at(2026, 11, 24, 12, 30)) == at(2026, 11, 24, 14)
    assert cal.next_working_instant(at(2026, 11, 24, 17, 30)) == at(2026, 11, 25, 8, 30)


def test_natural_hours_ignore_the_calendar(cal: WorkCalendar) -> None:
    assert cal.add(at(2026, 10, 1, 23), 2.25, "hours") == at(2026, 10, 2, 1, 15)


def test_result_is_in_china_standard_time(cal: WorkCalendar) -> None:
    deadline = cal.add(datetime(2026, 11, 24, 1, 0, tzinfo=UTC), 1, "working_hours")
    assert deadline.utcoffset() == timedelta(hours=8)
    assert deadline.isoformat() == "2026-11-24T10:00:00+08:00"


def test_naive_datetimes_are_rejected(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="naive"):
        cal.add(datetime(2026, 11, 24, 9), 1, "working_hours")
    with pytest.raises(ValueError, match="naive"):
        cal.working_time_between(datetime(2026, 11, 24, 9), at(2026, 11, 24, 10))


@pytest.mark.parametrize(
    ("amount", "unit"), [(-1, "hours"), (float("nan"), "working_hours"), (1.5, "working_days"), (1, "minutes")]
)
def test_bad_amounts_and_units_are_rejected(cal: WorkCalendar, amount: float, unit: str) -> None:
    with pytest.raises(CalendarError):
        cal.add(at(2026, 11, 24, 9), amount, unit)


def test_overlapping_work_periods_are_rejected() -> None:
    with pytest.raises(CalendarError, match="overlaps"):
        WorkCalendar(work_periods=((time(8), time(12)), (time(11), time(17))))


def test_district_overrides_win_over_the_official_calendar() -> None:
    typhoon, make_up = date(2026, 11, 24), date(2026, 11, 28)
    cal = WorkCalendar(overrides={typhoon: False, make_up: True})
    assert not cal.is_working_day(typhoon)
    assert cal.is_working_day(make_up)
    assert cal.add(at(2026, 11, 23, 17), 1, "working_hours") == at(2026, 11, 25, 9)
    assert cal.add(at(2026, 11, 27, 10), 1, "working_days") == at(2026, 11, 28, 17, 30)


def test_district_working_hours_are_configurable() -> None:
    cal = WorkCalendar(work_periods=((time(9), time(12)), (time(13, 30), time(18))))
    assert cal.add(at(2026, 11, 24, 11), 2, "working_hours") == at(2026, 11, 24, 14, 30)
    assert cal.add(at(2026, 11, 24, 11), 1, "working_days") == at(2026, 11, 25, 18)


def test_unknown_year_falls_back_to_weekends_and_warns_once(
    cal: WorkCalendar, fresh_warnings: None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="shared.workcal"):
        assert cal.is_working_day(date(2027, 1, 1))  # a Friday: New Year unknown to the package
        assert not cal.is_working_day(date(2027, 1, 2))
        assert cal.add(at(2027, 1, 1, 9), 2, "working_days") == at(2027, 1, 5, 17, 30)
        assert cal.add(at(2027, 12, 31, 17), 1, "working_hours") == at(2028, 1, 3, 9)
    warned = [r.getMessage() for r in caplog.records if "no official holiday data" in r.getMessage()]
    assert len(warned) == 2
    assert "2027" in warned[0] and "2028" in warned[1]


def test_overrides_fill_in_an_unknown_year(fresh_warnings: None) -> None:
    cal = WorkCalendar(overrides={date(2027, 1, 1): False})
    assert cal.add(at(2026, 12, 31, 10), 1, "working_days") == at(2027, 1, 4, 17, 30)


def test_working_time_between_is_antisymmetric(cal: WorkCalendar) -> None:
    a, b = at(2026, 11, 24, 9), at(2026, 11, 25, 9)
    assert cal.working_time_between(a, b) == timedelta(hours=7)
    assert cal.working_time_between(b, a) == -timedelta(hours=7)


@FAST
@given(start=starts_2026, hours=amounts)
def test_adding_then_measuring_working_hours_round_trips(start: datetime, hours: float) -> None:
    cal = WorkCalendar()
    start = cal.next_working_instant(start)
    deadline = cal.add(start, hours, "working_hours")
    assert cal.working_time_between(start, deadline) == timedelta(hours=hours)


@FAST
@given(start=starts_2026, hours=amounts)
def test_working_hours_deadline_is_never_later_than_needed(start: datetime, hours: float) -> None:
    cal = WorkCalendar()
    deadline = cal.add(start, hours, "working_hours")
    assert cal.working_time_between(start, deadline) == timedelta(hours=hours)
    if hours > 0:
        assert cal.working_time_between(start, deadline - timedelta(microseconds=1)) < timedelta(hours=hours)


@FAST
@given(start=starts_2026, days=st.integers(min_value=1, max_value=30))
def test_working_days_deadline_lands_at_close_on_a_working_day(start: datetime, days: int) -> None:
    cal = WorkCalendar()
    deadline = cal.add(start, days, "working_days")
    assert deadline.timetz().replace(tzinfo=None) == time(17, 30)
    assert cal.is_working_day(deadline.date())
    if deadline.weekday() >= 5:
        assert deadline.date() in {date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9),
                                   date(2026, 9, 20), date(2026, 10, 10)}
    between = [start.date() + timedelta(days=i) for i in range(1, (deadline.date() - start.date()).days + 1)]
    assert sum(cal.is_working_day(d) for d in between) == days


@FAST
@given(start=starts_2026, hours=st.floats(min_value=0, max_value=500, allow_nan=False))
def test_natural_hours_add_exactly(start: datetime, hours: float) -> None:
    assert WorkCalendar().add(start, hours, "hours") - start == timedelta(hours=hours)
