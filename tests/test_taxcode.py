"""Tax codes (core/taxcode.py): 10 digits with a check digit, or 13 with a branch's suffix."""

from __future__ import annotations

import re

import pytest

from dichvucong.catalog.definition import FieldType, FormField
from dichvucong.catalog.formengine import FieldError, clean_value, to_json_schema
from dichvucong.core.taxcode import InvalidTaxCode, check_digit, parse_tax_code


@pytest.mark.parametrize("code", ["0100109106", "0300588569", "0101248141", "8568913418-001",
                                  "8340125748 002"])
def test_published_codes_pass_and_are_written_as_on_papers(code):
    assert parse_tax_code(code) == code.replace(" ", "-")


@pytest.mark.parametrize(("code", "message"), [
    ("0101248142", "chữ số kiểm tra (chữ số thứ 10) không khớp"),
    ("010124814", "gồm 10 chữ số, hoặc 13 chữ số"),
    ("0101248141-01", "gồm 10 chữ số, hoặc 13 chữ số"),
    ("0101248141-000", "đánh số từ 001"),
])
def test_wrong_codes_say_why(code, message):
    with pytest.raises(InvalidTaxCode, match=re.escape(message)):
        parse_tax_code(code)


def test_one_check_digit_fits_nine_digits():
    accepted = [d for d in "0123456789" if _passes(f"010124814{d}")]
    assert accepted == ["1"] == [str(check_digit("010124814"))]


def _passes(code: str) -> bool:
    try:
        parse_tax_code(code)
    except InvalidTaxCode:
        return False
    return True


def test_a_tax_code_field_names_itself_and_has_a_schema():
    field = FormField(key="ma_so", label="Mã số doanh nghiệp", type=FieldType.TAX_CODE)
    assert clean_value(field, "0101248141 001") == "0101248141-001"
    with pytest.raises(FieldError, match="^«Mã số doanh nghiệp»: Mã số thuế"):
        clean_value(field, "0101248142")
    assert to_json_schema([field])["properties"]["ma_so"]["pattern"] == r"^\d{10}(-\d{3})?$"
