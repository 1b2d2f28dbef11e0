"""Clocks and the ladder over real holiday weeks (国庆 2026 with its 调休 days), with time passed in."""

from dataclasses import replace
from datetime import date, timedelta

from services.escalation.domain.clock import recalculate
from services.escalation.domain.policy import Limit
from services.escalation.domain.timers import fire_timer, plan_timers
from shared.events.ticket import (
    TicketClosed,
    TicketEscalated,
    TicketEvaluated,
    TicketExtended,
    TicketOverdue,
    TicketReminded,
    TicketReopened,
    TicketResolved,
    TicketResumed,
    TicketReturned,
    TicketSigned,
    TicketSupervised,
    TicketSuspended,
    TicketVerified,
)
from shared.workcal import WorkCalendar
from tests.escalation.fakes import UNIT, Desk, at, book, event, received, routed


def signed(desk: Desk, when):  # type: ignore[no-untyped-def]
    return desk.handle(event(TicketSigned, when, unit_code=UNIT, actor="w1"))


def test_sign_off_clock_over_national_day_resumes_after_the_holiday_week() -> None:
    desk = Desk()
    desk.handle(received(at(9, 30, 15)))
    desk.handle(routed(at(9, 30, 16)))
    assert desk.clock().kind == "sign_off"
    assert desk.clock().due_at == at(10, 8, 9)
    assert [(t.step, t.fire_at) for t in desk.pending()] == [
        ("notice-50", at(9, 30, 17)), ("notice-75", at(9, 30, 17, 30)),
        ("remind", at(10, 8, 9)), ("supervise", at(10, 8, 15)),
    ]


def test_ladder_walks_notices_reminder_and_supervision_in_order() -> None:
    desk = Desk()
    desk.handle(received(at(9, 30, 15)))
    desk.handle(routed(at(9, 30, 16)))
    notices = desk.run_until(at(10, 7, 23))
    assert [(type(e), e.percent) for e in notices] == [(TicketReminded, 50), (TicketReminded, 75)]  # type: ignore[attr-defined]
    overdue = desk.run_until(at(10, 8, 9))
    assert [type(e) for e in overdue] == [TicketReminded, TicketOverdue]
    assert overdue[0].percent == 100 and overdue[1].due_at == at(10, 8, 9)  # type: ignore[attr-defined]
    supervised = desk.run_until(at(10, 8, 15))
    assert len(supervised) == 1 and isinstance(supervised[0], TicketSupervised)
    assert supervised[0].supervisor_level == "street" and supervised[0].clock == "sign_off"


def test_each_step_fires_once() -> None:
    desk = Desk()
    desk.handle(received(at(9, 30, 15)))
    desk.handle(routed(at(9, 30, 16)))
    first = desk.run_until(at(10, 9, 12))
    assert desk.run_until(at(10, 9, 12)) == [] and desk.run_until(at(10, 20)) == []
    assert len([e for e in first if isinstance(e, TicketOverdue)]) == 1


def test_handling_deadline_counts_the_make_up_saturday_as_a_working_day() -> None:
    desk = Desk()
    desk.handle(routed(at(9, 29, 9)))
    signed(desk, at(9, 29, 10))
    # 5 working days after 9-29: 9-30, 10-8, 10-9, 10-10 (Saturday 调休), 10-12.
    assert desk.clock().kind == "handling" and desk.clock().due_at == at(10, 12, 17, 30)


def test_overdue_handling_is_supervised_then_escalated_one_level_up() -> None:
    desk = Desk()
    desk.handle(routed(at(9, 29, 9)))
    signed(desk, at(9, 29, 10))
    assert desk.run_until(at(10, 13, 14, 29))[-1].__class__ is TicketOverdue
    supervised = desk.run_until(at(10, 13, 14, 30))
    assert [type(e) for e in supervised] == [TicketSupervised]
    escalated = desk.run_until(at(10, 13, 17, 30))
    assert len(escalated) == 1 and isinstance(escalated[0], TicketEscalated)
    assert (escalated[0].from_level, escalated[0].to_level, escalated[0].unit_code) == ("community", "street", UNIT)


def test_suspension_freezes_the_remaining_time_and_moves_the_deadline() -> None:
    desk = Desk(books=[book(handling=Limit(14, "working_hours"))])
    desk.handle(routed(at(11, 24, 8)))
    signed(desk, at(11, 24, 8, 30))
    assert desk.clock().due_at == at(11, 25, 17, 30)
    desk.handle(event(TicketSuspended, at(11, 24, 10), reason="等待第三方鉴定", actor="w1"))
    assert desk.pending() == []
    assert desk.run_until(at(11, 26, 9)) == []
    desk.handle(event(TicketResumed, at(11, 26, 10), actor="w1"))
    clock = desk.clock()
    assert clock.due_at == at(11, 27, 17, 30)  # shifted by the 14 paused working hours
    assert [e.action for e in clock.history] == ["started", "paused", "resumed"]
    assert [(t.step, t.fire_at) for t in desk.pending()][:2] == [("notice-50", at(11, 26, 17, 30)),
                                                                 ("notice-75", at(11, 27, 12))]


def test_a_timer_planned_before_a_pause_is_a_no_op() -> None:
    desk = Desk(books=[book(handling=Limit(14, "working_hours"))])
    desk.handle(routed(at(11, 24, 8)))
    signed(desk, at(11, 24, 8, 30))
    old = {t.step: t for t in plan_timers(desk.clock(), calendar=desk.calendar, ladder=desk.ladder)}["remind"]
    desk.handle(event(TicketSuspended, at(11, 24, 10), reason="挂起", actor="w1"))
    assert fire_timer(old, desk.clock(), calendar=desk.calendar, ladder=desk.ladder, now=at(11, 25, 18)) == []
    desk.handle(event(TicketResumed, at(11, 24, 11), actor="w1"))
    assert fire_timer(old, desk.clock(), calendar=desk.calendar, ladder=desk.ladder, now=at(11, 25, 18)) == []
    new = {t.step: t for t in plan_timers(desk.clock(), calendar=desk.calendar, ladder=desk.ladder)}["remind"]
    assert new.fire_at == at(11, 26, 9, 30) and new.identity == old.identity
    assert fire_timer(new, desk.clock(), calendar=desk.calendar, ladder=desk.ladder, now=at(11, 26, 9, 29)) == []
    assert len(fire_timer(new, desk.clock(), calendar=desk.calendar, ladder=desk.ladder, now=at(11, 26, 9, 30))) == 2


def test_extension_moves_the_reminder_past_the_old_deadline() -> None:
    desk = Desk()
    desk.handle(routed(at(9, 29, 9)))
    signed(desk, at(9, 29, 10))
    desk.handle(event(TicketExtended, at(10, 9, 10), amount=2, unit="working_days", actor="center"))
    assert desk.clock().due_at == at(10, 14, 17, 30)
    assert not [e for e in desk.run_until(at(10, 13, 12)) if isinstance(e, TicketOverdue)]
    assert [type(e) for e in desk.run_until(at(10, 14, 17, 30))] == [TicketReminded, TicketOverdue]
    assert desk.clock().history[-1].action == "extended"


def test_resolution_stops_handling_and_starts_verification() -> None:
    desk = Desk()
    desk.handle(routed(at(11, 24, 9)))
    signed(desk, at(11, 24, 9, 30))
    desk.handle(event(TicketResolved, at(11, 24, 15), unit_code=UNIT, actor="w1"))
    handling, verification = desk.track.clocks[1:]  # type: ignore[union-attr]
    assert handling.state == "stopped" and handling.stopped_at == at(11, 24, 15)
    assert verification.kind == "verification" and verification.due_at == at(11, 25, 17, 30)
    desk.handle(event(TicketVerified, at(11, 25, 10), passed=True, actor="g1"))
    assert desk.track.current is None  # type: ignore[union-attr]
    assert desk.pending() == []


def test_failed_verification_restarts_handling() -> None:
    desk = Desk()
    desk.handle(routed(at(11, 24, 9)))
    signed(desk, at(11, 24, 9, 30))
    desk.handle(event(TicketResolved, at(11, 24, 15), unit_code=UNIT, actor="w1"))
    desk.handle(event(TicketVerified, at(11, 25, 10), passed=False, actor="g1", note="未整改到位"))
    assert (desk.clock().kind, desk.clock().seq, desk.clock().started_at) == ("handling", 4, at(11, 25, 10))


def test_unsatisfied_evaluation_reopens_with_a_new_handling_clock() -> None:
    desk = Desk()
    desk.handle(routed(at(11, 24, 9)))
    signed(desk, at(11, 24, 9, 30))
    desk.handle(event(TicketResolved, at(11, 24, 15), unit_code=UNIT, actor="w1"))
    desk.handle(event(TicketVerified, at(11, 25, 10), passed=True, actor="g1"))
    desk.handle(event(TicketClosed, at(11, 25, 11), actor="center"))
    assert desk.handle(event(TicketEvaluated, at(11, 25, 12), rating="满意", actor="citizen")) == []
    reopened = desk.handle(event(TicketEvaluated, at(11, 25, 12), rating="不满意", actor="citizen"))
    assert len(reopened) == 1 and isinstance(reopened[0], TicketReopened)
    desk.handle(reopened[0])
    clock = desk.clock()
    assert (clock.kind, clock.seq, clock.unit_code) == ("handling", 4, UNIT)
    assert clock.due_at == at(12, 2, 17, 30)


def test_rerouting_starts_a_new_clock_and_the_old_timers_fire_nothing() -> None:
    desk = Desk()
    desk.handle(routed(at(11, 24, 9)))
    first = desk.clock()
    old_timers = plan_timers(first, calendar=desk.calendar, ladder=desk.ladder)
    desk.handle(event(TicketReturned, at(11, 24, 10), unit_code=UNIT, reason="非本单位职责", actor="w1"))
    desk.handle(routed(at(11, 24, 10, 5), unit="330903001-enforcement", level="street", reason="returned", sequence=2))
    assert desk.clock(1).state == "stopped" and desk.clock(1).stop_reason == "returned"
    assert (desk.clock().seq, desk.clock().unit_code) == (2, "330903001-enforcement")
    assert all(t.clock_seq == 2 for t in desk.pending())
    now = at(12, 31)
    assert all(fire_timer(t, desk.clock(1), calendar=desk.calendar, ladder=desk.ladder, now=now) == []
               for t in old_timers)


def test_a_ticket_keeps_the_policy_version_it_started_with() -> None:
    desk = Desk(books=[book("v1", sign_off=Limit(2, "working_hours"))])
    desk.handle(received(at(11, 24, 8)))
    desk.books.append(book("v2", sign_off=Limit(1, "working_hours")))
    desk.handle(routed(at(11, 24, 9)))
    assert (desk.clock().policy_version, desk.clock().due_at) == ("v1", at(11, 24, 11))
    other = Desk(books=desk.books)
    other.handle(routed(at(11, 24, 9)))
    assert (other.clock().policy_version, other.clock().due_at) == ("v2", at(11, 24, 10))


def test_severe_ticket_gets_a_shorter_limit_and_goes_to_the_district_at_once() -> None:
    desk = Desk()
    desk.handle(received(at(11, 24, 8), severity="重大"))
    escalated = desk.handle(routed(at(11, 24, 9)))
    assert len(escalated) == 1 and isinstance(escalated[0], TicketEscalated)
    assert (escalated[0].from_level, escalated[0].to_level) == ("community", "district")
    assert desk.clock().limit == Limit(0.5, "working_hours")  # urgent: a quarter of the normal 2 h
    again = desk.handle(routed(at(11, 24, 9, 5), unit="330903-emergency", level="district", reason="escalated"))
    assert again == [] and desk.clock().seq == 2


def test_repeated_complaints_about_one_place_go_up_for_root_cause_handling() -> None:
    desk = Desk(similar=3)
    desk.handle(received(at(11, 24, 8)))
    escalated = desk.handle(routed(at(11, 24, 9)))
    assert len(escalated) == 1 and isinstance(escalated[0], TicketEscalated)
    assert escalated[0].to_level == "street" and "源头治理" in escalated[0].reason
    assert Desk(similar=2).handle(routed(at(11, 24, 9))) == []


def test_district_clock_is_supervised_by_the_district_and_escalated_to_the_city() -> None:
    desk = Desk()
    desk.handle(routed(at(11, 24, 9), unit="330903-emergency", level="district"))
    desk.handle(event(TicketSigned, at(11, 24, 9), unit_code="330903-emergency", actor="d1"))
    fired = desk.run_until(at(12, 31))
    supervised = next(e for e in fired if isinstance(e, TicketSupervised))
    escalated = next(e for e in fired if isinstance(e, TicketEscalated))
    assert supervised.supervisor_level == "district"
    assert (escalated.from_level, escalated.to_level) == ("district", "city")


def test_clock_history_records_every_change() -> None:
    desk = Desk()
    desk.handle(routed(at(11, 24, 9)))
    signed(desk, at(11, 24, 9, 30))
    desk.handle(event(TicketSuspended, at(11, 24, 10), reason="挂起", actor="w1"))
    desk.handle(event(TicketExtended, at(11, 24, 11), amount=3, unit="working_hours", actor="center"))
    desk.handle(event(TicketResumed, at(11, 25, 10), actor="w1"))
    desk.handle(event(TicketClosed, at(11, 25, 11), actor="center"))
    handling = desk.clock(2)
    assert [e.action for e in handling.history] == ["started", "paused", "extended", "resumed", "stopped"]
    assert handling.budget == desk.calendar.working_time_between(at(11, 24, 9, 30), at(12, 1, 17, 30)) + timedelta(hours=3)


def test_a_typhoon_day_declared_later_moves_running_deadlines_by_the_lost_working_time() -> None:
    desk = Desk()
    desk.handle(routed(at(11, 24, 9)))
    signed(desk, at(11, 24, 9, 30))
    assert desk.clock().due_at == at(12, 1, 17, 30)
    typhoon = WorkCalendar(overrides={date(2026, 11, 26): False})
    moved = recalculate(desk.clock(), at=at(11, 25, 20), calendar=typhoon, note="台风停工")
    assert moved.due_at == at(12, 2, 17, 30)
    assert (moved.history[-1].action, moved.budget) == ("recalculated", desk.clock().budget)
    assert recalculate(moved, at=at(11, 25, 21), calendar=typhoon, note="again") is moved


def test_a_timer_fires_only_for_its_own_planned_time_and_step() -> None:
    desk = Desk()
    desk.handle(routed(at(11, 24, 9)))
    clock = desk.clock()
    for timer in plan_timers(clock, calendar=desk.calendar, ladder=desk.ladder):
        assert fire_timer(timer, clock, calendar=desk.calendar, ladder=desk.ladder, now=timer.fire_at)
        moved = replace(timer, fire_at=timer.fire_at - timedelta(microseconds=1))
        assert fire_timer(moved, clock, calendar=desk.calendar, ladder=desk.ladder, now=timer.fire_at) == []
        early = timer.fire_at - timedelta(seconds=1)
        assert fire_timer(timer, clock, calendar=desk.calendar, ladder=desk.ladder, now=early) == []
    unknown = replace(timer, step="escalate")  # a handling-only rule on a sign-off clock
    assert fire_timer(unknown, clock, calendar=desk.calendar, ladder=desk.ladder, now=at(12, 31)) == []
