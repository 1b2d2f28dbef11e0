"""Bulk import of historical tickets: CSV and XLSX, good rows accepted, bad rows reported by number."""

from __future__ import annotations

import io

from openpyxl import Workbook

from services.intake.app import create_app
from tests.builders import first_category, issue_key
from tests.intake.support import running_intake, settings

HEADER = ["category", "description", "grid_code", "address", "reported_at"]


def rows() -> list[list[str]]:
    return [[first_category(), "楼道堆物", "330903001001001", "某小区 3 幢", "2026-01-05T09:30:00+08:00"],
            ["99999999", "未知类别", "330903001001001", "", ""],
            [first_category(), "", "330903001001001", "", ""]]


async def test_csv_import_accepts_good_rows_and_reports_bad_ones(database, common):
    target = database("intake")
    async with running_intake(create_app, settings(common, target), target) as (app, client):
        key = await issue_key(app.state.db, scope="330903")
        text = "\n".join(",".join(row) for row in [HEADER, *rows()])
        result = await client.post("/api/v1/imports", content=text.encode(),
                                   headers={"X-API-Key": key, "Content-Type": "text/csv"})
        assert result.status_code == 200, result.text
        report = result.json()
        assert (report["rows"], report["accepted"]) == (3, 1)
        assert [(e["row"], e["errors"][0]["field"]) for e in report["errors"]] == [(3, "category"), (4, "description")]
        assert report["ticket_ids"][0].startswith("330903-20260105-")
        ticket = await client.get(f"/api/v1/tickets/{report['ticket_ids'][0]}", headers={"X-API-Key": key})
        assert ticket.json()["channel"] == "import"


async def test_xlsx_import_reads_the_first_sheet(database, common):
    target = database("intake")
    async with running_intake(create_app, settings(common, target), target) as (app, client):
        key = await issue_key(app.state.db, scope="330903")
        book = Workbook()
        for row in [HEADER, *rows()[:1]]:
            book.active.append(row)
        buffer = io.BytesIO()
        book.save(buffer)
        result = await client.post("/api/v1/imports", content=buffer.getvalue(), headers={
            "X-API-Key": key, "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
        assert result.status_code == 200 and result.json()["accepted"] == 1
        unsupported = await client.post("/api/v1/imports", content=b"{}",
                                        headers={"X-API-Key": key, "Content-Type": "application/json"})
        assert unsupported.status_code == 415


async def test_a_large_import_is_written_in_shared_transactions_in_row_order(database, common):
    target = database("intake")
    async with running_intake(create_app, settings(common, target), target) as (app, client):
        key = await issue_key(app.state.db, scope="330903")
        good = rows()[0]
        lines = [HEADER] + [[good[0], f"楼道堆物 第{i}处", good[2], "", good[4]] for i in range(150)]
        group = app.state.db.group
        batches, items = group.batches, group.items
        result = await client.post("/api/v1/imports", content="\n".join(",".join(r) for r in lines).encode(),
                                   headers={"X-API-Key": key, "Content-Type": "text/csv"})
        assert result.status_code == 200, result.text
        ids = result.json()["ticket_ids"]
        assert len(ids) == len(set(ids)) == 150
        assert ids == sorted(ids, key=lambda ticket_id: int(ticket_id.rsplit("-", 1)[1]))  # numbered in row order
        assert (group.items - items, group.batches - batches <= 10) == (150, True)  # not 150 transactions
        page = await client.get("/api/v1/tickets", params={"channel": "import", "limit": 500},
                                headers={"X-API-Key": key})
        assert {item["id"] for item in page.json()["items"]} == set(ids)
        descriptions = {item["id"]: item["description"] for item in page.json()["items"]}
        assert [descriptions[i] for i in ids] == [f"楼道堆物 第{i}处" for i in range(150)]
