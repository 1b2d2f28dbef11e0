"""Escalation's handlers and timers against the real store (SQLite and PostgreSQL) and the real broker."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime

from sqlalchemy import update

from services.escalation import store
from shared.events.ticket import TicketEvaluated, TicketResumed, TicketSigned, TicketSuspended
from shared.taxonomy import load_taxonomy
from tests.escalation.fakes import GRID, TICKET, UNIT, at, event, received, routed
from tests.escalation.service import fire, handle, pending_timers, published, service_app, service_settings
from tests.harness import running_service, wait_for

CATEGORY = "01010101"  # 邻里纠纷: sign-off 2 working hours, handling 7 working days


def test_fixture_category_has_the_limits_the_tests_assume() -> None:
    item = load_taxonomy().item(CATEGORY)
    assert (item.sign_off.amount, item.sign_off.unit) == (2.0, "working_hours")


async def test_routed_ticket_over_the_bus_gets_a_sign_off_clock_and_timers(database, common):
    target = database("escalation")
    async with running_service(service_app(), service_settings(common, target), target) as (app, _):
        async with app.state.db.uow() as uow:
            uow.publish(received(at(9, 30, 15)), key=TICKET)
            uow.publish(routed(at(9, 30, 16)), key=TICKET)
            await uow.commit()
        timers = await wait_for(lambda: pending_timers(app.state.db))
        assert [(step, fire_at) for _, step, fire_at in timers] == [
            ("notice-50", at(9, 30, 17)), ("notice-75", at(9, 30, 17, 30)),
            ("remind", at(10, 8, 9)), ("supervise", at(10, 8, 15)),
        ]


async def test_due_timers_fire_once_through_the_outbox(database, common):
    target = database("escalation")
    async with running_service(service_app(), service_settings(common, target), target) as (app, _):
        db = app.state.db
        await handle(db, received(at(9, 30, 15)), routed(at(9, 30, 16)))
        assert await fire(db, now=at(10, 7, 23)) == 2
        assert await fire(db, now=at(10, 8, 9)) == 1
        assert await fire(db, now=at(10, 8, 9)) == 0
        reminded = await published(db, "reminded.v1")
        assert [r["percent"] for r in reminded] == [50, 75, 100]
        overdue = await published(db, "overdue.v1")
        assert len(overdue) == 1 and overdue[0]["clock"] == "sign_off"
        assert datetime.fromisoformat(overdue[0]["due_at"]) == at(10, 8, 9)


async def test_concurrent_schedulers_never_fire_a_timer_twice(database, common):
    target = database("escalation")
    async with running_service(service_app(), service_settings(common, target), target) as (app, _):
        db = app.state.db
        tickets = [f"330903-20261124-{n:06d}" for n in range(1, 7)]
        for ticket_id in tickets:
            await handle(db, routed(at(11, 24, 9), ticket_id=ticket_id))
        claimed = await asyncio.gather(*[fire(db, now=at(11, 24, 10, 45), limit=2) for _ in range(8)])
        assert sum(claimed) == 12  # 6 tickets x (notice-50, notice-75)
        counts = Counter((r["ticket_id"], r["percent"]) for r in await published(db, "reminded.v1"))
        assert set(counts.values()) == {1} and len(counts) == 12


async def test_suspension_disarms_and_resumption_rearms_timers_later(database, common):
    target = database("escalation")
    async with running_service(service_app(), service_settings(common, target), target) as (app, _):
        db = app.state.db
        await handle(db, routed(at(11, 24, 8)), event(TicketSigned, at(11, 24, 8, 30), unit_code=UNIT, actor="w"))
        before = {step: fire_at for seq, step, fire_at in await pending_timers(db) if seq == 2}
        await handle(db, event(TicketSuspended, at(11, 24, 10), reason="等待鉴定", actor="w"))
        assert await pending_timers(db) == []
        assert await fire(db, now=at(12, 31)) == 0
        await handle(db, event(TicketResumed, at(11, 24, 11), actor="w"))
        after = {step: fire_at for seq, step, fire_at in await pending_timers(db) if seq == 2}
        # 7 working days from 11-24 end 12-03 17:30; one paused working hour moves that to 12-04 09:30.
        assert (before["remind"], after["remind"]) == (at(12, 3, 17, 30), at(12, 4, 9, 30))


async def test_severe_ticket_routed_low_is_escalated_at_once(database, common):
    target = database("escalation")
    async with running_service(service_app(), service_settings(common, target), target) as (app, _):
        db = app.state.db
        await handle(db, received(at(11, 24, 8), severity="特别重大"), routed(at(11, 24, 9)))
        escalated = await published(db, "escalated.v1")
        assert len(escalated) == 1 and escalated[0]["to_level"] == "district"
        assert escalated[0]["jurisdiction"] == GRID


async def test_third_complaint_about_one_grid_goes_up_for_root_cause_handling(database, common):
    target = database("escalation")
    async with running_service(service_app(), service_settings(common, target), target) as (app, _):
        db = app.state.db
        for n, day in enumerate((3, 10, 20), start=1):
            ticket_id = f"330903-202611{day:02d}-{n:06d}"
            await handle(db, received(at(11, day, 9), ticket_id=ticket_id), routed(at(11, day, 10), ticket_id=ticket_id))
        escalated = await published(db, "escalated.v1")
        assert [e["ticket_id"] for e in escalated] == ["330903-20261120-000003"]
        assert "源头治理" in escalated[0]["reason"] and escalated[0]["to_level"] == "street"


async def test_unsatisfied_evaluation_reopens_and_the_bus_brings_a_new_clock(database, common):
    target = database("escalation")
    async with running_service(service_app(), service_settings(common, target), target) as (app, _):
        db = app.state.db
        await handle(db, routed(at(11, 24, 9)), event(TicketSigned, at(11, 24, 9, 30), unit_code=UNIT, actor="w"))
        await handle(db, event(TicketEvaluated, at(11, 25, 9), rating="不满意", actor="citizen"))
        assert [e["reason"] for e in await published(db, "reopened.v1")] == ["群众评价不满意，重新办理"]

        async def reopened_clock() -> bool:
            async with db.uow() as uow:
                track = await store.get_track(uow, TICKET)
            return track is not None and track.current is not None and track.current.seq == 3

        await wait_for(reopened_clock)


async def test_scheduler_loop_fires_when_injected_time_passes_the_deadline(database, common):
    target = database("escalation")
    clock = [at(9, 30, 16)]
    async with running_service(service_app(now=lambda: clock[0], scheduler_interval=0.05), service_settings(common, target),
                               target) as (app, _):
        db = app.state.db
        await handle(db, routed(at(9, 30, 16)))
        assert await published(db, "overdue.v1") == []
        clock[0] = at(10, 8, 9)
        overdue = await wait_for(lambda: published(db, "overdue.v1"))
        assert len(overdue) == 1 and overdue[0]["ticket_id"] == TICKET


async def test_a_batch_marks_stale_timers_skipped_and_fires_the_rest(database, common):
    target = database("escalation")
    async with running_service(service_app(), service_settings(common, target), target) as (app, _):
        db = app.state.db
        stale = "330903-20261124-000002"
        await handle(db, routed(at(11, 24, 9)), routed(at(11, 24, 9), ticket_id=stale))
        table = store.TimerRow.__table__
        async with db.uow() as uow:  # a plan that no longer matches its clock (as after a lost re-arm)
            for step, fire_at in (("notice-50", at(11, 24, 9, 59)), ("notice-75", at(11, 24, 10, 29))):
                await uow.session.execute(update(table).where(table.c.ticket_id == stale, table.c.step == step)
                                          .values(fire_at=store.utc(fire_at)))
            await uow.commit()
        assert await fire(db, now=at(11, 24, 10, 45)) == 4
        assert {r["ticket_id"] for r in await published(db, "reminded.v1")} == {TICKET}
        async with db.uow() as uow:
            statuses = {(t["ticket_id"], t["step"]): t["status"] for t in await store.timers_of(uow, TICKET)}
            statuses |= {(t["ticket_id"], t["step"]): t["status"] for t in await store.timers_of(uow, stale)}
        assert statuses[(TICKET, "notice-50")] == statuses[(TICKET, "notice-75")] == "fired"
        assert statuses[(stale, "notice-50")] == statuses[(stale, "notice-75")] == "skipped"
        assert statuses[(TICKET, "remind")] == statuses[(stale, "remind")] == "pending"
