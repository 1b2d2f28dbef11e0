"""Registry's API against the real store (SQLite and PostgreSQL) and the real broker."""

from __future__ import annotations

from services.registry.domain.grids import rectangle

VALID_ID = "330903199001011234"


async def _tree(registry, headers) -> None:
    client = registry.client
    for body in (
        {"code": "330903", "name": "普陀区", "kind": "district"},
        {"code": "330903001", "name": "沈家门街道", "kind": "street"},
        {"code": "330903002", "name": "东港街道", "kind": "street"},
        {"code": "330903001001", "name": "滨港社区", "kind": "community", "community_class": "A"},
        {"code": "330903002001", "name": "东港社区", "kind": "community"},
    ):
        response = await client.post("/api/v1/divisions", json=body, headers=headers)
        assert response.status_code == 201, response.text
    for code, box in (("330903001001001", (122.10, 29.70, 122.11, 29.71)),
                      ("330903002001001", (122.20, 29.70, 122.21, 29.71))):
        grid = {"code": code, "name": f"网格{code[-6:]}", "grid_class": "B", "polygon": rectangle(*box)}
        response = await client.post("/api/v1/grids", json=grid, headers=headers)
        assert response.status_code == 201, response.text


async def test_unknown_parent_duplicate_code_and_invalid_polygon_are_problems(registry):
    headers = await registry.key()
    await _tree(registry, headers)
    client = registry.client
    orphan = await client.post("/api/v1/divisions", json={"code": "330903009001", "name": "无名社区",
                                                          "kind": "community"}, headers=headers)
    assert orphan.status_code == 422 and orphan.json()["type"].endswith("unknown-parent-code")
    duplicate = await client.post("/api/v1/divisions", json={"code": "330903001", "name": "沈家门街道",
                                                             "kind": "street"}, headers=headers)
    assert duplicate.status_code == 409
    assert duplicate.headers["content-type"].startswith("application/problem+json")
    bow_tie = {"type": "Polygon", "coordinates": [[[122.1, 29.7], [122.2, 29.8], [122.2, 29.7], [122.1, 29.8],
                                                    [122.1, 29.7]]]}
    invalid = await client.post("/api/v1/grids", json={"code": "330903001001002", "name": "坏网格",
                                                       "polygon": bow_tie}, headers=headers)
    assert invalid.status_code == 422 and "Self-intersection" in invalid.json()["detail"]
    overlap = await client.post("/api/v1/grids", json={"code": "330903001001003", "name": "重叠网格",
                                                       "polygon": rectangle(122.105, 29.70, 122.115, 29.71)},
                                headers=headers)
    assert overlap.status_code == 409 and overlap.json()["type"].endswith("overlapping-grids")


async def test_geocode_single_and_batch_follow_the_contract(registry):
    headers = await registry.key()
    await _tree(registry, headers)
    client = registry.client
    one = await client.get("/api/v1/geocode", params={"lon": 122.105, "lat": 29.705}, headers=headers)
    assert one.status_code == 200
    assert one.json()["grid_code"] == "330903001001001"
    assert [link["level"] for link in one.json()["chain"]] == ["district", "street", "community", "grid"]
    batch = await client.post("/api/v1/geocode", json={"points": [
        {"lon": 122.205, "lat": 29.705}, {"lon": 100.0, "lat": 20.0}, {"vessel_id": "浙普渔00000"}]}, headers=headers)
    results = batch.json()["results"]
    assert results[0]["grid_code"] == "330903002001001"
    assert results[1] == {"inside": False} and results[2] == {"inside": False}


async def test_new_grid_is_geocodable_at_once(registry):
    headers = await registry.key()
    await _tree(registry, headers)
    client = registry.client
    assert (await client.get("/api/v1/geocode", params={"lon": 122.115, "lat": 29.705}, headers=headers)).json() == {
        "inside": False}
    await client.post("/api/v1/grids", json={"code": "330903001001002", "name": "二网格",
                                             "polygon": rectangle(122.11, 29.70, 122.12, 29.71)}, headers=headers)
    found = await client.get("/api/v1/geocode", params={"lon": 122.115, "lat": 29.705}, headers=headers)
    assert found.json()["grid_code"] == "330903001001002"


async def test_person_is_stored_encrypted_answered_masked_and_found_by_blind_index(registry):
    headers = await registry.key()
    await _tree(registry, headers)
    client = registry.client
    body = {"name": "张三", "id_number": VALID_ID, "kind": "floating", "grid_code": "330903001001001",
            "phone": "13812345678"}
    created = await client.post("/api/v1/people", json=body, headers=headers)
    assert created.status_code == 201, created.text
    person = created.json()
    assert (person["name"], person["id_number"], person["phone"]) == ("张*", "330903********1234", "138****5678")
    assert person["live"] and person["expires_at"]
    found = await client.get("/api/v1/people", params={"id_number": VALID_ID}, headers=headers)
    assert [p["id"] for p in found.json()["items"]] == [person["id"]]
    by_phone = await client.get("/api/v1/people", params={"phone": "138 1234 5678"}, headers=headers)
    assert len(by_phone.json()["items"]) == 1
    assert VALID_ID not in found.text and "13812345678" not in by_phone.text
    async with registry.app.state.db.engine.connect() as connection:
        from sqlalchemy import text

        stored = (await connection.execute(text("SELECT name_enc, id_number_enc FROM persons"))).one()
    assert all(value.startswith("v1:") and "张三" not in value and VALID_ID not in value for value in stored)


async def test_bad_id_checksum_and_duplicate_person_are_rejected(registry):
    headers = await registry.key()
    await _tree(registry, headers)
    client = registry.client
    body = {"name": "李四", "id_number": "330903199001011235", "kind": "registered", "grid_code": "330903001001001"}
    bad = await client.post("/api/v1/people", json=body, headers=headers)
    assert bad.status_code == 422 and bad.json()["type"].endswith("invalid-id-number")
    body["id_number"] = VALID_ID
    assert (await client.post("/api/v1/people", json=body, headers=headers)).status_code == 201
    again = await client.post("/api/v1/people", json=body, headers=headers)
    assert again.status_code == 409


async def test_street_key_cannot_read_or_write_another_street(registry):
    admin = await registry.key()
    await _tree(registry, admin)
    client = registry.client
    street = await registry.key("330903002")
    person = {"name": "王五", "id_number": VALID_ID, "kind": "registered", "grid_code": "330903001001001"}
    assert (await client.post("/api/v1/people", json=person, headers=street)).status_code == 403
    created = (await client.post("/api/v1/people", json=person, headers=admin)).json()
    assert (await client.get(f"/api/v1/people/{created['id']}", headers=street)).status_code == 404
    assert (await client.get("/api/v1/people", headers=street)).json()["items"] == []
    assert (await client.get("/api/v1/grids/330903001001001", headers=street)).status_code == 404
    listed = (await client.get("/api/v1/grids", headers=street)).json()["items"]
    assert [g["code"] for g in listed] == ["330903002001001"]
    foreign = await client.get("/api/v1/grids", params={"jurisdiction": "330903001"}, headers=street)
    assert foreign.status_code == 403
    grid = {"code": "330903001001009", "name": "越权网格", "polygon": rectangle(122.3, 29.9, 122.31, 29.91)}
    assert (await client.post("/api/v1/grids", json=grid, headers=street)).status_code == 403


async def test_missing_key_is_401(registry):
    response = await registry.client.get("/api/v1/grids")
    assert response.status_code == 401


async def test_snapshot_pages_carry_cursor_and_position(registry):
    headers = await registry.key()
    await _tree(registry, headers)
    client = registry.client
    first = (await client.get("/api/v1/snapshot/divisions", params={"limit": 3}, headers=headers)).json()
    assert [item["code"] for item in first["items"]] == ["330903", "330903001", "330903001001"]
    assert first["next_cursor"] == "330903001001" and first["position"] >= 7
    second = (await client.get("/api/v1/snapshot/divisions", params={"limit": 3, "cursor": first["next_cursor"]},
                               headers=headers)).json()
    assert [item["code"] for item in second["items"]] == ["330903002", "330903002001"]
    assert second["next_cursor"] is None
    grids = (await client.get("/api/v1/snapshot/grids", headers=headers)).json()
    assert grids["items"][0]["polygon"]["type"] == "Polygon" and grids["items"][0]["community_code"] == "330903001001"


async def test_units_follow_the_code_convention(registry):
    headers = await registry.key()
    await _tree(registry, headers)
    client = registry.client
    unit = await client.post("/api/v1/units", json={"division_code": "330903001", "function": "enforcement",
                                                    "webhook_url": "http://127.0.0.1:9/hook"}, headers=headers)
    assert unit.status_code == 201, unit.text
    assert (unit.json()["code"], unit.json()["name"]) == ("330903001-enforcement", "沈家门街道综合执法平台")
    wrong = await client.post("/api/v1/units", json={"division_code": "330903001", "function": "police"},
                              headers=headers)
    assert wrong.status_code == 422


async def test_tree_nests_divisions_and_grids(registry):
    headers = await registry.key()
    await _tree(registry, headers)
    tree = (await registry.client.get("/api/v1/tree", headers=headers)).json()["items"]
    district = tree[0]
    assert district["code"] == "330903" and [s["code"] for s in district["children"]] == ["330903001", "330903002"]
    community = district["children"][0]["children"][0]
    assert community["children"][0] == {"code": "330903001001001", "name": "网格001001", "level": "grid",
                                        "kind": "comprehensive", "children": []}


async def test_grid_with_people_cannot_be_removed_but_an_empty_one_can(registry):
    headers = await registry.key()
    await _tree(registry, headers)
    client = registry.client
    person = {"name": "张三", "id_number": VALID_ID, "kind": "registered", "grid_code": "330903001001001"}
    assert (await client.post("/api/v1/people", json=person, headers=headers)).status_code == 201
    busy = await client.delete("/api/v1/grids/330903001001001", headers=headers)
    assert busy.status_code == 409
    assert (await client.delete("/api/v1/grids/330903002001001", headers=headers)).status_code == 204
    assert (await client.get("/api/v1/grids/330903002001001", headers=headers)).status_code == 404
    gone = await client.get("/api/v1/geocode", params={"lon": 122.205, "lat": 29.705}, headers=headers)
    assert gone.json() == {"inside": False}


async def test_community_without_grid_is_reported_uncovered(registry):
    headers = await registry.key()
    await _tree(registry, headers)
    await registry.client.post("/api/v1/divisions", json={"code": "330903002002", "name": "塘头社区",
                                                          "kind": "community"}, headers=headers)
    report = (await registry.client.get("/api/v1/coverage", headers=headers)).json()
    assert report["uncovered_communities"] == ["330903002002"]
