"""The submission form is filled from the applicant's profile, by the ``prefill`` each form field
declares: the citizen's own profile, and the citizen's (not the agent's) when an agent files."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.test import Client
from django.utils import timezone
from pydantic import ValidationError

from dichvucong.accounts.models import User
from dichvucong.adminunits.queries import communes_of
from dichvucong.catalog.definition import FieldType, FormField, ProcedureDefinition
from dichvucong.dossiers.prefill import place_name, profile_values

pytestmark = pytest.mark.django_db
PASSWORD = "demo-dichvucong"
CODE = "1.001193"

FORM = [
    {"key": "nguoi_khai", "label": "Họ, chữ đệm, tên người yêu cầu", "type": "text",
     "required": True, "prefill": "full_name"},
    {"key": "giay_to", "label": "Số định danh cá nhân", "type": "id_number", "required": True,
     "prefill": "id_number"},
    {"key": "sinh_ngay", "label": "Ngày, tháng, năm sinh", "type": "date",
     "prefill": "date_of_birth"},
    {"key": "phai", "label": "Giới tính", "type": "select", "prefill": "gender",
     "options": [{"value": "1", "label": "Nam"}, {"value": "2", "label": "Nữ"}]},
    {"key": "cu_tru", "label": "Nơi cư trú", "type": "address", "prefill": "address"},
    {"key": "cu_tru_chu", "label": "Nơi cư trú (ghi bằng chữ)", "type": "textarea",
     "prefill": "address"},
    {"key": "lien_he", "label": "Điện thoại liên hệ", "type": "phone", "prefill": "phone"},
    {"key": "ho_ten", "label": "Họ tên người con", "type": "text"},  # declared: no guessing
]


def fields(form=FORM) -> list[FormField]:
    return [FormField.model_validate(f) for f in form]


def person(username: str, **profile) -> User:
    return User.objects.create_user(username, password=PASSWORD, **profile)


@pytest.fixture
def commune() -> str:
    return communes_of("48")[0][0]


def test_profile_values_follow_the_declared_prefill(commune):
    user = person("cd.prefill1", full_name="Võ Thị Mai", id_number="048195000123",
                  date_of_birth=date(1995, 3, 25), gender="female", phone="0905777101",
                  address={"province": "48", "commune": commune, "street": "12 Bạch Đằng"})
    values = profile_values(fields(), user, place_name)
    assert values["nguoi_khai"] == "Võ Thị Mai" and values["giay_to"] == "048195000123"
    assert values["sinh_ngay"] == "1995-03-25" and values["phai"] == "2"
    assert values["cu_tru"] == {"province": "48", "commune": commune, "street": "12 Bạch Đằng"}
    assert values["cu_tru_chu"].startswith("12 Bạch Đằng, ")
    assert values["cu_tru_chu"].endswith("Đà Nẵng")
    assert values["lien_he"] == "0905777101"
    assert "ho_ten" not in values  # a form that declares prefill is not guessed at


def test_an_empty_profile_fills_nothing_and_old_forms_keep_the_key_guess():
    assert profile_values(fields(), person("cd.prefill2")) == {}
    legacy = fields([{"key": "ho_ten", "label": "Họ tên", "type": "text"},
                     {"key": "so_dien_thoai", "label": "Điện thoại", "type": "phone"}])
    user = person("cd.prefill3", full_name="Ngô Văn Tư", phone="0905777102")
    assert profile_values(legacy, user) == {"ho_ten": "Ngô Văn Tư",
                                            "so_dien_thoai": "0905777102"}


def test_a_gender_text_field_gets_the_word():
    text = fields([{"key": "gioi_tinh", "label": "Giới tính", "type": "text",
                    "prefill": "gender"}])
    assert profile_values(text, person("cd.prefill4", gender="male")) == {"gioi_tinh": "Nam"}


@pytest.mark.parametrize("field", [
    {"key": "a", "label": "A", "type": "number", "prefill": "full_name"},
    {"key": "a", "label": "A", "type": "date", "prefill": "address"},
    {"key": "a", "label": "A", "type": "text", "prefill": "shoe_size"},
])
def test_the_definition_refuses_a_prefill_the_field_cannot_hold(field):
    with pytest.raises(ValidationError):
        FormField.model_validate(field)


def test_prefill_inside_a_repeating_group_is_refused():
    group = {"key": "con", "label": "Con", "type": "group",
             "fields": [{"key": "ten", "label": "Tên", "type": "text", "prefill": "full_name"}]}
    with pytest.raises(ValidationError, match="nhóm"):
        FormField.model_validate(group)


def test_the_json_schema_documents_prefill():
    from dichvucong.catalog.definition import json_schema

    schema = json_schema()
    assert "ProfileKey" in schema["$defs"]
    assert set(schema["$defs"]["ProfileKey"]["enum"]) == {
        "full_name", "id_number", "date_of_birth", "gender", "phone", "email", "address"}
    assert FieldType.ADDRESS.value in schema["$defs"]["FieldType"]["enum"]


def publish_form(form=FORM):
    from dichvucong.catalog.models import Procedure
    from dichvucong.catalog.versions import approve, save_draft, start_draft, submit

    designer = User.objects.get(username="quantri.thutuc")
    procedure = Procedure.objects.get(code=CODE)
    draft = start_draft(procedure, designer)
    definition = dict(draft.definition)
    definition["form"] = form
    definition["workflow"] = [{"name": "Thẩm định", "role": "specialist", "share": "0.7"},
                              {"name": "Phê duyệt", "role": "leader", "share": "0.3"}]
    ProcedureDefinition.model_validate(definition)
    save_draft(draft, definition)
    submit(draft, designer)
    approve(draft, User.objects.get(username="kiemsoat"), timezone.localdate())


def test_the_submission_form_is_prefilled_from_the_applicants_profile(commune):
    publish_form()
    citizen = person("cd.prefill5", full_name="Đinh Thị Lan", id_number="048195000777",
                     date_of_birth=date(1990, 1, 2), gender="female", phone="0905777103",
                     phone_verified=True,
                     address={"province": "48", "commune": commune, "street": "5 Lê Lợi"})
    client = Client()
    client.force_login(citizen)
    page = client.get(f"/thu-tuc/{CODE}/nop-ho-so/").content.decode()
    assert 'value="Đinh Thị Lan"' in page and 'value="048195000777"' in page
    assert re.search(r'<option value="2"\s+selected', page)
    assert 'value="5 Lê Lợi"' in page and f'value="{commune}" selected' in page
    assert "5 Lê Lợi, " in page  # the text address


def test_an_agent_filing_gets_the_citizens_profile_not_their_own(commune):
    import tests.test_agents as agents_tests

    publish_form()
    citizen = person("cd.prefill6", full_name="Hà Văn Sơn", id_number="048090000888",
                     phone="0905777104", phone_verified=True, gender="male",
                     address={"province": "48", "commune": commune, "street": "9 Hùng Vương"})
    agent = User.objects.get(username="daily.buudien")
    agent.id_number, agent.phone = "048085000999", "0905777105"
    agent.save()
    from django.core.cache import cache

    cache.clear()
    client = agents_tests.login("daily.buudien")
    consent = agents_tests.consent_through_pages(client, citizen.phone)
    page = client.get(f"/thu-tuc/{CODE}/nop-ho-so/?consent={consent.pk}").content.decode()
    assert 'value="Hà Văn Sơn"' in page and 'value="048090000888"' in page
    assert "048085000999" not in page and "Lê Văn Cường" not in page.split("<main")[1]
    assert 'value="9 Hùng Vương"' in page and 'value="0905777104"' in page


def test_the_designer_sets_prefill_and_refuses_a_misfit(client):
    from tests.test_designer import DESIGNER, create, draft_of, post_section

    client.force_login(User.objects.get(username=DESIGNER))
    code = create(client, "Thủ tục thử điền sẵn")
    good = [{"key": "ho_ten", "label": "Họ và tên", "type": "text", "prefill": "full_name"},
            {"key": "noi_o", "label": "Nơi ở", "type": "address", "prefill": "address"}]
    response = post_section(client, code, "form", good)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert [f.get("prefill") for f in draft_of(code)["form"]] == ["full_name", "address"]
    editor = client.get(f"/thiet-ke/{code}/nhap/").content.decode()
    assert "Điền sẵn từ hồ sơ cá nhân" in editor
    assert re.search(r'<option value="address"\s+selected', editor)
    bad = [{"key": "so_con", "label": "Số con", "type": "number", "prefill": "full_name"}]
    response = post_section(client, code, "form", bad)
    assert response.status_code == 400
    assert "Loại trường này không chứa được thông tin đó." in response.content.decode()
    assert [f.get("prefill") for f in draft_of(code)["form"]] == ["full_name", "address"]


def test_a_ward_level_filing_starts_at_the_applicants_own_ward(commune):
    """The receiving agency of a ward-level procedure is preselected from the ward of the
    applicant's address; without one the applicant chooses (no agency preselected)."""
    from dichvucong.agencies.models import Agency

    home = Agency.objects.get(kind="commune_committee", administrative_unit__code=commune)
    other = Agency.objects.filter(kind="commune_committee").exclude(pk=home.pk).first()
    citizen = person("cd.prefill6", full_name="Lê Văn Hòa",
                     address={"province": "48", "commune": commune, "street": "9 Hùng Vương"})
    client = Client()
    client.force_login(citizen)
    options = agency_options(client)
    assert len(options) > 2 and str(other.pk) in dict(options)  # every ward is offered
    assert [pk for pk, selected in options if selected] == [str(home.pk)]

    client.force_login(person("cd.prefill7", full_name="Phan Thị Cúc"))  # no address
    assert not [pk for pk, selected in agency_options(client) if selected]


def agency_options(client) -> list[tuple[str, str]]:
    """(value, " selected" or "") of the receiving agency's select."""
    page = client.get(f"/thu-tuc/{CODE}/nop-ho-so/").content.decode()
    select = re.search(r'<select id="f-agency".*?</select>', page, re.S).group(0)
    return re.findall(r'<option value="(\d+)"( selected)?>', select)
