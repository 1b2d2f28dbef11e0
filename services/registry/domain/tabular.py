"""Rows of an imported CSV/XLSX sheet → people and places; headers may be English keys or Chinese labels."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.registry.domain.errors import InvalidRecord
from services.registry.domain.people import PERSON_KINDS_BY_NAME, Organisation, Person
from services.registry.domain.places import Building, Component, KeyPlace

HEADERS: dict[str, str] = {
    "编号": "id", "姓名": "name", "名称": "name", "身份证号": "id_number", "证件号码": "id_number", "类型": "kind",
    "人员类型": "kind", "网格": "grid_code", "网格编码": "grid_code", "电话": "phone", "手机": "phone",
    "楼栋": "building_id", "核实日期": "verified_at", "用途": "use", "容纳人数": "capacity", "地址": "address",
    "经度": "lon", "纬度": "lat", "部件编码": "code", "权属单位": "owner_unit", "场所类型": "place_kind",
    "风险等级": "risk_level", "统一社会信用代码": "credit_code", "单位类型": "organisation_kind",
    "法定代表人": "legal_representative",
}
PLACE_KINDS = {"楼栋": "building", "出租房": "building", "部件": "component", "重点场所": "key_place",
               "单位": "organisation", "企业": "organisation"}


def normalise_row(row: Mapping[str, Any]) -> dict[str, str]:
    """Map Chinese headers to field names and strip every cell to text ('' for empty)."""
    out: dict[str, str] = {}
    for header, value in row.items():
        if header is None:
            continue
        key = HEADERS.get(str(header).strip(), str(header).strip())
        out[key] = "" if value is None else str(value).strip()
    return out


def _required(row: Mapping[str, str], field: str) -> str:
    value = row.get(field, "")
    if not value:
        raise InvalidRecord(f"missing '{field}'")
    return value


def _number(row: Mapping[str, str], field: str) -> float | None:
    value = row.get(field, "")
    try:
        return float(value) if value else None
    except ValueError:
        raise InvalidRecord(f"'{field}' is not a number: '{value}'") from None


def _datetime(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        raise InvalidRecord(f"'{value}' is not an ISO 8601 date") from None


def person_from_row(row: Mapping[str, str], *, default_id: str) -> Person:
    kind = PERSON_KINDS_BY_NAME.get(row.get("kind", ""), row.get("kind", ""))
    return Person(
        id=row.get("id") or default_id, name=_required(row, "name"), id_number=_required(row, "id_number"),
        kind=kind, grid_code=_required(row, "grid_code"), phone=row.get("phone", ""),  # type: ignore[arg-type]
        building_id=row.get("building_id") or None, verified_at=_datetime(row.get("verified_at", "")),
    )


def place_from_row(row: Mapping[str, str]) -> Building | Component | KeyPlace | Organisation:
    """A building, component, key place or organisation by the row's ``kind`` column."""
    kind = PLACE_KINDS.get(row.get("kind", ""), row.get("kind", ""))
    name, grid = _required(row, "name"), _required(row, "grid_code")
    lon, lat = _number(row, "lon"), _number(row, "lat")
    if kind == "building":
        capacity = _number(row, "capacity")
        return Building(_required(row, "id"), name, grid, row.get("use") or "residential",  # type: ignore[arg-type]
                        int(capacity or 0), row.get("address", ""), lon, lat)
    if kind == "component":
        if lon is None or lat is None:
            raise InvalidRecord("a component needs lon and lat")
        return Component(_required(row, "code"), name, grid, _required(row, "owner_unit"), lon, lat)
    if kind == "key_place":
        return KeyPlace(_required(row, "id"), name, _required(row, "place_kind"), grid,  # type: ignore[arg-type]
                        row.get("risk_level") or "medium", row.get("address", ""), lon, lat)  # type: ignore[arg-type]
    if kind == "organisation":
        return Organisation(_required(row, "id"), name, _required(row, "credit_code"),
                            row.get("organisation_kind") or "enterprise", grid,  # type: ignore[arg-type]
                            row.get("address", ""), row.get("legal_representative", ""))
    raise InvalidRecord(f"unknown place kind '{row.get('kind', '')}'")
