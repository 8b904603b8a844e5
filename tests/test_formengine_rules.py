"""The form engine's rules between answers (issue #15 item 9): result templates that print a
repeating group's items and leave out empty lines, date order between two fields, conditions
combining several answers, and documents required only for some answers. Plain Python."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from dichvucong.catalog import resulttemplate
from dichvucong.catalog.definition import Condition, FormField, ProcedureDefinition
from dichvucong.catalog.formengine import (
    date_order_error,
    is_visible,
    to_json_schema,
    validate,
)
from dichvucong.dossiers.submission import document_needed, missing_documents

# --- result templates ----------------------------------------------------------------------------

MEMBERS = """# Thành viên
{{#thanh_vien}}
{{_n}}. {{ho_ten}}; sinh ngày {{ngay_sinh}}; quan hệ với chủ hộ {{chu_ho}}: {{quan_he}}
{{/thanh_vien}}
Nguyên nhân chết: {{nguyen_nhan}}
Nơi cấp: {{_agency}}"""


def test_a_group_block_prints_each_item_numbered_and_drops_empty_lines():
    values = {"chu_ho": "Nguyễn Thị Mai", "_agency": "UBND phường Hải Châu",
              "thanh_vien": [{"ho_ten": "Lê Ngọc Hân", "ngay_sinh": "02/09/2018",
                              "quan_he": "Cháu ruột"},
                             {"ho_ten": "Lê Minh An", "ngay_sinh": "", "quan_he": "Con"}]}
    assert resulttemplate.fill(MEMBERS, values).splitlines() == [
        "# Thành viên",
        "1. Lê Ngọc Hân; sinh ngày 02/09/2018; quan hệ với chủ hộ Nguyễn Thị Mai: Cháu ruột",
        "2. Lê Minh An; sinh ngày ; quan hệ với chủ hộ Nguyễn Thị Mai: Con",
        "Nơi cấp: UBND phường Hải Châu"]  # «Nguyên nhân chết: » left out: nothing to print
    # No items: the block prints nothing; a line without placeholders stays.
    assert resulttemplate.fill(MEMBERS, {}).splitlines() == ["# Thành viên"]


@given(st.lists(st.fixed_dictionaries({"a": st.text("aăđếỹ {}#/", max_size=8)}), max_size=6))
def test_a_block_writes_one_line_per_item_with_a_value(items):
    text = resulttemplate.fill("{{#g}}\n{{_n}}: {{a}}\n{{/g}}\n{{a}}", {"g": items})
    # {{_n}} is never empty, so every item gives its line; the outer {{a}} is empty: left out.
    assert text.splitlines() == [f"{n}: {item['a']}" for n, item in enumerate(items, 1)] or (
        not items and text == "")


@given(st.lists(st.sampled_from(["x", "", " "]), min_size=1, max_size=4))
def test_a_line_is_dropped_exactly_when_all_its_placeholders_are_empty(values):
    line = " ".join(f"{{{{k{i}}}}}" for i in range(len(values)))
    text = resulttemplate.fill("Nhãn: " + line, {f"k{i}": v for i, v in enumerate(values)})
    assert (text == "") == all(not v.strip() for v in values)


def test_template_problems_name_what_is_wrong():
    keys, groups = ["chu_ho", "thanh_vien", "_agency"], {"thanh_vien": ["ho_ten"]}
    assert resulttemplate.problems(MEMBERS.replace("{{ngay_sinh}}", "")
                                   .replace("{{quan_he}}", "").replace("{{nguyen_nhan}}", ""),
                                   keys, groups) == []
    assert resulttemplate.problems(MEMBERS, keys, groups) == [
        "Biểu mẫu không có trường: ngay_sinh, nguyen_nhan, quan_he"]
    assert "chưa đóng" in resulttemplate.problems("{{#thanh_vien}}\nx", keys, groups)[0]
    assert "không khớp" in resulttemplate.problems("{{/thanh_vien}}", keys, groups)[0]
    assert resulttemplate.problems("{{#chu_ho}}\n{{/chu_ho}}", keys, groups) == [
        "«chu_ho» không phải trường nhóm lặp lại của biểu mẫu"]


# --- date order ---------------------------------------------------------------------------------

PERMIT = [FormField.model_validate(f) for f in [
    {"key": "tu_ngay", "label": "Gia hạn từ ngày", "type": "date", "required": True},
    {"key": "den_ngay", "label": "Gia hạn đến ngày", "type": "date", "required": True,
     "after_field": "tu_ngay", "max_days_apart": 730},
]]


def test_a_date_after_another_within_two_years():
    ok = validate(PERMIT, {"tu_ngay": "2026-01-01", "den_ngay": "2027-12-31"})
    assert ok.is_valid, ok.errors
    same = validate(PERMIT, {"tu_ngay": "2026-01-01", "den_ngay": "01/01/2026"})
    assert same.errors == {"den_ngay": ["«Gia hạn đến ngày» phải sau «Gia hạn từ ngày» "
                                        "(01/01/2026)."]}
    long = validate(PERMIT, {"tu_ngay": "2026-01-01", "den_ngay": "2028-01-02"})
    assert long.errors == {"den_ngay": ["«Gia hạn đến ngày» và «Gia hạn từ ngày» cách nhau tối "
                                        "đa 730 ngày (đang cách 731 ngày)."]}
    # An invalid other day has its own error, and no order error besides.
    bad = validate(PERMIT, {"tu_ngay": "31/02/2026", "den_ngay": "2026-03-01"})
    assert list(bad.errors) == ["tu_ngay"]
    assert to_json_schema(PERMIT)["properties"]["den_ngay"]["x-date-order"] == {
        "after_field": "tu_ngay", "max_days_apart": 730}


def test_date_order_inside_a_group_item():
    group = FormField.model_validate({
        "key": "qua_trinh", "label": "Quá trình", "type": "group", "fields": [
            {"key": "tu", "label": "Từ ngày", "type": "date", "before_field": "den"},
            {"key": "den", "label": "Đến ngày", "type": "date"}]})
    checked = validate([group], {"qua_trinh": [{"tu": "2020-01-01", "den": "2021-01-01"},
                                               {"tu": "2022-01-01", "den": "2021-01-01"}]})
    assert checked.errors == {"qua_trinh-1-tu": ["«Từ ngày» phải trước «Đến ngày» "
                                                 "(01/01/2021)."]}


@given(st.dates(), st.integers(-1000, 1000), st.one_of(st.none(), st.integers(1, 800)),
       st.booleans())
def test_date_order_error_agrees_with_the_rule(day, shift, max_days, before):
    other = day + timedelta(days=shift)
    message = date_order_error("A", day, "B", other, before=before, max_days=max_days)
    ordered = day < other if before else day > other
    holds = ordered and (max_days is None or abs(shift) <= max_days)
    assert (message == "") == holds


def test_date_rules_are_checked_in_the_definition():
    with pytest.raises(ValidationError, match="không có trường ngày này cùng cấp"):
        ProcedureDefinition.model_validate(_definition(form=[
            {"key": "a", "label": "A", "type": "date", "before_field": "b"},
            {"key": "b", "label": "B", "type": "text"}]))
    with pytest.raises(ValidationError, match="chỉ trường ngày"):
        FormField.model_validate({"key": "a", "label": "A", "type": "text",
                                  "after_field": "b"})
    with pytest.raises(ValidationError, match="cần trường ngày so sánh"):
        FormField.model_validate({"key": "a", "label": "A", "type": "date",
                                  "max_days_apart": 3})


# --- combined conditions ----------------------------------------------------------------------

FATHER = Condition.model_validate({"all_of": [
    {"field": "co_cha", "equals": True},
    {"any_of": [{"field": "quoc_tich", "in": ["Việt Nam", "Lào, Campuchia"]},
                {"field": "ghi_chu", "filled": True}]}]})


@given(st.booleans(), st.sampled_from(["Việt Nam", "Lào, Campuchia", "Nhật Bản", ""]),
       st.sampled_from(["", "có"]))
def test_all_of_and_any_of_combine_their_tests(father, nationality, note):
    scope = {"co_cha": "on" if father else "", "quoc_tich": nationality, "ghi_chu": note}
    expected = father and (nationality in ("Việt Nam", "Lào, Campuchia") or bool(note))
    assert is_visible(FATHER, scope) == expected


def test_a_combined_condition_shows_fields_validates_and_is_a_schema_rule():
    form = [FormField.model_validate(f) for f in [
        {"key": "co_cha", "label": "Có thông tin người cha", "type": "checkbox"},
        {"key": "quoc_tich", "label": "Quốc tịch", "type": "text"},
        {"key": "ghi_chu", "label": "Ghi chú", "type": "text"},
        {"key": "cha_ho_ten", "label": "Họ tên người cha", "type": "text", "required": True,
         "visible_when": FATHER.model_dump(by_alias=True)}]]
    assert validate(form, {"co_cha": "", "quoc_tich": "Việt Nam"}).is_valid
    assert validate(form, {"co_cha": "on", "quoc_tich": "Việt Nam"}).errors == {
        "cha_ho_ten": ["Cần nhập «Họ tên người cha»."]}
    rule = to_json_schema(form)["allOf"][0]
    assert rule["then"] == {"required": ["cha_ho_ten"]}
    assert rule["if"]["allOf"][0] == {"required": ["co_cha"], "properties": {
        "co_cha": {"const": True}}}
    assert len(rule["if"]["allOf"][1]["anyOf"]) == 2
    # Stored as entered: only the combination, no empty single-field keys.
    assert FATHER.model_dump(mode="json", by_alias=True)["all_of"][0] == {
        "field": "co_cha", "equals": True, "in": None, "filled": None}
    assert set(FATHER.model_dump(mode="json", by_alias=True)) == {"all_of"}


def test_condition_shapes_are_checked():
    for bad in ({"all_of": [{"field": "a", "filled": True}], "field": "a"},
                {"any_of": []}, {"equals": "x"},
                {"field": "a", "equals": "x", "all_of": [{"field": "b", "filled": True}]}):
        with pytest.raises(ValidationError):
            Condition.model_validate(bad)
    with pytest.raises(ValidationError, match="đọc trường 'khong_co' không có"):
        ProcedureDefinition.model_validate(_definition(form=[
            {"key": "a", "label": "A", "type": "text", "visible_when": {"any_of": [
                {"field": "khong_co", "filled": True}]}}]))


# --- documents required for some answers --------------------------------------------------------

def _definition(**parts) -> dict:
    return {"code": "DNG.000001", "name": "Thủ tục thử", "field": "Thử", "levels": ["commune"],
            **parts}


LICENCE = ProcedureDefinition.model_validate(_definition(
    form=[{"key": "hang", "label": "Hạng", "type": "multiselect", "code_list": "hang_gplx"}],
    documents=[{"name": "Giấy phép lái xe"},
               {"name": "Giấy khám sức khỏe", "required_when": {
                   "field": "hang", "in": ["B", "C1", "C"]}},
               {"name": "Ảnh", "mandatory": False}]))


def test_a_document_is_required_only_for_the_answers_its_condition_names():
    health = LICENCE.documents[1]
    assert not document_needed(health, {"hang": ["A1", "B1"]})
    assert document_needed(health, {"hang": ["A1", "B"]})
    assert missing_documents(LICENCE, [], {"hang": ["A"]}) == [0]
    assert missing_documents(LICENCE, ["Giấy phép lái xe"], {"hang": ["C"]}) == [1]
    assert not document_needed(LICENCE.documents[2], {"hang": ["C"]})
    with pytest.raises(ValidationError, match="cần khi trường 'hang_xe' không có"):
        ProcedureDefinition.model_validate(_definition(documents=[
            {"name": "X", "required_when": {"field": "hang_xe", "filled": True}}]))


def test_a_result_holders_id_needs_the_holders_name():
    with pytest.raises(ValidationError, match="cần đi cùng trường họ tên"):
        ProcedureDefinition.model_validate(_definition(
            form=[{"key": "so", "label": "Số", "type": "id_number"}],
            results=[{"name": "Giấy", "holder_id_field": "so"}]))


def test_today_is_not_needed_for_order_rules():
    today = date(2026, 1, 10)
    assert validate(PERMIT, {"tu_ngay": "2026-01-11", "den_ngay": "2026-01-12"},
                    today=today).is_valid
