import pytest

from services.registry.domain.errors import InvalidRecord
from services.registry.domain.people import Organisation
from services.registry.domain.places import Building, Component, KeyPlace
from services.registry.domain.tabular import normalise_row, person_from_row, place_from_row


def test_chinese_headers_map_to_fields_and_cells_become_text():
    row = normalise_row({"姓名": " 张三 ", "身份证号": "330903199001011234", "类型": "流动", "网格编码": 330903001001001,
                         "手机": None, None: "stray"})
    assert row == {"name": "张三", "id_number": "330903199001011234", "kind": "流动", "grid_code": "330903001001001",
                   "phone": ""}


def test_person_row_reads_chinese_kind_and_iso_dates():
    person = person_from_row(normalise_row({"姓名": "张三", "身份证号": "330903199001011234", "类型": "流动",
                                            "网格编码": "330903001001001", "核实日期": "2026-05-01T09:00:00+08:00"}),
                             default_id="P-2")
    assert (person.id, person.kind, person.verified_at.month) == ("P-2", "floating", 5)


def test_person_row_without_name_or_with_bad_date_is_refused():
    with pytest.raises(InvalidRecord, match="name"):
        person_from_row({"id_number": "330903199001011234", "grid_code": "330903001001001"}, default_id="P")
    with pytest.raises(InvalidRecord, match="ISO 8601"):
        person_from_row({"name": "张三", "id_number": "x", "grid_code": "g", "verified_at": "去年"}, default_id="P")


@pytest.mark.parametrize(
    ("row", "kind"),
    [
        ({"kind": "楼栋", "id": "B1", "name": "1号楼", "grid_code": "g", "capacity": "40"}, Building),
        ({"kind": "部件", "code": "3309030110000001", "name": "消火栓", "grid_code": "g", "owner_unit": "u",
          "lon": "122.1", "lat": "29.7"}, Component),
        ({"kind": "重点场所", "id": "K1", "name": "加油站", "grid_code": "g", "place_kind": "gas_station"}, KeyPlace),
        ({"kind": "企业", "id": "O1", "name": "公司", "grid_code": "g", "credit_code": "x"}, Organisation),
    ],
)
def test_place_rows_become_their_kind(row, kind):
    assert isinstance(place_from_row(row), kind)


def test_place_row_with_unknown_kind_or_bad_number_is_refused():
    with pytest.raises(InvalidRecord, match="unknown place kind"):
        place_from_row({"kind": "城堡", "name": "x", "grid_code": "g"})
    with pytest.raises(InvalidRecord, match="not a number"):
        place_from_row({"kind": "楼栋", "id": "B", "name": "x", "grid_code": "g", "capacity": "很多"})
