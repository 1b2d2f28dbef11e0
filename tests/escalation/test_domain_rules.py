"""Ladder configuration, policies from the taxonomy, and the immediate triggers."""

from datetime import timedelta

import pytest

from services.escalation.domain.ladder import (
    InvalidLadder,
    Ladder,
    Rule,
    default_ladder,
    ladder_to_dict,
    parse_ladder,
)
from services.escalation.domain.lifecycle import complaint_place
from services.escalation.domain.policy import Limit, UnknownPolicy, book_from_items, ticket_priority
from services.escalation.domain.timers import plan_timers
from services.escalation.domain.triggers import Complaint, ImmediateRules, similar_complaints
from shared.events.ticket import TicketReminded
from shared.taxonomy import load_taxonomy
from tests.escalation.fakes import Desk, at, received, routed


def test_default_ladder_survives_a_round_trip_through_json() -> None:
    ladder = default_ladder()
    assert parse_ladder(ladder_to_dict(ladder)) == ladder


def test_invalid_ladder_lists_every_problem() -> None:
    data = {"rules": [
        {"step": "a", "action": "notice", "percent": 150},
        {"step": "a", "action": "yell", "after_due": {"amount": -1, "unit": "days"}},
        {"step": "Bad Step", "action": "remind"},
        {"step": "r", "action": "remind", "percent": 100, "repeat_times": 2, "colour": "red"},
        "nonsense",
    ]}
    with pytest.raises(InvalidLadder) as caught:
        parse_ladder(data)
    problems = caught.value.problems
    assert "rules[0].percent: must be a whole number from 1 to 100" in problems
    assert "rules[1].action: must be one of notice, remind, supervise, escalate" in problems
    assert "rules[1].after_due.amount: must be a number >= 0" in problems
    assert "rules[1].after_due.unit: must be one of working_hours, working_days, hours" in problems
    assert "rules[2].step: must be 1–40 characters of a-z, 0-9, '-' or '_'" in problems
    assert "rules[2]: give exactly one condition, 'percent' or 'after_due'" in problems
    assert "rules[3].colour: unknown field" in problems
    assert "rules[3].repeat_every: required when repeat_times > 0" in problems
    assert "rules[4]: must be an object" in problems


def test_duplicate_steps_are_a_problem() -> None:
    rule = {"step": "n", "action": "notice", "percent": 50}
    with pytest.raises(InvalidLadder, match="appears more than once"):
        parse_ladder({"rules": [rule, rule]})


def test_empty_ladder_is_rejected() -> None:
    with pytest.raises(InvalidLadder, match="non-empty"):
        parse_ladder({"rules": []})


def test_repeated_reminders_fire_once_each_at_their_own_time() -> None:
    ladder = parse_ladder({"rules": [{
        "step": "remind", "action": "remind", "percent": 100, "clocks": ["sign_off"],
        "repeat_every": {"amount": 2, "unit": "working_hours"}, "repeat_times": 2,
    }]})
    desk = Desk(ladder=ladder)
    desk.handle(routed(at(11, 24, 9)))
    assert [(t.step, t.fire_at) for t in desk.pending()] == [
        ("remind", at(11, 24, 11)), ("remind#1", at(11, 24, 15)), ("remind#2", at(11, 24, 17)),
    ]
    fired = desk.run_until(at(11, 30))
    reminders = [e for e in fired if isinstance(e, TicketReminded)]
    assert len(reminders) == 3 and "第3次" in reminders[-1].reason
    assert desk.run_until(at(12, 30)) == []


def test_rules_apply_only_to_their_clocks() -> None:
    ladder = Ladder((Rule("n", "notice", percent=50, clocks=("handling",)),))
    desk = Desk(ladder=ladder)
    desk.handle(routed(at(11, 24, 9)))
    assert plan_timers(desk.clock(), calendar=desk.calendar, ladder=ladder) == []


def test_policies_come_from_the_taxonomy_items() -> None:
    taxonomy = load_taxonomy()
    book = book_from_items(taxonomy.items.values(), version=f"taxonomy-{taxonomy.version}")
    item = next(i for i in taxonomy.items.values() if i.priority == "normal" and i.handling.unit == "working_days")
    policy = book.for_ticket(item.code, "一般")
    assert policy.limit("handling") == Limit(item.handling.amount, "working_days")
    assert policy.limit("sign_off") == Limit(item.sign_off.amount, item.sign_off.unit)


def test_higher_severity_raises_priority_and_shortens_limits() -> None:
    assert ticket_priority("normal", "较大") == "high"
    assert ticket_priority("urgent", "较大") == "urgent"
    assert ticket_priority("low", "特别重大") == "urgent"
    taxonomy = load_taxonomy()
    book = book_from_items(taxonomy.items.values(), version="t")
    item = next(i for i in taxonomy.items.values() if i.priority == "normal" and i.handling.unit == "working_days")
    high = book.for_ticket(item.code, "较大").limit("handling")
    assert high.unit in ("working_days", "working_hours")
    full = item.handling.amount * 7
    assert (high.amount * 7 if high.unit == "working_days" else high.amount) == pytest.approx(full / 2)


def test_unknown_category_falls_back_to_generic_limits_or_raises_without_fallback() -> None:
    book = book_from_items([], version="t")
    assert book.for_ticket("99999999", "一般").limit("handling") == Limit(5, "working_days")
    with pytest.raises(UnknownPolicy):
        type(book)("t", {}, None).for_ticket("99999999", "一般")


def test_similar_complaints_count_same_place_and_category_inside_the_window() -> None:
    new = Complaint("t4", "330903001001001", "01010101", at(11, 24))
    history = [
        Complaint("t1", "330903001001001", "01010101", at(11, 1)),
        Complaint("t2", "330903001001001", "01010101", at(10, 1)),  # outside 30 days
        Complaint("t3", "330903001001002", "01010101", at(11, 20)),  # another grid
        Complaint("t5", "330903001001001", "02010101", at(11, 20)),  # another category
        Complaint("t4", "330903001001001", "01010101", at(11, 24)),  # itself
    ]
    assert similar_complaints(new, history, window=ImmediateRules().repeat_window) == 2
    assert similar_complaints(new, history, window=timedelta(days=60)) == 3


def test_only_complaints_placed_in_a_grid_count_as_repeats() -> None:
    assert complaint_place(received(at(11, 24))) == "330903001001001"
    unplaced = received(at(11, 24)).model_copy(update={"grid_code": None, "jurisdiction": "330903"})
    assert complaint_place(unplaced) == ""
