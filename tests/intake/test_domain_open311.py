from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.intake.domain import open311 as o3

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone(timedelta(hours=8)))


@dataclass(frozen=True)
class FakeItem:
    code: str = "01010101"
    name: str = "道路破损"
    module_name: str = "城市管理"
    class_name: str = "市政设施"
    subclass_name: str = "道路"


def facts(state: o3.State = "routed", **changes: object) -> o3.RequestFacts:
    base = {"ticket_id": "330903-20261124-000001", "state": state, "service_code": "01010101", "service_name": "道路破损",
                "description": "人民路口有坑", "requested_at": NOW, "updated_at": NOW + timedelta(hours=1),
                "expected_at": NOW + timedelta(days=1), "agency_responsible": "综合执法平台", "address": "人民路 1 号",
                "lat": 29.95, "lon": 122.3}
    base.update(changes)
    return o3.RequestFacts(**base)  # type: ignore[arg-type]


def test_service_entry_has_the_spec_fields_from_the_taxonomy() -> None:
    [entry] = o3.services([FakeItem()])
    assert entry == {"service_code": "01010101", "service_name": "道路破损",
                     "description": "城市管理 / 市政设施 / 道路 / 道路破损", "metadata": False, "type": "realtime",
                     "keywords": "城市管理, 市政设施, 道路, 道路破损", "group": "市政设施"}


def test_services_xml_is_a_list_of_service_elements() -> None:
    body = o3.render(o3.services([FakeItem(), FakeItem(code="01010102", name="井盖缺失")]), "xml",
                     root="services", item="service")
    assert body.startswith('<?xml version="1.0" encoding="utf-8"?><services>')
    tree = ET.fromstring(body.split("?>", 1)[1])
    assert [s.findtext("service_code") for s in tree.findall("service")] == ["01010101", "01010102"]
    assert tree.find("service/metadata").text == "false"  # type: ignore[union-attr]
    assert tree.findtext("service/type") == "realtime"


def test_service_definition_has_no_attributes_in_either_format() -> None:
    definition = o3.service_definition(FakeItem())
    assert json.loads(o3.render(definition, "json", root="service_definition")) == {
        "service_code": "01010101", "attributes": []}
    tree = ET.fromstring(o3.render(definition, "xml", root="service_definition").split("?>", 1)[1])
    assert tree.tag == "service_definition" and tree.findtext("service_code") == "01010101"
    assert tree.find("attributes") is not None and list(tree.find("attributes")) == []  # type: ignore[arg-type]


@pytest.mark.parametrize(("state", "status"), [
    ("received", "open"), ("routed", "open"), ("signed", "open"), ("in_progress", "open"), ("suspended", "open"),
    ("resolved", "open"), ("reopened", "open"), ("verified", "closed"), ("closed", "closed"),
    ("not_accepted", "closed"), ("merged", "closed"),
])
def test_finer_states_map_to_open_or_closed(state: o3.State, status: str) -> None:
    assert o3.status_of(state) == status
    assert state in o3.states_for(status)  # type: ignore[arg-type]


def test_request_record_has_every_spec_field_in_order() -> None:
    record = o3.request_record(facts(note="已派至综合执法平台"))
    assert tuple(record) == o3.REQUEST_FIELDS
    assert record["status"] == "open" and record["status_notes"] == "已派遣至承办单位：已派至综合执法平台"
    assert record["expected_datetime"] == "2026-11-25T09:00:00+08:00"
    assert record["requested_datetime"] == "2026-11-24T09:00:00+08:00"
    assert (record["lat"], record["long"]) == (29.95, 122.3)


def test_requests_json_and_xml_carry_the_same_values() -> None:
    records = [o3.request_record(facts()), o3.request_record(facts("closed", expected_at=None, lat=None, lon=None))]
    as_json = json.loads(o3.render(records, "json", root="service_requests", item="request"))
    tree = ET.fromstring(o3.render(records, "xml", root="service_requests", item="request").split("?>", 1)[1])
    assert tree.tag == "service_requests"
    requests = tree.findall("request")
    assert [r.findtext("status") for r in requests] == [r["status"] for r in as_json] == ["open", "closed"]
    assert requests[0].findtext("long") == "122.3" and as_json[0]["long"] == 122.3
    assert as_json[1]["expected_datetime"] is None and requests[1].findtext("expected_datetime") == ""


def test_created_response_with_id_or_token() -> None:
    assert o3.created_response(service_request_id="330903-20261124-000001") == [
        {"service_request_id": "330903-20261124-000001", "service_notice": None, "account_id": None}]
    assert o3.created_response(token="tok-1")[0]["token"] == "tok-1"
    with pytest.raises(ValueError):
        o3.created_response()


def test_token_response_in_xml() -> None:
    body = o3.render(o3.token_response(token="tok-1", service_request_id="330903-20261124-000001"), "xml",
                     root="service_requests", item="request")
    tree = ET.fromstring(body.split("?>", 1)[1])
    assert tree.findtext("request/token") == "tok-1"
    assert tree.findtext("request/service_request_id") == "330903-20261124-000001"


def test_errors_in_both_formats() -> None:
    err = o3.Open311Error(400, "service_code is required")
    assert json.loads(o3.render_errors([err], "json")) == [{"code": 400, "description": "service_code is required"}]
    tree = ET.fromstring(o3.render_errors([err], "xml").split("?>", 1)[1])
    assert tree.tag == "errors" and tree.findtext("error/code") == "400"
    assert tree.findtext("error/description") == "service_code is required"


def test_parse_create_accepts_coordinates_and_attributes() -> None:
    created = o3.parse_create({"service_code": "01010101", "lat": "29.95", "long": "122.3", "description": "有坑",
                               "email": "a@b.cn", "attribute[depth]": "10cm", "api_key": "k"})
    assert (created.lat, created.lon, created.email) == (29.95, 122.3, "a@b.cn")
    assert created.attributes == {"depth": "10cm"}


def test_parse_create_accepts_an_address_without_coordinates() -> None:
    assert o3.parse_create({"service_code": "01010101", "address_string": "人民路 1 号"}).address_string == "人民路 1 号"


@pytest.mark.parametrize(("form", "message"), [
    ({"lat": "1", "long": "2"}, "service_code is required"),
    ({"service_code": "01010101"}, "location is required"),
    ({"service_code": "01010101", "lat": "29.9"}, "given together"),
    ({"service_code": "01010101", "lat": "north", "long": "2"}, "decimal degrees"),
    ({"service_code": "01010101", "lat": "95", "long": "2"}, "within"),
    ({"service_code": "01010101", "address_id": "a1", "description": "x" * 4001}, "longer than"),
])
def test_parse_create_refuses_invalid_forms_with_400(form: dict[str, str], message: str) -> None:
    with pytest.raises(o3.Open311Error, match=message) as raised:
        o3.parse_create(form)
    assert raised.value.code == 400


def test_query_by_ids_overrides_other_filters() -> None:
    query = o3.parse_query({"service_request_id": "a, b", "status": "bogus"}, now=NOW)
    assert query.ids == ("a", "b") and query.statuses == ()


def test_query_defaults_to_the_last_90_days() -> None:
    query = o3.parse_query({}, now=NOW)
    assert (query.start, query.end) == (NOW - timedelta(days=90), NOW)


def test_query_parses_codes_statuses_and_unencoded_offsets() -> None:
    query = o3.parse_query({"service_code": "01010101,01010102", "status": "open,closed",
                            "start_date": "2026-11-01T00:00:00 08:00", "end_date": "2026-11-20T00:00:00Z"}, now=NOW)
    assert query.service_codes == ("01010101", "01010102") and query.statuses == ("open", "closed")
    assert query.start == datetime(2026, 11, 1, tzinfo=timezone(timedelta(hours=8)))
    assert query.end == datetime(2026, 11, 20, tzinfo=UTC)


@pytest.mark.parametrize(("params", "message"), [
    ({"status": "pending"}, "open or closed"),
    ({"start_date": "yesterday"}, "ISO 8601"),
    ({"start_date": "2026-01-01T00:00:00+08:00", "end_date": "2026-11-01T00:00:00+08:00"}, "90 days"),
    ({"start_date": "2026-11-02T00:00:00+08:00", "end_date": "2026-11-01T00:00:00+08:00"}, "before"),
])
def test_invalid_query_is_a_400(params: dict[str, str], message: str) -> None:
    with pytest.raises(o3.Open311Error, match=message):
        o3.parse_query(params, now=NOW)


def test_unknown_jurisdiction_and_format_are_404() -> None:
    o3.check_jurisdiction(None, district="330903")
    o3.check_jurisdiction("330903", district="330903")
    with pytest.raises(o3.Open311Error) as raised:
        o3.check_jurisdiction("110101", district="330903")
    assert raised.value.code == 404
    with pytest.raises(o3.Open311Error):
        o3.parse_format("yaml")


def test_services_come_from_the_real_taxonomy_with_item_codes() -> None:
    from shared.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    listed = o3.services(taxonomy.items.values())
    assert len(listed) == len(taxonomy.items)
    assert all(len(s["service_code"]) == 8 and s["service_code"] in taxonomy.items for s in listed)
    assert all(s["service_name"] == taxonomy.items[s["service_code"]].name for s in listed)
