import pytest

from services.registry.importer import UnreadableFile, read_table


def test_gbk_csv_with_chinese_headers_is_read():
    content = "姓名,身份证号,网格编码\n张三,330903199001011234,330903001001001\n".encode("gbk")
    assert read_table(content, filename="people.csv") == [
        {"name": "张三", "id_number": "330903199001011234", "grid_code": "330903001001001"}]


def test_bytes_that_are_no_workbook_are_unreadable():
    with pytest.raises(UnreadableFile):
        read_table(b"PK\x03\x04 broken", filename="people.xlsx")
