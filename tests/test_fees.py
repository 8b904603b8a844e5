"""The fee rules (payments/fees.py): quantities, exemptions, the online reduction, VND rounding,
when the fee is due — tested directly, with hypothesis where the cases are many."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dichvucong.catalog.definition import Fee, FeeExemption
from dichvucong.payments.fees import Applicant, Due, OnlineReduction, quote, round_vnd
from dichvucong.payments.words import amount_words, date_words, number_words

TODAY = date(2026, 3, 10)
amounts = st.integers(min_value=0, max_value=50_000_000)


def online(**extra) -> Applicant:
    return Applicant(online=True, submitted_on=TODAY, **extra)


def counter(**extra) -> Applicant:
    return Applicant(online=False, submitted_on=TODAY, **extra)


BIRTH = Fee(name="Lệ phí đăng ký khai sinh", amount=8000, exempt_when=[FeeExemption(
    reason="Đăng ký khai sinh đúng hạn", field="ngay_sinh", within_days=60)])


def test_counter_and_online_amounts():
    fee = Fee(name="Lệ phí", amount=20000, online_amount=10000)
    assert quote([fee], counter()).total == 20000
    line = quote([fee], online()).lines[0]
    assert (line.amount, line.reduction) == (10000, 10000)
    assert line.reduction_basis


def test_no_fee_is_free():
    assert quote([], online()).total == 0


def test_timely_birth_registration_is_exempt_and_late_is_not():
    on_time = quote([BIRTH], online(form_data={"ngay_sinh": str(TODAY - timedelta(days=60))}))
    assert on_time.total == 0
    assert on_time.lines[0].exempt_reason == "Đăng ký khai sinh đúng hạn"
    late = quote([BIRTH], online(form_data={"ngay_sinh": str(TODAY - timedelta(days=61))}))
    assert late.total == 8000 and not late.lines[0].exempt_reason
    # No date, a date in the future, or nonsense: not proven timely, so not exempt.
    for value in ("", str(TODAY + timedelta(days=1)), "không rõ"):
        assert quote([BIRTH], online(form_data={"ngay_sinh": value})).total == 8000


def test_exemption_by_applicant_type_and_form_value():
    fee = Fee(name="Phí", amount=200000, exempt_when=[
        FeeExemption(reason="Hộ nghèo", field="doi_tuong", **{"in": ["ho_ngheo", "tre_em"]}),
        FeeExemption(reason="Doanh nghiệp khởi nghiệp", applicant_types=["enterprise"]),
    ])
    assert quote([fee], counter(form_data={"doi_tuong": "ho_ngheo"})).total == 0
    assert quote([fee], counter(form_data={"doi_tuong": "khac"})).total == 200000
    assert quote([fee], counter(applicant_type="enterprise")).total == 0
    assert quote([fee], counter(applicant_type="citizen")).total == 200000


def test_an_exemption_needs_a_test():
    with pytest.raises(ValueError):
        FeeExemption(reason="Không có phép thử")
    with pytest.raises(ValueError):
        FeeExemption(reason="Thiếu trường", within_days=60)


def test_quantities_per_copy_and_page_from_the_form():
    fee = Fee(name="Bản sao trích lục", amount=8000, unit="per_copy")
    assert quote([fee], online(form_data={"so_ban": "3"})).total == 24000
    assert quote([fee], online(form_data={"so_ban": "0"})).total == 8000  # at least one
    assert quote([fee], online(form_data={"so_ban": "nhiều"})).total == 8000
    assert quote([fee], online(form_data={"so_ban": "99999999"})).total == 8000 * 10_000


def test_the_province_policy_applies_only_where_the_procedure_states_no_online_amount():
    policy = (OnlineReduction(legal_basis="NQ thử", share_off=Decimal("0.5"),
                              starts=date(2026, 1, 1), ends=date(2026, 12, 31)),)
    plain = Fee(name="Phí", amount=15001)
    stated = Fee(name="Phí", amount=15000, online_amount=15000)
    assert quote([plain], online(), policy).total == 7501  # 7500.5 → 7501, half up
    assert quote([plain], online(), policy).lines[0].reduction_basis == "NQ thử"
    assert quote([stated], online(), policy).total == 15000
    assert quote([plain], counter(), policy).total == 15001
    outside = Applicant(online=True, submitted_on=date(2027, 1, 1))
    assert quote([plain], outside, policy).total == 15001


def test_due_is_the_earliest_moment_any_fee_names():
    assert quote([Fee(amount=1)], online()).due == Due.reception
    both = [Fee(amount=1, collect_at="return"), Fee(amount=2, collect_at="submission")]
    assert quote(both, online()).due == Due.submission
    assert quote([Fee(amount=1, collect_at="return")], online()).due_label


@given(amount=amounts, online_amount=st.one_of(st.none(), amounts),
       copies=st.integers(min_value=1, max_value=50), is_online=st.booleans())
def test_never_more_online_never_negative_lines_add_up(amount, online_amount, copies, is_online):
    fee = Fee(name="Phí", amount=amount, online_amount=online_amount, unit="per_copy")
    second = Fee(name="Lệ phí", amount=amount // 3)
    who = Applicant(online=is_online, submitted_on=TODAY, form_data={"so_ban": copies})
    result = quote([fee, second], who)
    counter_result = quote([fee, second], Applicant(online=False, submitted_on=TODAY,
                                                    form_data={"so_ban": copies}))
    assert all(isinstance(line.amount, int) and line.amount >= 0 for line in result.lines)
    assert result.total == sum(line.amount for line in result.lines)
    assert result.total <= counter_result.total == amount * copies + amount // 3
    for line in result.lines:
        assert line.amount + line.reduction == line.unit_amount * line.quantity


@given(share=st.decimals(min_value=0, max_value=1, places=4), amount=amounts)
def test_percentage_reductions_round_half_up_to_the_dong(share, amount):
    policy = (OnlineReduction(legal_basis="NQ", share_off=share, starts=date(2020, 1, 1)),)
    total = quote([Fee(name="Phí", amount=amount)], online(), policy).total
    exact = Decimal(amount) * (1 - share)
    assert total == round_vnd(exact)
    assert abs(Decimal(total) - exact) <= Decimal("0.5")
    assert 0 <= total <= amount


@given(st.decimals(min_value=-10, max_value=10**9, places=3, allow_nan=False))
def test_round_vnd_is_whole_half_up_and_never_negative(value):
    rounded = round_vnd(value)
    assert isinstance(rounded, int) and rounded >= 0
    if value >= 0:
        assert value - Decimal("0.5") < rounded <= value + Decimal("0.5")


def test_quote_as_json_keeps_the_lines():
    data = quote([BIRTH], online(form_data={"ngay_sinh": "2020-01-01"})).to_json()
    assert data["total"] == 8000 and data["lines"][0]["name"] == BIRTH.name
    assert data["due"] == "reception"


@pytest.mark.parametrize(("amount", "words"), [
    (0, "Không đồng"), (10000, "Mười nghìn đồng"), (15000, "Mười lăm nghìn đồng"),
    (21000, "Hai mươi mốt nghìn đồng"), (105000, "Một trăm linh năm nghìn đồng"),
    (135000, "Một trăm ba mươi lăm nghìn đồng"),
    (1005000, "Một triệu không trăm linh năm nghìn đồng"),
    (2000000001, "Hai tỷ không trăm linh một đồng"),
])
def test_amounts_in_words(amount, words):
    assert amount_words(amount) == words


@given(st.integers(min_value=1, max_value=10**15))
def test_words_never_empty_and_use_known_words(number):
    text = number_words(number)
    known = {"không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám",
                                  "chín", "mười", "mươi", "mốt", "lăm", "linh", "trăm", "nghìn",
                                  "triệu", "tỷ"}
    assert text and set(text.split()) <= known


def test_dates_in_words_as_civil_status_papers_write_them():
    assert date_words(date(2024, 1, 5)) == ("Ngày năm, tháng một, năm hai nghìn không trăm "
                                            "hai mươi bốn")
    assert date_words(date(2026, 11, 21)) == ("Ngày hai mươi mốt, tháng mười một, năm hai "
                                              "nghìn không trăm hai mươi sáu")
    assert date_words(date(1995, 10, 15)) == ("Ngày mười lăm, tháng mười, năm một nghìn chín "
                                              "trăm chín mươi lăm")
