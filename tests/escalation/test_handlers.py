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


def _lifecycle(ticket_id: str) -> list:
    """Received, routed, returned, routed again, signed, started, resolved, failed verification, resolved, verified,
    closed: the whole of a ticket's events, as a restarted consumer may find them in one batch."""
    from shared.events.ticket import TicketClosed, TicketResolved, TicketReturned, TicketStarted, TicketVerified

    def ev(cls, when, **fields):
        return cls(ticket_id=ticket_id, occurred_at=when, jurisdiction=GRID, **fields)

    street = "330903001-governance"
    return [
        received(at(11, 24, 9), ticket_id=ticket_id), routed(at(11, 24, 9, 1), ticket_id=ticket_id),
        ev(TicketReturned, at(11, 24, 9, 20), unit_code=UNIT, reason="不属于本单位职责", actor="w"),
        routed(at(11, 24, 9, 21), ticket_id=ticket_id, unit=street, level="street", reason="returned", sequence=2),
        ev(TicketSigned, at(11, 24, 10), unit_code=street, actor="w"),
        ev(TicketStarted, at(11, 24, 10, 30), unit_code=street, actor="w"),
        ev(TicketResolved, at(11, 25, 9), unit_code=street, actor="w", result="已清理"),
        ev(TicketVerified, at(11, 25, 10), passed=False, actor="grid", note="仍有占道"),
        ev(TicketResolved, at(11, 26, 9), unit_code=street, actor="w", result="已清理"),
        ev(TicketVerified, at(11, 26, 10), passed=True, actor="grid"),
        ev(TicketClosed, at(11, 26, 11), actor="center"),
    ]


def _renamed(value, old: str, new: str):
    """``value`` (dataclasses, tuples, strings) with the ticket id ``old`` replaced by ``new``."""
    import dataclasses

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: _renamed(getattr(value, f.name), old, new)
                                             for f in dataclasses.fields(value) if f.init})
    if isinstance(value, tuple):
        return tuple(_renamed(item, old, new) for item in value)
    return new if value == old else value


async def test_a_tickets_whole_lifecycle_in_one_batch_ends_as_when_handled_one_event_at_a_time(database, common):
    """After a restart or a redrive a consumer finds many events of one ticket in one batch: the track, its clocks
    and timers must be those of the same events handled one by one."""
    target = database("escalation")
    async with running_service(service_app(), service_settings(common, target), target) as (app, _):
        db = app.state.db
        alone, together = "330903-20261124-000101", "330903-20261124-000102"
        await handle(db, *_lifecycle(alone))
        async with db.uow() as uow:
            for item in _lifecycle(together):
                uow.publish(item, key=together)
            await uow.commit()

        async def track_of(ticket_id: str):
            async with db.uow() as uow:
                return await store.get_track(uow, ticket_id)

        async def closed() -> bool:
            track = await track_of(together)
            return track is not None and track.clocks != () and all(c.stopped_at is not None for c in track.clocks)

        await wait_for(closed)
        await asyncio.sleep(0.5)  # nothing more may arrive

        # Equal as values (times compare as instants: the bus hands them back in UTC).
        assert _renamed(await track_of(alone), alone, together) == await track_of(together)
        async with db.uow() as uow:
            timers = {t: [(r["clock_seq"], r["step"], r["fire_at"], r["status"]) for r in await store.timers_of(uow, t)]
                      for t in (alone, together)}
        assert timers[together] == timers[alone]  # none left pending once closed, in both
