"""CSV/XLSX imports of people and places, and GeoJSON imports of grids, with their error reports."""

from __future__ import annotations

import io

from openpyxl import Workbook

from services.registry.domain.grids import rectangle

VALID_ID = "330903199001011234"
OTHER_VALID_ID = "110101199003074477"


async def _tree(registry, headers) -> None:
    for body in ({"code": "330903", "name": "普陀区", "kind": "district"},
                 {"code": "330903001", "name": "沈家门街道", "kind": "street"},
                 {"code": "330903002", "name": "东港街道", "kind": "street"},
                 {"code": "330903001001", "name": "滨港社区", "kind": "community"},
                 {"code": "330903002001", "name": "东港社区", "kind": "community"}):
        assert (await registry.client.post("/api/v1/divisions", json=body, headers=headers)).status_code == 201
    for code, box in (("330903001001001", (122.10, 29.70, 122.11, 29.71)),
                      ("330903002001001", (122.20, 29.70, 122.21, 29.71))):
        grid = {"code": code, "name": "网格", "polygon": rectangle(*box)}
        assert (await registry.client.post("/api/v1/grids", json=grid, headers=headers)).status_code == 201


async def test_csv_people_import_keeps_good_rows_and_reports_each_bad_one(registry):
    headers = await registry.key("330903001")
    await _tree(registry, await registry.key())
    csv_text = "\n".join([
        "姓名,身份证号,类型,网格编码,手机",
        f"张三,{VALID_ID},户籍,330903001001001,13812345678",
        "李四,330903199001011235,流动,330903001001001,",
        f"王五,{OTHER_VALID_ID},流动,330903002001001,",
        f"赵六,{VALID_ID},户籍,330903001001001,",
        f",{OTHER_VALID_ID},户籍,330903001001001,",
        f"钱七,{OTHER_VALID_ID},流动,330903001001001,13912345678",
    ])
    response = await registry.client.post(
        "/api/v1/people/import", files={"file": ("people.csv", csv_text.encode("utf-8-sig"), "text/csv")},
        headers=headers)
    report = response.json()
    assert (report["total"], report["accepted"]) == (6, 2)
    assert [(e["row"], e["error"]) for e in report["errors"]] == [
        (3, "InvalidIdNumber"), (4, "RegistryError"), (5, "DuplicateRecord"), (6, "InvalidRecord"),
    ]
    listed = (await registry.client.get("/api/v1/people", headers=headers)).json()["items"]
    assert sorted(p["name"] for p in listed) == ["张*", "钱*"]


async def test_xlsx_places_import_checks_capacity_codes_and_credit_codes(registry):
    headers = await registry.key()
    await _tree(registry, headers)
    book = Workbook()
    sheet = book.active
    sheet.append(["kind", "编号", "名称", "网格编码", "用途", "容纳人数", "部件编码", "权属单位", "经度", "纬度",
                  "统一社会信用代码"])
    sheet.append(["楼栋", "B1", "滨港1号楼", "330903001001001", "rental", 40, None, None, None, None, None])
    for name, code in (("消火栓", "3309030110000001"), ("坏编码", "33090301100001")):
        sheet.append(["部件", None, name, "330903001001001", None, None, code, "330903-fire", 122.1, 29.7, None])
    sheet.append(["企业", "O1", "普陀远洋渔业有限公司", "330903001001001", None, None, None, None, None, None,
                  "91330903MA2A1B3C5C"])
    sheet.append(["楼栋", "B2", "东港1号楼", "330903009001001", "residential", 10, None, None, None, None, None])
    buffer = io.BytesIO()
    book.save(buffer)
    response = await registry.client.post("/api/v1/places/import", files={"file": ("places.xlsx", buffer.getvalue())},
                                          headers=headers)
    report = response.json()
    assert report["ids"] == ["B1", "3309030110000001"]
    assert [(e["row"], e["error"]) for e in report["errors"]] == [
        (4, "InvalidComponentCode"), (5, "InvalidCreditCode"), (6, "UnknownCode")]
    building = (await registry.client.get("/api/v1/places/B1", headers=headers)).json()
    assert building["data"]["capacity"] == 40


async def test_unreadable_upload_is_a_problem(registry):
    headers = await registry.key()
    response = await registry.client.post("/api/v1/people/import", files={"file": ("x.xlsx", b"not a zip")},
                                          headers=headers)
    assert response.status_code == 422


async def test_geojson_grid_import_reports_per_feature(registry):
    headers = await registry.key()
    await _tree(registry, headers)
    features = [
        {"type": "Feature", "geometry": rectangle(122.11, 29.70, 122.12, 29.71),
         "properties": {"code": "330903001001002", "name": "二网格", "class": "A"}},
        {"type": "Feature", "geometry": rectangle(122.105, 29.70, 122.115, 29.71),
         "properties": {"code": "330903001001003", "name": "重叠"}},
        {"type": "Feature", "geometry": None, "properties": {"code": "330903001001901", "name": "海上", "kind": "sea",
                                                            "vessel_ids": ["浙普渔12345"]}},
    ]
    response = await registry.client.post("/api/v1/grids/import", json={"type": "FeatureCollection",
                                                                         "features": features}, headers=headers)
    report = response.json()
    assert report["accepted"] == ["330903001001002", "330903001001901"]
    assert [(e["index"], e["error"]) for e in report["errors"]] == [(1, "OverlappingGrids")]
    vessel = await registry.client.post("/api/v1/geocode", json={"points": [{"vessel_id": "浙普渔12345"}]},
                                        headers=headers)
    assert vessel.json()["results"][0]["grid_code"] == "330903001001901"


async def test_cli_file_import_reports_rows_like_the_api(registry, tmp_path):
    from datetime import UTC, datetime

    from services.registry.importer import import_file

    await _tree(registry, await registry.key())
    path = tmp_path / "people.csv"
    path.write_text(f"姓名,身份证号,类型,网格编码\n张三,{VALID_ID},户籍,330903001001001\n李四,123,户籍,330903001001001\n",
                    encoding="utf-8")
    report = await import_file(registry.app.state.db, path, kind="people", scope="330903",
                               keys=registry.app.state.pii_keys, now=datetime.now(UTC))
    assert (report.total, len(report.accepted), [e.row for e in report.errors]) == (2, 1, [3])
