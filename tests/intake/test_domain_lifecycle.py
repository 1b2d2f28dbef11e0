from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from services.intake.domain import lifecycle as lc
from services.intake.domain import timeline as tl
from services.intake.domain.commands import COMMANDS
from shared.events.ticket import (
    Assignment,
    TicketEvaluated,
    TicketExtended,
    TicketOverdue,
    TicketReceived,
    TicketReminded,
    TicketReopened,
    TicketRouted,
    TicketSupervised,
    TicketVerified,
)

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone(timedelta(hours=8)))
UNIT = "330903001-enforcement"

SAMPLE_COMMANDS: dict[str, lc.Command] = {
    "sign": lc.Sign(), "start": lc.Start(), "resolve": lc.Resolve(result="已修复"),
    "verify": lc.Verify(passed=True), "close": lc.Close(), "evaluate": lc.Evaluate(rating="满意"),
    "not_accept": lc.NotAccept(reason="不属于受理范围"), "return": lc.Return(reason="非本单位职责"),
    "report_up": lc.ReportUp(reason="超出权限"),
    "request_extension": lc.RequestExtension(amount=2, unit="working_days", reason="需采购材料"),
    "approve_extension": lc.ApproveExtension(), "suspend": lc.Suspend(reason="等待第三方鉴定"),
    "resume": lc.Resume(), "supervise": lc.Supervise(reason="久拖未办"), "reopen": lc.Reopen(reason="群众反映未解决"),
    "merge": lc.Merge(master_id="330903-20261124-000001", confidence=0.95),
    "joint": lc.Joint(co_unit_codes=("330903-urban_management", "330903-housing")),
}


def ticket_in(state: lc.State) -> lc.TicketState:
    return lc.TicketState(
        ticket_id="330903-20261124-000002", jurisdiction="330903001001001", state=state, category="01020301",
        unit_code=UNIT, pending_extension=(2.0, "working_days"),
    )


def received() -> lc.TicketState:
    event = TicketReceived(
        ticket_id="330903-20261124-000002", occurred_at=NOW, jurisdiction="330903001001001",
        channel="hotline", category="01020301",
    )
    return tl.apply(None, event)


def routed_to(ticket: lc.TicketState, unit: str = UNIT, reason: str = "initial") -> lc.TicketState:
    assignment = Assignment(unit_code=unit, unit_name="综合执法平台", level="street", unit_jurisdiction="330903001",
                            due_at=NOW + timedelta(hours=4))
    event = TicketRouted(ticket_id=ticket.ticket_id, occurred_at=NOW, jurisdiction=ticket.jurisdiction,
                         category=ticket.category, assignment=assignment, reason=reason, rule_version="v1")
    return tl.apply(ticket, event)


def run(ticket: lc.TicketState, *commands: lc.Command, actor: str = UNIT) -> lc.TicketState:
    for command in commands:
        ticket = tl.apply_all(lc.decide(ticket, command, now=NOW, actor=actor), ticket)
    return ticket


def test_every_command_has_a_sample_and_an_allowed_state_table() -> None:
    assert set(SAMPLE_COMMANDS) == set(lc.ALLOWED) == set(COMMANDS)


ILLEGAL = [(name, state) for name in lc.ALLOWED for state in lc.STATES if state not in lc.ALLOWED[name]]
LEGAL = [(name, state) for name in lc.ALLOWED for state in lc.STATES if state in lc.ALLOWED[name]]


@pytest.mark.parametrize(("command", "state"), ILLEGAL)
def test_illegal_transition_is_refused_naming_the_states_that_allow_it(command: str, state: lc.State) -> None:
    with pytest.raises(lc.IllegalTransition) as raised:
        lc.decide(ticket_in(state), SAMPLE_COMMANDS[command], now=NOW, actor=UNIT)
    message = str(raised.value)
    assert f"'{command}' is not allowed in state '{state}'" in message
    assert raised.value.allowed and all(allowed in message for allowed in raised.value.allowed)
    assert set(raised.value.allowed) == set(lc.ALLOWED[command])


@pytest.mark.parametrize(("command", "state"), LEGAL)
def test_legal_transition_produces_events_for_the_ticket(command: str, state: lc.State) -> None:
    ticket = ticket_in(state)
    events = lc.decide(ticket, SAMPLE_COMMANDS[command], now=NOW, actor=UNIT)
    assert events and all(e.ticket_id == ticket.ticket_id and e.occurred_at == NOW for e in events)
    assert all(e.jurisdiction == ticket.jurisdiction for e in events)
    tl.apply_all(events, ticket)


def test_terminal_states_allow_no_command() -> None:
    assert lc.allowed_commands("merged") == [] and lc.allowed_commands("not_accepted") == []


def test_main_path_from_received_to_evaluated() -> None:
    ticket = routed_to(received())
    ticket = run(ticket, lc.Sign(), lc.Start(), lc.Resolve(result="坑洞已填补"))
    assert ticket.state == "resolved" and ticket.result == "坑洞已填补"
    ticket = run(ticket, lc.Verify(passed=True), lc.Close(), lc.Evaluate(rating="满意"), actor="grid-worker-7")
    assert ticket.state == "closed" and ticket.rating == "满意"
    assert [e["type"] for e in ticket.timeline] == [
        "received", "routed", "signed", "started", "resolved", "verified", "closed", "evaluated",
    ]
    assert ticket.timeline[1] == {"type": "routed", "time": NOW.isoformat(), "actor": "routing",
                                  "note": "派至综合执法平台（initial）"}


def test_failed_verification_reopens_the_ticket_for_the_same_unit() -> None:
    ticket = run(routed_to(received()), lc.Sign(), lc.Resolve())
    events = lc.decide(ticket, lc.Verify(passed=False, note="仍有积水"), now=NOW, actor="grid-worker-7")
    assert [type(e) for e in events] == [TicketVerified, TicketReopened]
    ticket = tl.apply_all(events, ticket)
    assert ticket.state == "reopened" and ticket.unit_code == UNIT and ticket.reopens == 1
    assert run(ticket, lc.Sign()).state == "signed"


def test_unsatisfied_evaluation_reopens_and_clears_the_rating() -> None:
    ticket = run(routed_to(received()), lc.Sign(), lc.Resolve(), lc.Verify(passed=True), lc.Close())
    events = lc.decide(ticket, lc.Evaluate(rating="不满意"), now=NOW, actor="citizen")
    assert [type(e) for e in events] == [TicketEvaluated, TicketReopened]
    ticket = tl.apply_all(events, ticket)
    assert ticket.state == "reopened" and ticket.rating is None


def test_a_closed_ticket_is_evaluated_only_once() -> None:
    ticket = run(routed_to(received()), lc.Sign(), lc.Resolve(), lc.Verify(passed=True), lc.Close())
    ticket = run(ticket, lc.Evaluate(rating="基本满意"))
    with pytest.raises(lc.IllegalTransition, match="already been evaluated"):
        lc.decide(ticket, lc.Evaluate(rating="不满意"), now=NOW, actor="citizen")


def test_returned_ticket_waits_for_re_routing_and_counts_the_return() -> None:
    ticket = run(routed_to(received()), lc.Return(reason="非本单位职责"))
    assert ticket.state == "received" and ticket.unit_code is None and ticket.returns == 1
    ticket = routed_to(ticket, "330903001-governance", reason="returned")
    assert ticket.state == "routed" and ticket.unit_code == "330903001-governance"


def test_reported_up_ticket_is_unassigned_without_counting_a_return() -> None:
    ticket = run(routed_to(received()), lc.Sign(), lc.ReportUp(reason="超出权限"))
    assert ticket.state == "received" and ticket.unit_code is None and ticket.returns == 0


def test_resume_goes_back_to_the_state_before_suspension() -> None:
    ticket = run(routed_to(received()), lc.Sign(), lc.Start(), lc.Suspend(reason="等待鉴定"))
    assert ticket.state == "suspended" and ticket.resume_to == "in_progress"
    assert run(ticket, lc.Resume()).state == "in_progress"
    signed = run(routed_to(received()), lc.Sign(), lc.Suspend(reason="等待鉴定"), lc.Resume())
    assert signed.state == "signed"


def test_extension_approval_takes_the_requested_amount_unless_overridden() -> None:
    ticket = run(routed_to(received()), lc.Sign(), lc.RequestExtension(amount=3, unit="working_days", reason="材料"))
    assert ticket.pending_extension == (3, "working_days")
    [extended] = lc.decide(ticket, lc.ApproveExtension(), now=NOW, actor="330903001-center")
    assert isinstance(extended, TicketExtended) and (extended.amount, extended.unit) == (3, "working_days")
    [shorter] = lc.decide(ticket, lc.ApproveExtension(amount=1), now=NOW, actor="330903001-center")
    assert isinstance(shorter, TicketExtended) and shorter.amount == 1
    assert tl.apply(ticket, extended).pending_extension is None


def test_approving_an_extension_nobody_asked_for_is_refused() -> None:
    ticket = run(routed_to(received()), lc.Sign())
    with pytest.raises(lc.IllegalTransition, match="no extension was requested"):
        lc.decide(ticket, lc.ApproveExtension(), now=NOW, actor="330903001-center")


def test_merged_ticket_keeps_its_master_and_accepts_nothing_more() -> None:
    ticket = run(received(), lc.Merge(master_id="330903-20261124-000001", confidence=0.97), actor="intake")
    assert ticket.state == "merged" and ticket.master_id == "330903-20261124-000001"
    with pytest.raises(lc.IllegalTransition):
        lc.decide(ticket, lc.Sign(), now=NOW, actor=UNIT)


def test_a_ticket_cannot_be_merged_into_itself() -> None:
    ticket = received()
    with pytest.raises(ValueError, match="itself"):
        lc.decide(ticket, lc.Merge(master_id=ticket.ticket_id), now=NOW, actor="intake")


def test_joint_handling_lists_co_units_without_the_lead_and_keeps_progress() -> None:
    ticket = run(routed_to(received()), lc.Sign())
    [event] = lc.decide(ticket, lc.Joint(co_unit_codes=(UNIT, "330903-housing", "330903-housing")), now=NOW,
                        actor=UNIT)
    assert event.co_unit_codes == ["330903-housing"] and event.lead_unit_code == UNIT  # type: ignore[attr-defined]
    ticket = routed_to(tl.apply(ticket, event), reason="joint")
    assert ticket.state == "signed"


def test_reasons_are_required_for_not_accept_return_and_suspend() -> None:
    for command in (lc.NotAccept(reason=" "), lc.Return(reason=""), lc.Suspend(reason="")):
        state = next(iter(lc.ALLOWED[command.name] - {"received"}))
        with pytest.raises(ValueError, match="reason"):
            lc.decide(ticket_in(state), command, now=NOW, actor=UNIT)


def test_escalation_events_update_counters_and_timeline_without_moving_the_state() -> None:
    ticket = routed_to(received())
    base = {"ticket_id": ticket.ticket_id, "occurred_at": NOW, "jurisdiction": ticket.jurisdiction}
    ticket = tl.apply(ticket, TicketReminded(**base, clock="sign_off", percent=80, unit_code=UNIT, due_at=NOW,
                                             reason="80%"))
    ticket = tl.apply(ticket, TicketOverdue(**base, clock="sign_off", unit_code=UNIT, due_at=NOW))
    ticket = tl.apply(ticket, TicketSupervised(**base, clock="sign_off", unit_code=UNIT, supervisor_level="street",
                                               reason="超时未签收"))
    assert ticket.state == "routed" and ticket.overdue and ticket.supervisions == 1
    assert [(e["type"], e["actor"]) for e in ticket.timeline[-3:]] == [
        ("reminded", "escalation"), ("overdue", "escalation"), ("supervised", "escalation")]
    assert ticket.timeline[-1]["note"] == "督办（签收）：超时未签收"


def test_late_routing_does_not_revive_a_merged_ticket() -> None:
    ticket = run(received(), lc.Merge(master_id="330903-20261124-000001"), actor="intake")
    after = routed_to(ticket)
    assert after.state == "merged" and after.timeline[-1]["type"] == "routed"


def test_first_event_must_be_received() -> None:
    with pytest.raises(ValueError, match="TicketReceived"):
        tl.apply(None, lc.decide(ticket_in("routed"), lc.Sign(), now=NOW, actor=UNIT)[0])


def test_rerouting_clears_the_overdue_flag() -> None:
    ticket = replace(routed_to(received()), overdue=True)
    assert not routed_to(ticket, reason="escalated").overdue
