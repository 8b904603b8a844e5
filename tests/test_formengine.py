"""The form engine's rules: a procedure's form definition checks what a citizen submits."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from dichvucong.catalog.definition import FieldType, FormField, ProcedureDefinition
from dichvucong.catalog.formengine import (
    FieldError,
    clean_value,
    date_bounds,
    form_defaults,
    read_submission,
    to_json_schema,
    validate,
)
from dichvucong.catalog.formrender import bind
from dichvucong.core.idnumber import PROVINCE_CODES, InvalidIdNumber, mask, parse_id_number

FORM = [
    FormField.model_validate(f) for f in [
        {"key": "full_name", "label": "Họ và tên", "type": "text", "required": True,
         "max_length": 100},
        {"key": "id_number", "label": "Số CCCD", "type": "id_number", "required": True},
        {"key": "birth_date", "label": "Ngày sinh", "type": "date", "required": True},
        {"key": "phone", "label": "Điện thoại", "type": "phone", "required": True},
        {"key": "email", "label": "Thư điện tử", "type": "email"},
        {"key": "capital", "label": "Vốn kinh doanh", "type": "money", "min_value": 0},
        {"key": "staff", "label": "Số lao động", "type": "number", "min_value": 0,
         "max_value": 10},
        {"key": "purpose", "label": "Mục đích", "type": "select", "required": True,
         "options": [{"value": "new", "label": "Cấp mới"}, {"value": "lost", "label": "Bị mất"}]},
        {"key": "lost_where", "label": "Nơi bị mất", "type": "textarea", "required": True,
         "visible_when": {"field": "purpose", "equals": "lost"}},
        {"key": "channels", "label": "Nhận thông báo qua", "type": "multiselect",
         "options": [{"value": "sms", "label": "SMS"}, {"value": "zalo", "label": "Zalo"}]},
        {"key": "address", "label": "Địa chỉ", "type": "address", "required": True},
        {"key": "members", "label": "Thành viên hộ", "type": "group", "min_items": 1,
         "fields": [
             {"key": "name", "label": "Họ tên", "type": "text", "required": True},
             {"key": "relation", "label": "Quan hệ", "type": "text"},
             {"key": "guardian", "label": "Người giám hộ", "type": "text", "required": True,
              "visible_when": {"field": "relation", "equals": "con"}},
         ]},
        {"key": "agree", "label": "Cam đoan", "type": "checkbox", "required": True},
    ]
]
COMMUNES = {"48": {"20194", "20242"}}


def valid_post() -> dict:
    return {
        "full_name": "  Nguyễn   Thị Ánh  ", "id_number": "048190000123",
        "birth_date": "05/01/1990", "phone": "+84 905 123 456", "email": "Anh@Example.VN",
        "capital": "1.500.000", "staff": "3", "purpose": "new", "lost_where": "",
        "channels": ["zalo"], "address-province": "48", "address-commune": "20242",
        "address-street": "12 Lê Duẩn", "members-0-name": "Nguyễn Văn Bình",
        "members-0-relation": "chồng", "members-1-name": "", "members-1-relation": "",
        "agree": "on",
    }


def run(post: dict):
    return validate(FORM, read_submission(FORM, post), known_communes=COMMUNES)


def test_valid_submission_is_cleaned():
    result = run(valid_post())
    assert result.is_valid, result.errors
    cleaned = result.cleaned
    assert cleaned["full_name"] == "Nguyễn Thị Ánh"
    assert cleaned["birth_date"] == date(1990, 1, 5)
    assert cleaned["phone"] == "0905123456"
    assert cleaned["email"] == "anh@example.vn"
    assert cleaned["capital"] == 1500000
    assert cleaned["staff"] == Decimal(3)
    assert cleaned["address"] == {"province": "48", "commune": "20242", "street": "12 Lê Duẩn"}
    assert cleaned["members"] == [{"name": "Nguyễn Văn Bình", "relation": "chồng"}]
    assert "lost_where" not in cleaned  # hidden: purpose is not "lost"
    assert cleaned["agree"] is True


def test_every_error_at_once_next_to_its_field():
    post = valid_post() | {
        "full_name": "", "id_number": "12345", "birth_date": "31/02/2020", "phone": "12345",
        "email": "not-an-email", "capital": "abc", "staff": "11", "purpose": "lost",
        "lost_where": "", "address-commune": "99999", "members-0-name": "",
        "members-0-relation": "con", "agree": "",
    }
    errors = run(post).errors
    assert set(errors) == {
        "full_name", "id_number", "birth_date", "phone", "email", "capital", "staff",
        "lost_where", "address", "members-0-name", "members-0-guardian", "agree",
    }
    assert errors["full_name"] == ["Cần nhập «Họ và tên»."]
    assert "12 chữ số" in errors["id_number"][0]
    assert "ngày có thật" in errors["birth_date"][0]
    assert "không được lớn hơn 10" in errors["staff"][0]


def test_group_needs_its_minimum_items():
    post = {k: v for k, v in valid_post().items() if not k.startswith("members")}
    assert "members" in run(post).errors


def test_condition_filled_and_in():
    fields = [FormField.model_validate(f) for f in [
        {"key": "a", "label": "A", "type": "multiselect",
         "options": [{"value": "x", "label": "X"}, {"value": "y", "label": "Y"}]},
        {"key": "b", "label": "B", "type": "text", "required": True,
         "visible_when": {"field": "a", "in": ["y"]}},
        {"key": "c", "label": "C", "type": "text", "required": True,
         "visible_when": {"field": "a", "filled": True}},
    ]]
    assert validate(fields, {"a": []}).is_valid
    assert set(validate(fields, {"a": ["x"]}).errors) == {"c"}
    assert set(validate(fields, {"a": ["y"]}).errors) == {"b", "c"}


def test_definition_rejects_bad_forms():
    base = {"code": "DNG.000001", "name": "Thử", "field": "Khác", "levels": ["commune"]}
    with pytest.raises(ValidationError, match="lặp lại"):
        ProcedureDefinition.model_validate(base | {"form": [
            {"key": "a", "label": "A", "type": "text"},
            {"key": "a", "label": "B", "type": "text"}]})
    with pytest.raises(ValidationError, match="không có"):
        ProcedureDefinition.model_validate(base | {"form": [
            {"key": "a", "label": "A", "type": "text",
             "visible_when": {"field": "zz", "equals": "1"}}]})
    with pytest.raises(ValidationError, match="danh sách lựa chọn"):
        FormField.model_validate({"key": "s", "label": "S", "type": "select"})
    with pytest.raises(ValidationError, match="lồng nhau"):
        FormField.model_validate({"key": "g", "label": "G", "type": "group", "fields": [
            {"key": "h", "label": "H", "type": "group",
             "fields": [{"key": "x", "label": "X", "type": "text"}]}]})


# --- properties -------------------------------------------------------------------------------

valid_ids = st.builds(
    lambda province, digit, year, rest: f"{province}{digit}{year:02d}{rest:06d}",
    st.sampled_from(sorted(PROVINCE_CODES)), st.integers(0, 9), st.integers(0, 99),
    st.integers(0, 999_999),
)


@given(valid_ids)
def test_valid_id_numbers_parse(number):
    parsed = parse_id_number(number)
    assert parsed.number == number
    assert parsed.birth_year % 100 == int(number[4:6])
    assert parsed.female == (int(number[3]) % 2 == 1)
    assert mask(number).endswith(number[-3:]) and mask(number).count("*") == 9


@given(st.text(alphabet="0123456789", min_size=0, max_size=20).filter(lambda s: len(s) != 12))
def test_wrong_length_id_numbers_fail(number):
    with pytest.raises(InvalidIdNumber, match="12 chữ số"):
        parse_id_number(number)


@given(st.integers(0, 999).filter(lambda n: f"{n:03d}" not in PROVINCE_CODES),
       st.integers(0, 10**9 - 1))
def test_unknown_province_codes_fail(province, rest):
    with pytest.raises(InvalidIdNumber, match="mã tỉnh"):
        parse_id_number(f"{province:03d}{rest:09d}")


@given(st.integers(0, 10**13))
def test_money_in_vietnamese_grouping_round_trips(amount):
    field = FormField(key="m", label="M", type=FieldType.MONEY)
    grouped = f"{amount:,}".replace(",", ".")
    assert clean_value(field, grouped) == amount
    assert clean_value(field, f"{amount} đ") == amount


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_dates_in_both_forms(day):
    field = FormField(key="d", label="D", type=FieldType.DATE)
    assert clean_value(field, day.isoformat()) == day
    assert clean_value(field, day.strftime("%d/%m/%Y")) == day


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
       st.integers(min_value=-400, max_value=400))
def test_a_date_no_later_than_the_day_of_submission(today, offset):
    """max_value 0 on a date: not after the day of submission (a child's birth date)."""
    field = FormField(key="born", label="Ngày sinh", type=FieldType.DATE, max_value=0)
    day = date.fromordinal(today.toordinal() + offset)
    if offset <= 0:
        assert clean_value(field, day.isoformat(), today=today) == day
    else:
        with pytest.raises(FieldError, match="không được sau ngày hôm nay"):
            clean_value(field, day.isoformat(), today=today)


def test_date_bounds_count_days_from_submission():
    field = FormField(key="d", label="Ngày", type=FieldType.DATE, min_value=-60, max_value=5)
    today = date(2026, 3, 1)
    assert date_bounds(field, today) == (date(2025, 12, 31), date(2026, 3, 6))
    assert clean_value(field, "31/12/2025", today=today) == date(2025, 12, 31)
    with pytest.raises(FieldError, match="không được trước ngày 31/12/2025"):
        clean_value(field, "30/12/2025", today=today)
    with pytest.raises(FieldError, match="không được sau ngày 06/03/2026"):
        clean_value(field, "07/03/2026", today=today)
    # Through validate: the error sits next to the field and the other values stay valid.
    result = validate([field], {"d": "2026-03-07"}, today=today)
    assert result.errors == {"d": ["«Ngày» không được sau ngày 06/03/2026."]}
    with pytest.raises(ValidationError, match="số ngày nguyên"):
        FormField(key="d", label="Ngày", type=FieldType.DATE, max_value=Decimal("0.5"))
    assert "maximum" not in to_json_schema([field])["properties"]["d"]


field_values = st.fixed_dictionaries({
    "full_name": st.text(max_size=120), "id_number": st.text(max_size=14),
    "birth_date": st.text(max_size=12), "phone": st.text(max_size=14),
    "purpose": st.sampled_from(["new", "lost", "", "zz"]), "lost_where": st.text(max_size=20),
    "staff": st.text(max_size=5), "agree": st.sampled_from(["", "on"]),
    "members-0-name": st.text(max_size=10), "members-0-relation": st.sampled_from(["", "con"]),
})


@settings(max_examples=200)
@given(field_values)
def test_any_input_gives_errors_or_clean_values_never_a_crash(post):
    result = run(post)
    # Each field is either cleaned or has an error (or is hidden / optional and empty).
    assert not set(result.errors) & set(result.cleaned)
    if post["purpose"] != "lost":
        assert "lost_where" not in result.errors and "lost_where" not in result.cleaned
    for name in result.errors:
        assert all(message.endswith(".") for message in result.errors[name])


@settings(max_examples=100)
@given(st.text(min_size=1, max_size=50).filter(lambda s: s.strip()))
def test_text_is_kept_apart_from_white_space(text):
    field = FormField(key="t", label="T", type=FieldType.TEXT)
    assert clean_value(field, f"  {text} ") == " ".join(text.split())


def test_a_field_on_a_shared_code_list_takes_its_choices_from_it_and_stores_only_its_name():
    field = FormField.model_validate({"key": "dan_toc", "label": "Dân tộc", "type": "select",
                                      "code_list": "dan_toc"})
    values = [o.value for o in field.options]
    assert len(values) == 54 and values[0] == "Kinh" and "Ơ-đu" in values
    assert validate([field], {"dan_toc": "Brâu"}).is_valid
    assert not validate([field], {"dan_toc": "Kinh Việt"}).is_valid
    dumped = field.model_dump(mode="json", by_alias=True)
    assert dumped["code_list"] == "dan_toc" and "options" not in dumped
    assert FormField.model_validate(dumped) == field  # stored by name, read back whole
    with pytest.raises(ValidationError, match="không ghi thêm"):
        FormField.model_validate({"key": "a", "label": "A", "type": "select",
                                  "code_list": "dan_toc", "options": [{"value": "x",
                                                                       "label": "x"}]})
    with pytest.raises(ValidationError, match="không có danh mục dùng chung 'ton_giao'"):
        FormField.model_validate({"key": "a", "label": "A", "type": "select",
                                  "code_list": "ton_giao"})


def test_the_designer_saves_a_field_on_a_code_list_by_name():
    from dichvucong.catalog.designer_forms import FormFieldForm

    form = FormFieldForm(data={"key": "dan_toc", "label": "Dân tộc", "type": "select",
                               "code_list": "dan_toc", "position": "1"})
    assert form.is_valid(), form.errors
    item = form.to_item({})
    assert item["code_list"] == "dan_toc" and "options" not in item
    assert FormFieldForm.row_initial(item)["code_list"] == "dan_toc"
    mixed = FormFieldForm(data={"key": "d", "label": "D", "type": "text",
                                "code_list": "dan_toc", "position": "1"})
    assert not mixed.is_valid() and "code_list" in mixed.errors


# --- sections (pages) and defaults ---------------------------------------------------------------

def _sectioned(form: list[dict], sections: list[dict]) -> ProcedureDefinition:
    return ProcedureDefinition.model_validate({
        "code": "DNG.000123", "name": "Thử", "field": "Hộ tịch", "levels": ["commune"],
        "form": form, "form_sections": sections})


SECTIONED = [
    {"key": "ho_ten", "label": "Họ tên", "type": "text", "required": True},
    {"key": "ban_sao", "label": "Cấp bản sao", "type": "checkbox", "section": "ban_sao",
     "default": "true"},
    {"key": "ly_do", "label": "Lý do", "type": "select", "section": "nguoi", "default": "b",
     "options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]},
    {"key": "so_ban", "label": "Số bản", "type": "number", "section": "ban_sao",
     "visible_when": {"all_of": [{"field": "ban_sao", "equals": True},
                                 {"field": "ho_ten", "filled": True}]}},
    {"key": "ghi_chu", "label": "Ghi chú", "type": "text", "section": "ban_sao",
     "visible_when": {"field": "ho_ten", "filled": True}},
]


def test_a_form_in_sections_is_split_in_pages_in_the_sections_order():
    definition = _sectioned(SECTIONED, [{"key": "nguoi", "title": "Người yêu cầu"},
                                        {"key": "trong", "title": "Chưa có trường"},
                                        {"key": "ban_sao", "title": "Bản sao", "hint": "Nếu cần"}])
    pages = definition.form_pages()
    # A field naming no section is on the first; a section without fields has no page.
    assert [(p.section.key, [f.key for f in p.fields]) for p in pages] == [
        ("nguoi", ["ho_ten", "ly_do"]), ("ban_sao", ["ban_sao", "so_ban", "ghi_chu"])]
    assert _sectioned(SECTIONED[:1], []).form_pages()[0].section is None
    assert form_defaults(definition.form) == {"ban_sao": "true", "ly_do": "b"}


@pytest.mark.parametrize(("change", "message"), [
    ({"section": "khong_co"}, "nằm ở phần 'khong_co'"),
    ({"default": "c"}, "không có trong danh sách"),
])
def test_a_field_names_a_section_and_a_default_that_exist(change, message):
    form = [dict(SECTIONED[0]), {**SECTIONED[2], **change}]
    with pytest.raises(ValidationError, match=message):
        _sectioned(form, [{"key": "nguoi", "title": "Người yêu cầu"}])


@pytest.mark.parametrize(("form", "sections", "message"), [
    (SECTIONED[:1], [{"key": "a", "title": "A"}, {"key": "a", "title": "B"}], "lặp lại"),
    ([{"key": "x", "label": "X", "type": "checkbox", "default": "on"}], [], "'true'"),
    ([{"key": "g", "label": "G", "type": "group",
       "fields": [{"key": "y", "label": "Y", "type": "text", "section": "a"}]}],
     [{"key": "a", "title": "A"}], "phần của nhóm"),
])
def test_sections_and_defaults_are_checked(form, sections, message):
    with pytest.raises(ValidationError, match=message):
        _sectioned(form, sections)


def test_a_condition_on_another_pages_answer_is_settled_when_the_page_is_drawn():
    """The page has no input for an answer given on another page: the enhancement script must
    not read it as empty."""
    definition = _sectioned(SECTIONED, [{"key": "nguoi", "title": "Người"},
                                        {"key": "ban_sao", "title": "Bản sao"}])
    page = definition.form_pages()[1]
    bound = {b.name: b for b in bind(page.fields, {"ho_ten": "Lê Văn Tư", "ban_sao": "on"}, {})}
    assert bound["ghi_chu"].visible and bound["ghi_chu"].condition == {}
    assert bound["so_ban"].visible
    assert json.loads(bound["so_ban"].condition["when"]) == {
        "all": [{"field": "ban_sao", "equals": "on"}, {"const": True}]}
    hidden = {b.name: b for b in bind(page.fields, {"ban_sao": "on"}, {})}
    assert not hidden["so_ban"].visible  # ho_ten not answered: read on the page as before
    assert json.loads(hidden["so_ban"].condition["when"])["all"][1] == {
        "field": "ho_ten", "filled": "true"}
