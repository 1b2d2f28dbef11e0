"""Working hours from settings: parsed once, a bad value stops start-up, every calendar of the service uses them."""

from __future__ import annotations

from datetime import datetime, time

import pytest

from services.escalation.app import create_app
from services.escalation.domain.workhours import InvalidWorkPeriods, format_work_periods, parse_work_periods
from services.escalation.settings import Settings
from tests.builders import issue_key
from tests.escalation.fakes import TICKET, at, received, routed
from tests.escalation.service import pending_timers, published, service_app
from tests.harness import running_service, wait_for

CUSTOM = "09:00-12:00,13:00-18:00"


def test_default_setting_parses_to_the_two_official_periods() -> None:
    periods = parse_work_periods(Settings().work_periods)
    assert periods == ((time(8, 30), time(12, 0)), (time(14, 0), time(17, 30)))
    assert format_work_periods(periods) == "08:30-12:00,14:00-17:30"


def test_spaces_and_single_digit_hours_are_accepted() -> None:
    assert parse_work_periods(" 8:00 - 12:00 , 13:30-17:00 ") == ((time(8), time(12)), (time(13, 30), time(17)))


@pytest.mark.parametrize(("text", "complaint"), [
    ("", "no work period"),
    ("08:30-12:00;14:00-17:30", "not HH:MM-HH:MM"),
    ("8.30-12", "not HH:MM-HH:MM"),
    ("12:00-08:30", "start before it ends"),
    ("08:30-12:00,11:00-17:30", "overlap"),
    ("14:00-17:30,08:30-12:00", "out of order"),
    ("08:30-24:00", "impossible time"),
])
def test_bad_working_hours_are_rejected_naming_the_problem(text: str, complaint: str) -> None:
    with pytest.raises(InvalidWorkPeriods, match=complaint):
        parse_work_periods(text)


def test_a_bad_setting_fails_at_start_up_naming_the_environment_variable() -> None:
    with pytest.raises(InvalidWorkPeriods) as raised:
        create_app(Settings(work_periods="8:30 to 12"))
    message = str(raised.value)
    assert "GRIDGOV_ESCALATION_WORK_PERIODS='8:30 to 12'" in message and "\n" not in message


async def test_deadline_api_counts_the_configured_working_hours(database, common):
    target = database("escalation")
    settings = Settings(database_url=target.url, common=common, work_periods=CUSTOM)
    async with running_service(service_app(), settings, target) as (app, client):
        key = {"X-API-Key": await issue_key(app.state.db, scope="330903")}
        params = {"start": "2026-11-24T11:30:00+08:00", "amount": 1, "unit": "working_hours"}
        response = await client.get("/api/v1/calendar/deadline", params=params, headers=key)
        assert response.status_code == 200, response.text
        assert response.json()["deadline"] == "2026-11-24T13:30:00+08:00"  # default hours would give 14:30


async def test_bus_handlers_and_scheduler_both_use_the_configured_hours(database, common):
    target = database("escalation")
    settings = Settings(database_url=target.url, common=common, work_periods=CUSTOM)
    clock = [at(9, 30, 16)]
    async with running_service(service_app(now=lambda: clock[0], scheduler_interval=0.05), settings, target) as (app, _):
        async with app.state.db.uow() as uow:
            uow.publish(received(at(9, 30, 15)), key=TICKET)
            uow.publish(routed(at(9, 30, 16)), key=TICKET)
            await uow.commit()
        timers = await wait_for(lambda: pending_timers(app.state.db))
        # 2 working hours from 16:00 end at 18:00 the same day (the default hours would run into 10-08).
        assert dict((step, fire_at) for _, step, fire_at in timers)["remind"] == at(9, 30, 18)
        clock[0] = at(9, 30, 18)
        overdue = await wait_for(lambda: published(app.state.db, "overdue.v1"))
        assert [datetime.fromisoformat(o["due_at"]) for o in overdue] == [at(9, 30, 18)]
