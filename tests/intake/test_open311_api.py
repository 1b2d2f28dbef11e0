"""Open311 GeoReport v2 over HTTP in both formats, against the real store and broker."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from services.intake.app import create_app
from tests.builders import issue_key
from tests.intake.support import running_intake, settings

FORM = {"service_code": "02060201", "lat": "29.95", "long": "122.30", "address_string": "沈家门街道某路 12 号",
        "description": "菜场门口占道经营", "first_name": "三", "last_name": "张", "phone": "13812345678",
        "jurisdiction_id": "330903"}


def xml(text: str) -> ET.Element:
    return ET.fromstring(text.split("?>", 1)[1])


async def test_services_list_in_json_and_xml_comes_from_the_taxonomy(database, common):
    target = database("intake")
    async with running_intake(create_app, settings(common, target), target) as (_, client):
        as_json = await client.get("/open311/v2/services.json?jurisdiction_id=330903")
        as_xml = await client.get("/open311/v2/services.xml")
        assert as_json.status_code == as_xml.status_code == 200
        codes = [s["service_code"] for s in as_json.json()]
        assert "02060201" in codes and as_json.json()[0]["type"] == "realtime"
        assert as_xml.headers["content-type"].startswith("text/xml")
        assert [s.findtext("service_code") for s in xml(as_xml.text).findall("service")] == codes
        definition = await client.get("/open311/v2/services/02060201.xml")
        assert xml(definition.text).findtext("service_code") == "02060201"


async def test_unknown_jurisdiction_and_service_are_404_in_the_spec_error_format(database, common):
    target = database("intake")
    async with running_intake(create_app, settings(common, target), target) as (_, client):
        wrong = await client.get("/open311/v2/services.json?jurisdiction_id=110101")
        assert wrong.status_code == 404 and wrong.json()[0]["code"] == 404
        missing = await client.get("/open311/v2/services/99999999.xml")
        assert missing.status_code == 404 and xml(missing.text).findtext("error/code") == "404"


async def test_post_request_form_encoded_then_read_it_back_in_both_formats(database, common):
    target = database("intake")
    async with running_intake(create_app, settings(common, target), target) as (app, client):
        key = await issue_key(app.state.db, scope="330903", roles=["open311"])
        created = await client.post("/open311/v2/requests.json", data={**FORM, "api_key": key})
        assert created.status_code == 201, created.text
        [answer] = created.json()
        request_id = answer["service_request_id"]
        assert request_id.startswith("330903-") and answer["account_id"] is None
        [one] = (await client.get(f"/open311/v2/requests/{request_id}.json?api_key={key}")).json()
        assert (one["status"], one["service_code"], one["long"]) == ("open", "02060201", 122.3)
        assert one["requested_datetime"].endswith("+08:00")
        listed = await client.get(f"/open311/v2/requests.xml?api_key={key}&status=open&service_code=02060201")
        assert [r.findtext("service_request_id") for r in xml(listed.text).findall("request")] == [request_id]
        closed = await client.get(f"/open311/v2/requests.json?api_key={key}&status=closed")
        assert closed.json() == []
        token = await client.get(f"/open311/v2/tokens/{request_id}.xml?api_key={key}")
        assert xml(token.text).findtext("request/service_request_id") == request_id
        ticket = (await client.get(f"/api/v1/tickets/{request_id}", headers={"X-API-Key": key})).json()
        assert ticket["channel"] == "open311" and ticket["reporter"]["phone"] == "138****5678"


async def test_post_without_api_key_or_location_fails_in_the_spec_format(database, common):
    target = database("intake")
    async with running_intake(create_app, settings(common, target), target) as (app, client):
        key = await issue_key(app.state.db, scope="330903", roles=["open311"])
        no_key = await client.post("/open311/v2/requests.xml", data=FORM)
        assert no_key.status_code == 401 and xml(no_key.text).findtext("error/code") == "401"
        bad_key = await client.post("/open311/v2/requests.json", data={**FORM, "api_key": "ggk_x_y"})
        assert bad_key.status_code == 401 and bad_key.json()[0]["code"] == 401
        nowhere = {k: v for k, v in FORM.items() if k not in ("lat", "long", "address_string")}
        missing = await client.post("/open311/v2/requests.json", data={**nowhere, "api_key": key})
        assert missing.status_code == 400 and "location" in missing.json()[0]["description"]
        unknown = await client.get(f"/open311/v2/requests/330903-20200101-000001.json?api_key={key}")
        assert unknown.status_code == 404 and unknown.json()[0]["code"] == 404
