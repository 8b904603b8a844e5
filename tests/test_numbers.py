"""Numbers as Vietnamese writes them (core/numbers.py): dots group thousands, a comma marks the
decimals; what could be read two ways is refused with a message saying how to write it. The
form engine's number and money fields, the designer's boxes and the cash desk read alike."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dichvucong.catalog.definition import FormField
from dichvucong.catalog.designer_forms import MoneyField, NumberField
from dichvucong.catalog.formengine import FieldError, clean_value
from dichvucong.catalog.presenters import format_vnd
from dichvucong.core.numbers import NumberFormatError, parse_money, parse_number

AREA = FormField(key="dien_tich", label="Diện tích", type="number")
CAPITAL = FormField(key="von", label="Vốn", type="money")


def vietnamese(number: Decimal) -> str:
    """The oracle: ``number`` written the Vietnamese way, thousands grouped with dots."""
    sign = "-" if number < 0 else ""
    whole, _, decimals = f"{abs(number):f}".partition(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    return sign + grouped + (f",{decimals}" if decimals else "")


def test_the_examples_of_the_issue():
    assert clean_value(AREA, "1.850") == Decimal(1850)
    assert clean_value(AREA, "85,5") == Decimal("85.5")
    assert clean_value(AREA, "1.850,5") == Decimal("1850.5")
    assert clean_value(AREA, "1 850") == Decimal(1850)
    assert clean_value(AREA, 85.5) == Decimal("85.5")  # a JSON number is taken as it is
    assert clean_value(CAPITAL, "1.500.000 đ") == 1_500_000
    assert clean_value(CAPITAL, "1,500,000") == 1_500_000


@pytest.mark.parametrize(("text", "message"), [
    ("1.85", "dấu chấm chỉ dùng để phân cách hàng nghìn"),
    ("0.850", "dấu chấm chỉ dùng để phân cách hàng nghìn"),
    ("1,850", "không rõ «1,850» là số nguyên hay số thập phân. Viết 1.850 (hoặc 1850) nếu là "
              "số nguyên, 1,85 nếu là số thập phân."),
    ("1,850.5", "dấu chấm phân cách hàng nghìn và dấu phẩy trước phần thập phân, ví dụ 1.850,5"),
    ("12.34.567", "dấu chấm chỉ dùng để phân cách hàng nghìn"),
    ("1e3", "phải là một số, ví dụ 1.850 hoặc 85,5"),
    ("NaN", "phải là một số"),
])
def test_ambiguous_or_foreign_writing_is_refused_in_vietnamese(text, message):
    with pytest.raises(FieldError) as caught:
        clean_value(AREA, text)
    assert message in str(caught.value) and "«Diện tích»" in str(caught.value)


@given(st.decimals(min_value=-10**12, max_value=10**12, places=3, allow_nan=False))
def test_any_number_written_the_vietnamese_way_reads_back(number):
    text = vietnamese(number)
    if re.fullmatch(r"-?[1-9]\d{0,2},\d{3}", text):
        # 2,125 is also how an English keyboard writes 2125: refused, with an unambiguous
        # way to write the decimal (2,1250), which reads back.
        with pytest.raises(NumberFormatError, match="không rõ") as caught:
            parse_number(text)
        text = re.search(r"số nguyên, (\S+) nếu là số thập phân", str(caught.value))[1]
    assert parse_number(text) == number


@given(st.integers(min_value=1_000_000, max_value=10**15))
def test_english_grouping_in_two_groups_or_more_can_only_be_thousands(number):
    assert parse_number(f"{number:,}") == number


@given(st.integers(1, 999), st.integers(0, 999))
def test_one_comma_before_three_digits_is_refused_for_numbers_and_thousands_for_money(a, b):
    text = f"{a},{b:03d}"
    with pytest.raises(NumberFormatError, match="không rõ"):
        parse_number(text)
    assert parse_money(text) == a * 1000 + b


@given(st.integers(0, 10**13))
def test_money_reads_every_way_the_site_writes_it(amount):
    for text in (format_vnd(amount), f"{amount:,}".replace(",", "."), str(amount),
                 f"{amount:,} VNĐ", f"{amount:,}".replace(",", " ")):
        assert parse_money(text) == amount, text
        assert MoneyField().clean(text) == amount, text


@given(st.text(max_size=20))
def test_any_text_is_a_number_or_a_message(text):
    for money in (False, True):
        try:
            value = parse_number(text, money=money)
        except NumberFormatError as exc:
            assert str(exc).startswith("«")
        else:
            assert value.is_finite()
            assert not money or (value >= 0 and value == value.to_integral_value())


def test_money_has_no_sign_and_no_decimals_but_zeros():
    assert parse_money("1.500,00") == 1500
    for text, message in (("1,5", "không có phần lẻ"), ("-5", "không được là số âm"),
                          ("1.5", "dấu chấm chỉ dùng"), ("abc", "ví dụ 1.500.000")):
        with pytest.raises(NumberFormatError, match=message):
            parse_money(text)


def test_the_designer_reads_numbers_as_the_form_does():
    assert NumberField(required=False).clean("1.850") == Decimal(1850)
    assert NumberField(required=False).clean("0,5") == Decimal("0.5")
    with pytest.raises(Exception, match="dấu chấm chỉ dùng"):
        NumberField(required=False).clean("0.5")
