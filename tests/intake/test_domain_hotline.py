from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone

import pytest

from services.intake.domain import hotline as hl
from shared.events.ticket import (
    Assignment,
    TicketClosed,
    TicketEvaluated,
    TicketReceived,
    TicketReminded,
    TicketRouted,
)

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone(timedelta(hours=8)))
SECRET = "s3cret-for-330903"
BODY = json.dumps({"order_no": "GD2026112400001", "content": "路面塌陷"}, ensure_ascii=False)
TS = str(int(NOW.timestamp()))
BASE = {"ticket_id": "330903-20261124-000001", "occurred_at": NOW, "jurisdiction": "330903001001001"}


def test_signature_is_hex_hmac_sha256_over_timestamp_nonce_and_body() -> None:
    expected = hmac.new(SECRET.encode(), f"{TS}\nn-1\n{BODY}".encode(), hashlib.sha256).hexdigest()
    assert hl.sign(SECRET, timestamp=TS, nonce="n-1", body=BODY.encode()) == expected


def test_valid_push_is_accepted() -> None:
    signature = hl.sign(SECRET, timestamp=TS, nonce="n-1", body=BODY)
    hl.verify(SECRET, signature, timestamp=TS, nonce="n-1", body=BODY.encode(), now=NOW + timedelta(seconds=299))


@pytest.mark.parametrize("tamper", ["body", "nonce", "timestamp", "secret"])
def test_any_tampered_part_breaks_the_signature(tamper: str) -> None:
    signature = hl.sign(SECRET, timestamp=TS, nonce="n-1", body=BODY)
    parts = {"secret": SECRET, "timestamp": TS, "nonce": "n-1", "body": BODY}
    parts[tamper] = {"body": BODY.replace("塌陷", "破损"), "nonce": "n-2", "timestamp": str(int(TS) + 1),
                     "secret": "other"}[tamper]
    with pytest.raises(hl.BadSignature):
        hl.verify(parts["secret"], signature, timestamp=parts["timestamp"], nonce=parts["nonce"],
                  body=parts["body"], now=NOW)


@pytest.mark.parametrize("skew", [timedelta(seconds=301), timedelta(seconds=-301), timedelta(days=1)])
def test_stale_or_future_timestamps_are_refused(skew: timedelta) -> None:
    signature = hl.sign(SECRET, timestamp=TS, nonce="n-1", body=BODY)
    with pytest.raises(hl.StaleTimestamp):
        hl.verify(SECRET, signature, timestamp=TS, nonce="n-1", body=BODY, now=NOW + skew)


def test_non_numeric_timestamp_is_refused_as_stale() -> None:
    with pytest.raises(hl.StaleTimestamp, match="Unix seconds"):
        hl.check_timestamp("2026-11-24T09:00:00", now=NOW)


def test_replayed_nonce_is_refused_even_with_a_valid_signature() -> None:
    signature = hl.sign(SECRET, timestamp=TS, nonce="n-1", body=BODY)
    with pytest.raises(hl.ReplayedNonce):
        hl.verify(SECRET, signature, timestamp=TS, nonce="n-1", body=BODY, now=NOW, seen_nonces={"n-1"})


def test_nonce_is_remembered_for_twice_the_allowed_skew() -> None:
    assert hl.replay_window() == timedelta(seconds=600)


MAPPING = {"道路破损": "01010101", "噪声扰民": "02030101"}


def test_mapped_category_uses_the_taxonomy_code() -> None:
    assert hl.map_category(" 道路破损 ", MAPPING, fallback="99999999") == hl.MappedCategory(
        code="01010101", mapped=True, hotline_name=" 道路破损 ")


def test_category_path_is_mapped_by_its_leaf() -> None:
    assert hl.map_category("城市管理-市容环境-噪声扰民", MAPPING, fallback="99999999").code == "02030101"


def test_unmapped_category_is_kept_and_flagged_with_the_fallback_code() -> None:
    mapped = hl.map_category("外星人来访", MAPPING, fallback="99999999")
    assert (mapped.code, mapped.mapped, mapped.hotline_name) == ("99999999", False, "外星人来访")


@pytest.mark.parametrize(("urgency", "severity", "priority"), [
    ("特急", "重大", "urgent"), ("紧急", "较大", "high"), ("一般", "一般", "normal"), (None, "一般", "normal"),
    ("不知道", "一般", "normal"),
])
def test_urgency_maps_to_severity_and_priority(urgency: str | None, severity: str, priority: str) -> None:
    assert hl.map_urgency(urgency) == hl.Urgency(severity, priority)  # type: ignore[arg-type]


def test_receipt_callback_for_a_received_ticket() -> None:
    event = TicketReceived(**BASE, channel="hotline", category="01010101")
    payload = hl.callback_for(event, order_no="GD1", sequence=1)
    assert payload is not None and payload["kind"] == "receipt" and payload["status_label"] == "已受理"
    assert (payload["order_no"], payload["ticket_id"], payload["sequence"]) == ("GD1", BASE["ticket_id"], 1)


def test_routing_callback_names_the_unit_and_due_time() -> None:
    assignment = Assignment(unit_code="330903001-enforcement", unit_name="综合执法平台", level="street",
                            unit_jurisdiction="330903001", due_at=NOW + timedelta(hours=4))
    event = TicketRouted(**BASE, category="01010101", assignment=assignment, reason="initial", rule_version="1")
    payload = hl.callback_for(event, order_no="GD1")
    assert payload is not None and payload["unit_name"] == "综合执法平台"
    assert payload["due_at"] == (NOW + timedelta(hours=4)).isoformat()


def test_closing_sends_the_handling_result_and_evaluation_the_return_visit() -> None:
    result = hl.callback_for(TicketClosed(**BASE, actor="x"), order_no="GD1", result="已修补路面")
    visit = hl.callback_for(TicketEvaluated(**BASE, rating="基本满意", actor="citizen"), order_no="GD1")
    assert result is not None and (result["kind"], result["result"]) == ("result", "已修补路面")
    assert visit is not None and (visit["kind"], visit["satisfaction"]) == ("visit", "基本满意")


def test_internal_escalation_events_are_not_called_back() -> None:
    event = TicketReminded(**BASE, clock="handling", percent=80, unit_code="u", due_at=NOW, reason="r")
    assert hl.callback_for(event, order_no="GD1") is None


def test_outgoing_callback_is_signed_over_the_exact_bytes_sent() -> None:
    body = hl.encode_body({"b": "结案", "a": 1})
    assert body == '{"a":1,"b":"结案"}'.encode()
    headers = hl.signed_headers(SECRET, body, client_id="hotline-zs", now=NOW, nonce="cb-1")
    hl.verify(SECRET, headers[hl.HEADER_SIGNATURE], timestamp=headers[hl.HEADER_TIMESTAMP],
              nonce=headers[hl.HEADER_NONCE], body=body, now=NOW)
    assert headers[hl.HEADER_CLIENT] == "hotline-zs"


def test_backoff_doubles_and_is_capped() -> None:
    delays = [hl.next_attempt_at(n, now=NOW) - NOW for n in (1, 2, 3)]
    assert delays == [timedelta(seconds=2), timedelta(seconds=4), timedelta(seconds=8)]
    assert hl.next_attempt_at(40, now=NOW) - NOW == timedelta(minutes=30)
    assert hl.gives_up(12) and not hl.gives_up(11)


def test_a_leaf_name_finds_a_path_in_the_mapping_when_unambiguous() -> None:
    mapping = {"城市管理-占道经营": "02060201", "环境-噪声": "06020101", "交通-噪声": "02020101"}
    assert hl.map_category("占道经营", mapping, fallback="99999999").code == "02060201"
    assert not hl.map_category("噪声", mapping, fallback="99999999").mapped


def test_every_name_of_the_real_hotline_mapping_maps_to_a_taxonomy_item() -> None:
    from shared.taxonomy import hotline_mapping, load_taxonomy

    mapping, taxonomy = hotline_mapping(), load_taxonomy()
    for name, code in mapping.items():
        mapped = hl.map_category(name, mapping, fallback="x")
        assert mapped.mapped and mapped.code == code and mapped.code in taxonomy.items
