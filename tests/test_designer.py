"""The service designer's editor (/thiet-ke/): access, each section, preview, publication,
versions, comparison, export and import."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from dichvucong.accounts.models import Membership, Role, User
from dichvucong.agencies.models import Agency
from dichvucong.catalog.definition import Level, ProcedureDefinition
from dichvucong.catalog.designer_forms import SECTIONS
from dichvucong.catalog.formengine import to_json_schema
from dichvucong.catalog.models import Procedure, ProcedureVersion
from dichvucong.catalog.versions import create_procedure

pytestmark = pytest.mark.django_db

DESIGNER = "quantri.thutuc"
PASSWORD = "demo-dichvucong"

GENERAL = {
    "name": "Cấp giấy xác nhận tham gia lớp kỹ năng số",
    "field": "Chuyển đổi số",
    "levels": ["province"],
    "online_mode": "full",
    "channels": ["online", "in_person"],
    "applicant_types": "Công dân Việt Nam\nNgười nước ngoài cư trú tại Đà Nẵng",
    "conditions": "Đã hoàn thành khóa học.",
    "steps_text": "Nộp hồ sơ; nhận kết quả.",
    "legal_basis": "Quyết định 1/2025/QĐ-UBND\nQuyết định 2/2025/QĐ-UBND",
    "presence_required": "",
    "keywords": "kỹ năng số",
}
PROCESSING = {"time_value": "5", "unit": "working_days", "online_value": "3", "cutoff": ""}
FEES = [{"name": "Lệ phí", "amount": "50.000", "online_amount": "25000", "unit": "per_dossier",
         "note": "", "exemptions": "Người có công"}]
DOCUMENTS = [
    {"name": "Tờ khai", "mandatory": True, "copies": "1", "copy_type": "original",
     "template": "Mẫu TK-01", "position": "1"},
    {"name": "Chứng chỉ hoàn thành khóa học", "mandatory": True, "copies": "1",
     "copy_type": "certified_copy", "store_document_types": "chung_chi\nbang_cap",
     "position": "2"},
    {"name": "Giấy ủy quyền", "mandatory": False, "condition": "Khi nộp thay", "copies": "1",
     "copy_type": "original", "position": "3"},
]
FIELDS = [
    {"key": "ho_ten", "label": "Họ và tên", "type": "text", "required": True,
     "max_length": "100"},
    {"key": "ngay_sinh", "label": "Ngày sinh", "type": "date", "required": True},
    {"key": "so_dinh_danh", "label": "Số định danh cá nhân", "type": "id_number",
     "required": True},
    {"key": "dien_thoai", "label": "Số điện thoại", "type": "phone", "required": True},
    {"key": "email", "label": "Thư điện tử", "type": "email"},
    {"key": "tinh_trang", "label": "Tình trạng hôn nhân", "type": "select", "required": True,
     "options": "Chưa kết hôn\nda_ket_hon|Đã kết hôn"},
    {"key": "ten_vo_chong", "label": "Họ tên vợ hoặc chồng", "type": "text", "required": True,
     "cond_field": "tinh_trang", "cond_operator": "equals", "cond_value": "da_ket_hon"},
    {"key": "co_con", "label": "Có con chưa thành niên", "type": "checkbox"},
    {"key": "con", "label": "Con chưa thành niên", "type": "group", "cond_field": "co_con",
     "cond_operator": "equals", "cond_value": "có", "max_items": "5"},
    {"key": "ho_ten", "label": "Họ tên con", "type": "text", "required": True, "group": "con"},
    {"key": "nam_sinh", "label": "Năm sinh", "type": "number", "required": True,
     "min_value": "1900", "max_value": "2100", "group": "con"},
]
WORKFLOW = [
    {"name": "Thẩm định hồ sơ", "role": "specialist", "share": "60", "position": "1"},
    {"name": "Phê duyệt", "role": "leader", "share": "40", "position": "2"},
]
RESULT = {"name": "Giấy xác nhận", "document_type": "giay_xac_nhan", "validity": "Không thời hạn",
          "template": "Xác nhận ông/bà {{ ho_ten }} đã hoàn thành khóa học."}


# --- helpers -------------------------------------------------------------------------------------

def _flat(prefix: str, values: dict) -> dict:
    data = {}
    for name, value in values.items():
        if value is True:
            data[f"{prefix}-{name}"] = "on"
        elif value is False or value is None:
            continue
        else:
            data[f"{prefix}-{name}"] = value
    return data


def section_data(code: str, key: str, values) -> dict:
    """POST data for one section; a list of rows for the formset sections (replacing the saved
    rows, which are posted as initial forms the way the page renders them)."""
    if not isinstance(values, list):
        return _flat(key, values)
    draft = ProcedureVersion.objects.get(procedure__code=code, status="draft")
    initial = len(SECTIONS[key].form_class.initial_from(draft.definition))
    data = {f"{key}-TOTAL_FORMS": str(max(len(values), initial)),
            f"{key}-INITIAL_FORMS": str(initial), f"{key}-MIN_NUM_FORMS": "0",
            f"{key}-MAX_NUM_FORMS": "100"}
    for index, row in enumerate(values):
        data |= _flat(f"{key}-{index}", row)
    for index in range(len(values), initial):  # saved rows not given: delete them
        data |= {f"{key}-{index}-{name}": value for name, value in
                 _initial_row(key, draft.definition, index).items()}
        data[f"{key}-{index}-DELETE"] = "on"
    return data


def _initial_row(key: str, definition: dict, index: int) -> dict:
    row = SECTIONS[key].form_class.initial_from(definition)[index]
    return {name: ("on" if value is True else value if isinstance(value, list) else str(value))
            for name, value in row.items()
            if value is not None and value is not False and value != "" and value != []
            and name != "exempt_when"}


def post_section(client: Client, code: str, key: str, values, follow: bool = False):
    return client.post(f"/thiet-ke/{code}/nhap/?section={key}", section_data(code, key, values),
                       follow=follow)


def draft_of(code: str) -> dict:
    return ProcedureVersion.objects.get(procedure__code=code, status="draft").definition


@pytest.fixture
def designer(client: Client) -> Client:
    client.force_login(User.objects.get(username=DESIGNER))
    return client


def create(client: Client, name: str = "Thủ tục thử nghiệm của Sở", field: str = "Hộ tịch",
           level: str = "province") -> str:
    response = client.post("/thiet-ke/", {"new-name": name, "new-field": field,
                                          "new-level": level})
    assert response.status_code == 302, response.content.decode()[:2000]
    code = re.search(r"/thiet-ke/([^/]+)/nhap/", response["Location"]).group(1)
    return code


def build_complete(client: Client, name: str = GENERAL["name"]) -> str:
    code = create(client, name)
    for key, values in [("general", GENERAL | {"name": name}), ("processing", PROCESSING),
                        ("fees", FEES), ("documents", DOCUMENTS), ("form", FIELDS),
                        ("workflow", WORKFLOW), ("result", [RESULT])]:
        response = post_section(client, code, key, values)
        assert response.status_code == 302, (key, _errors(response))
    return code


def _errors(response) -> list[str]:
    html = response.content.decode()
    return re.findall(r'class="field-error"[^>]*>(.*?)</', html, re.S)[:20]


CONTROLLER = "kiemsoat"  # a procedure controller of the city's People's Committee


def publish(client: Client, code: str):
    """Send the draft for approval; when it went, a procedure controller approves it from today.
    The designer's page after the submission (its refusal), or after the approval."""
    response = client.post(f"/thiet-ke/{code}/gui-phe-duyet/", follow=True)
    if not ProcedureVersion.objects.filter(procedure__code=code, status="submitted").exists():
        return response
    controller = Client()
    controller.force_login(User.objects.get(username=CONTROLLER))
    approved = controller.post(f"/thiet-ke/phe-duyet/{code}/", {
        "action": "approve", "approve-effective_from": timezone.localdate().isoformat()})
    assert approved.status_code == 302, approved.content.decode()[:2000]
    return client.get(f"/thiet-ke/{code}/")


# --- access --------------------------------------------------------------------------------------

def test_anonymous_is_sent_to_login(client):
    for url in ["/thiet-ke/", "/thiet-ke/1.001193/", "/thiet-ke/1.001193/nhap/",
                "/thiet-ke/nhap-khau/", "/thiet-ke/1.001193/xuat/1.json"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/dang-nhap/?next=")


def test_a_citizen_is_refused(client):
    client.force_login(User.objects.get(username="congdan"))
    assert client.get("/thiet-ke/").status_code == 403
    assert client.get("/thiet-ke/nhap-khau/").status_code == 403
    assert client.get("/thiet-ke/1.001193/").status_code == 404
    assert client.post("/thiet-ke/", {"new-name": "x", "new-field": "y",
                                      "new-level": "province"}).status_code == 403


def test_a_designer_sees_only_their_agencys_procedures(client, designer):
    other_agency = Agency.objects.get(name="Ủy ban nhân dân phường Hải Châu")
    other = User.objects.create_user("thietke.haichau", password=PASSWORD)
    Membership.objects.create(user=other, agency=other_agency, role=Role.SERVICE_DESIGNER)
    foreign = create_procedure(other_agency, other, "Thủ tục riêng của phường Hải Châu",
                               "Hộ tịch", Level.COMMUNE)
    code = foreign.procedure.code

    response = designer.get("/thiet-ke/")
    assert response.status_code == 200
    justice = Agency.objects.get(name="Sở Tư pháp")
    assert {p.owner_id for p in response.context["page"].object_list} <= {justice.pk}
    assert "Thủ tục riêng của phường Hải Châu" not in response.content.decode()
    assert designer.get("/thiet-ke/?q=rieng cua phuong").context["page"].paginator.count == 0
    for url in [f"/thiet-ke/{code}/", f"/thiet-ke/{code}/nhap/",
                f"/thiet-ke/{code}/nhap/xem-truoc/", f"/thiet-ke/{code}/xuat/1.json",
                f"/thiet-ke/{code}/so-sanh/"]:
        assert designer.get(url).status_code == 404, url
    assert designer.post(f"/thiet-ke/{code}/nhap/?section=general",
                         _flat("general", GENERAL)).status_code == 404
    assert designer.post(f"/thiet-ke/{code}/cong-bo/").status_code == 404
    assert foreign.definition["name"] == "Thủ tục riêng của phường Hải Châu"

    # The other designer sees theirs, found without diacritics.
    client.force_login(other)
    found = client.get("/thiet-ke/?q=rieng cua phuong hai chau")
    assert [p.code for p in found.context["page"].object_list] == [code]


def test_csrf_is_enforced():
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username=DESIGNER))
    data = {"new-name": "Thủ tục có CSRF", "new-field": "Hộ tịch", "new-level": "province"}
    assert client.post("/thiet-ke/", data).status_code == 403
    assert not Procedure.objects.filter(name="Thủ tục có CSRF").exists()
    page = client.get("/thiet-ke/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"',
                      page.content.decode()).group(1)
    assert client.post("/thiet-ke/", data | {"csrfmiddlewaretoken": token}).status_code == 302
    assert Procedure.objects.filter(name="Thủ tục có CSRF").exists()


# --- creating, editing, publishing ---------------------------------------------------------------

def test_create_edit_every_section_and_publish(client, designer):
    code = create(designer, "Thủ tục mới tinh", field="  hộ   TỊCH ")
    procedure = Procedure.objects.get(code=code)
    assert procedure.field.name == "Hộ tịch"  # the existing field, not a new one
    assert procedure.current_version is None
    assert client.get(f"/thu-tuc/{code}/").status_code == 404
    listing = designer.get("/thiet-ke/")
    assert listing.context["page"].object_list[0].code == code  # drafts and new ones first
    editor = designer.get(f"/thiet-ke/{code}/nhap/")
    assert editor.status_code == 200
    html = editor.content.decode()
    assert "Chưa có thời hạn giải quyết." in html  # the publication checklist
    for key in SECTIONS:
        assert f'id="section-{key}"' in html

    # Publishing too early explains why, and publishes nothing.
    response = publish(designer, code)
    assert "Chưa có thành phần hồ sơ." in response.content.decode()
    assert Procedure.objects.get(code=code).current_version is None

    # A VNeID login required to file online (accounts.assurance), and a signed declaration
    # (results/declaration_signing.py): saved with the rest.
    for key, values in [("general", GENERAL | {"identity_level": "1", "signed_declaration": "on"}),
                        ("processing", PROCESSING),
                        ("fees", FEES), ("documents", DOCUMENTS), ("form", FIELDS),
                        ("workflow", WORKFLOW),
                        ("result", [RESULT])]:
        response = post_section(designer, code, key, values)
        assert response.status_code == 302, (key, _errors(response))
        assert response["Location"].endswith(f"/thiet-ke/{code}/nhap/?phan={key}#section-{key}")

    definition = ProcedureDefinition.model_validate(draft_of(code))
    assert definition.name == GENERAL["name"]
    assert definition.applicant_types == ["Công dân Việt Nam",
                                          "Người nước ngoài cư trú tại Đà Nẵng"]
    assert [c.channel for c in definition.channels] == ["online", "in_person"]
    assert definition.identity_level == 1
    assert definition.declaration.signed
    assert definition.processing.time_limit.value == 5
    assert definition.processing.online_time_limit.value == 3
    assert definition.fees[0].amount == 50000 and definition.fees[0].online_amount == 25000
    assert definition.fees[0].exemptions == ["Người có công"]
    assert [d.name for d in definition.documents] == [d["name"] for d in DOCUMENTS]
    assert definition.documents[1].store_document_types == ["chung_chi", "bang_cap"]
    assert not definition.documents[2].mandatory
    keys = [f.key for f in definition.form]
    assert keys == ["ho_ten", "ngay_sinh", "so_dinh_danh", "dien_thoai", "email", "tinh_trang",
                    "ten_vo_chong", "co_con", "con"]
    options = definition.form[5].options
    assert [(o.value, o.label) for o in options] == [("chua-ket-hon", "Chưa kết hôn"),
                                                    ("da_ket_hon", "Đã kết hôn")]
    assert definition.form[6].visible_when.equals == "da_ket_hon"
    group = definition.form[8]
    assert group.visible_when.equals is True and group.max_items == 5
    assert [f.key for f in group.fields] == ["ho_ten", "nam_sinh"]
    assert group.fields[1].min_value == 1900
    assert [(s.role, s.share) for s in definition.workflow] == [
        ("specialist", Decimal("0.6")), ("leader", Decimal("0.4"))]
    assert definition.results[0].template.startswith("Xác nhận ông/bà {{ ho_ten }}")

    editor = designer.get(f"/thiet-ke/{code}/nhap/").content.decode()
    assert "Bản nháp đủ điều kiện công bố." in editor
    assert "nhanh hơn 40%" in editor
    assert 'class="procedure-form"' in editor  # the preview beside the editor

    response = publish(designer, code)
    assert "Gửi phê duyệt" in response.content.decode()  # the version's audit trail
    procedure.refresh_from_db()
    assert procedure.current_version.number == 1
    assert procedure.name == GENERAL["name"] and procedure.online_mode == "full"
    page = client.get(f"/thu-tuc/{code}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert GENERAL["name"] in text and "Chứng chỉ hoàn thành khóa học" in text
    assert "50.000 đ" in text

    # The published form's JSON Schema (what /api/v1/catalog/procedures/<code>/form-schema
    # serves).
    schema = to_json_schema(procedure.current_version.parsed().form, title=GENERAL["name"])
    assert schema["required"] == ["ho_ten", "ngay_sinh", "so_dinh_danh", "dien_thoai",
                                  "tinh_trang"]
    assert schema["properties"]["tinh_trang"]["enum"] == ["chua-ket-hon", "da_ket_hon"]
    assert {"if": {"required": ["tinh_trang"],
                   "properties": {"tinh_trang": {"const": "da_ket_hon"}}},
            "then": {"required": ["ten_vo_chong"]}} in schema["allOf"]
    children = schema["properties"]["con"]
    assert children["type"] == "array" and children["maxItems"] == 5
    assert children["items"]["required"] == ["ho_ten", "nam_sinh"]


def test_editing_a_published_procedure_makes_a_new_draft(designer):
    code = build_complete(designer)
    publish(designer, code)
    published = ProcedureVersion.objects.get(procedure__code=code, status="published")
    before = json.loads(json.dumps(published.definition))

    # No draft: the editor sends the designer to start one.
    response = designer.get(f"/thiet-ke/{code}/nhap/")
    assert response.status_code == 302 and response["Location"] == f"/thiet-ke/{code}/"
    response = designer.post(f"/thiet-ke/{code}/tao-ban-nhap/")
    assert response["Location"] == f"/thiet-ke/{code}/nhap/"
    draft = ProcedureVersion.objects.get(procedure__code=code, status="draft")
    assert draft.number == 2 and draft.definition == published.definition

    changed = [FEES[0] | {"amount": "60000"}]
    assert post_section(designer, code, "fees", changed).status_code == 302
    published.refresh_from_db()
    assert published.definition == before
    assert draft_of(code)["fees"][0]["amount"] == 60000

    publish(designer, code)
    statuses = dict(ProcedureVersion.objects.filter(procedure__code=code)
                    .values_list("number", "status"))
    assert statuses == {1: "superseded", 2: "published"}
    procedure = Procedure.objects.get(code=code)
    assert procedure.current_version.number == 2
    assert procedure.current_version.definition["fees"][0]["amount"] == 60000

    # The comparison page lists the changed fee.
    page = designer.get(f"/thiet-ke/{code}/so-sanh/?a=1&b=2")
    assert page.status_code == 200
    rows = page.context["rows"]
    assert [(r["path"], r["kind_key"], r["old"], r["new"]) for r in rows] == [
        ("Phí, lệ phí › mục 1 › mức thu", "changed", "50000", "60000")]
    assert "Phí, lệ phí › mục 1 › mức thu" in page.content.decode()
    versions_page = designer.get(f"/thiet-ke/{code}/").content.decode()
    assert "Đã thay thế" in versions_page and "Đã công bố" in versions_page


def test_export_then_import_round_trip(designer):
    code = build_complete(designer)
    publish(designer, code)
    response = designer.get(f"/thiet-ke/{code}/xuat/1.json")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{code}-v1.json"'
    exported = json.loads(response.content)
    assert exported == ProcedureVersion.objects.get(procedure__code=code, number=1).definition

    # Back onto the same procedure: it becomes its draft, identical.
    upload = SimpleUploadedFile("thu-tuc.json", response.content, "application/json")
    result = designer.post("/thiet-ke/nhap-khau/", {"file": upload})
    assert result.status_code == 302 and result["Location"] == f"/thiet-ke/{code}/nhap/"
    assert draft_of(code) == exported
    assert ProcedureVersion.objects.get(procedure__code=code, status="draft").number == 2

    # A code not in the catalog: a new procedure of the designer's agency, with a new code.
    other = exported | {"code": "TPH.123456", "name": "Thủ tục nhập từ tệp"}
    upload = SimpleUploadedFile("moi.json", json.dumps(other).encode(), "application/json")
    result = designer.post("/thiet-ke/nhap-khau/", {"file": upload})
    assert result.status_code == 302
    new_code = re.search(r"/thiet-ke/([^/]+)/nhap/", result["Location"]).group(1)
    new = Procedure.objects.get(code=new_code)
    assert new.owner.name == "Sở Tư pháp"
    assert draft_of(new_code) == other | {"code": new_code}


def test_malformed_imports_save_nothing(designer):
    counts = (Procedure.objects.count(), ProcedureVersion.objects.count())
    for content, message in [
        (b"{not json", "Tệp không phải JSON hợp lệ"),
        (b"\xff\xfe\x00", "UTF-8"),
        (json.dumps({"code": "TPH.123457", "name": "", "field": "Hộ tịch",
                     "levels": ["province"], "fees": [{"amount": -1}]}).encode(),
         "Phí, lệ phí › mục 1 › mức thu: Không được nhỏ hơn 0."),
        (json.dumps({"code": "khong-hop-le", "name": "X", "field": "Y",
                     "levels": []}).encode(), "Mã thủ tục"),
    ]:
        upload = SimpleUploadedFile("sai.json", content, "application/json")
        response = designer.post("/thiet-ke/nhap-khau/", {"file": upload})
        assert response.status_code == 400
        html = response.content.decode()
        assert "chưa lưu gì" in html and message in html, html[-3000:]
    response = designer.post("/thiet-ke/nhap-khau/", {})
    assert response.status_code == 400 and "field-error" in response.content.decode()
    assert (Procedure.objects.count(), ProcedureVersion.objects.count()) == counts


def test_importing_another_agencys_code_is_refused(designer):
    national = Procedure.objects.exclude(owner__name="Sở Tư pháp").filter(
        current_version__isnull=False).first()
    content = json.dumps(national.current_version.definition).encode()
    before = ProcedureVersion.objects.count()
    upload = SimpleUploadedFile("khac.json", content, "application/json")
    response = designer.post("/thiet-ke/nhap-khau/", {"file": upload})
    assert response.status_code == 400
    assert "thuộc cơ quan khác" in response.content.decode()
    assert ProcedureVersion.objects.count() == before


# --- errors keep what was typed ------------------------------------------------------------------

def test_invalid_sections_show_errors_and_keep_the_typed_values(designer):
    code = create(designer)
    before = draft_of(code)

    response = post_section(designer, code, "processing",
                            {"time_value": "năm ngày", "unit": "working_days",
                             "online_value": "9", "cutoff": "25:00"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="năm ngày"' in html and 'value="25:00"' in html
    assert 'aria-describedby="id_processing-cutoff_helptext id_processing-cutoff_error"' in html
    assert "Ghi giờ theo dạng giờ:phút" in html
    assert 'href="#id_processing-time_value"' in html  # the section's error summary

    rows = [FIELDS[0] | {"key": "Họ tên"}, FIELDS[5] | {"options": ""},
            FIELDS[9] | {"group": "khong_co"}]
    response = post_section(designer, code, "form", rows)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="Họ tên"' in html and "Khóa gồm chữ thường không dấu" in html
    assert "Trường chọn cần danh sách lựa chọn." in html
    assert 'value="khong_co"' in html

    response = post_section(designer, code, "form", [FIELDS[9] | {"group": "khong_co"}])
    assert "Không có trường nhóm «khong_co»" in response.content.decode()

    response = post_section(designer, code, "form", [
        FIELDS[0], FIELDS[6] | {"cond_field": "khong_co"}])
    assert "Không có trường «khong_co» cùng cấp" in response.content.decode()

    response = post_section(designer, code, "workflow", [WORKFLOW[0],
                                                         WORKFLOW[1] | {"share": "30"}])
    assert response.status_code == 400
    html = response.content.decode()
    assert "phải bằng 100%, đang là 90%" in html
    assert 'value="Phê duyệt"' in html and 'value="30"' in html

    response = post_section(designer, code, "fees", [FEES[0] | {"amount": "-5"}])
    assert response.status_code == 400 and 'value="-5"' in response.content.decode()

    response = post_section(designer, code, "general", GENERAL | {"channels": []})
    assert "Dịch vụ trực tuyến cần có hình thức nộp trực tuyến." in response.content.decode()

    response = post_section(designer, code, "result",
                            [RESULT | {"template": "{{ khong_co }}"}])
    assert "Biểu mẫu không có trường: khong_co." in response.content.decode()
    assert draft_of(code) == before


def test_pydantic_errors_land_on_the_row_they_are_about():
    from pydantic import ValidationError

    from dichvucong.catalog.designer_views import _place_errors

    section = SECTIONS["fees"]
    definition = {"code": "TPH.900001", "name": "X", "field": "Y", "levels": ["province"]}
    data = section_data_free("fees", [FEES[0], FEES[0] | {"name": "Phí khác"}])
    formset = section.build(definition, data)
    assert formset.is_valid(), formset.errors
    placements = formset.apply(definition)
    definition["fees"][1]["amount"] = -1
    with pytest.raises(ValidationError) as info:
        ProcedureDefinition.model_validate(definition)
    assert _place_errors(info.value, placements) == []
    assert formset.forms[1].errors == {"amount": ["Không được nhỏ hơn 0."]}


def section_data_free(key: str, rows: list[dict]) -> dict:
    data = {f"{key}-TOTAL_FORMS": str(len(rows)), f"{key}-INITIAL_FORMS": "0",
            f"{key}-MIN_NUM_FORMS": "0", f"{key}-MAX_NUM_FORMS": "100"}
    for index, row in enumerate(rows):
        data |= _flat(f"{key}-{index}", row)
    return data


def test_add_a_row_keeps_what_was_typed_and_saves_nothing(designer):
    code = create(designer)
    data = section_data(code, "fees", FEES) | {"_add_row": "1"}
    response = designer.post(f"/thiet-ke/{code}/nhap/?section=fees", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="fees-TOTAL_FORMS" value="2"' in html
    assert 'value="50.000"' in html and 'name="fees-1-name"' in html
    assert draft_of(code)["fees"] == []

    # The added blank row is ignored when the section is saved.
    data = {key: value for key, value in data.items() if key != "_add_row"}
    data |= {"fees-TOTAL_FORMS": "2", "fees-1-unit": "per_dossier"}
    response = designer.post(f"/thiet-ke/{code}/nhap/?section=fees", data)
    assert response.status_code == 302
    assert len(draft_of(code)["fees"]) == 1


def test_rows_are_ordered_by_position_and_deleted(designer):
    code = create(designer)
    post_section(designer, code, "documents", DOCUMENTS)
    reordered = [DOCUMENTS[0] | {"position": "3"}, DOCUMENTS[1] | {"position": "1"},
                 DOCUMENTS[2] | {"position": "2", "DELETE": True}]
    assert post_section(designer, code, "documents", reordered).status_code == 302
    assert [d["name"] for d in draft_of(code)["documents"]] == [
        "Chứng chỉ hoàn thành khóa học", "Tờ khai"]


def test_the_routing_is_checked_in_its_saved_order_and_kept_with_its_kinds(designer):
    code = create(designer)
    steps = [
        {"name": "Thẩm định hồ sơ", "role": "specialist", "share": "60", "kind": "process",
         "position": "1"},
        {"name": "Giám đốc ký", "role": "agency_head", "share": "20", "kind": "approve",
         "position": "2"},
        {"name": "Trưởng phòng xem xét", "role": "leader", "share": "20", "kind": "review",
         "position": "3"},
    ]
    response = post_section(designer, code, "workflow", steps)
    assert response.status_code == 400
    assert "Bước xem xét phải đứng trước bước phê duyệt." in response.content.decode()
    assert draft_of(code)["workflow"] == []
    # Moved before the approval (rows listed in another order than their positions).
    steps[1]["position"], steps[2]["position"] = "3", "2"
    assert post_section(designer, code, "workflow", steps).status_code == 302
    saved = draft_of(code)["workflow"]
    assert [(s["name"], s["role"], s["kind"]) for s in saved] == [
        ("Thẩm định hồ sơ", "specialist", "process"),
        ("Trưởng phòng xem xét", "leader", "review"),
        ("Giám đốc ký", "agency_head", "approve")]
    html = designer.get(f"/thiet-ke/{code}/nhap/?phan=workflow").content.decode()
    assert "3 bước · 2 cấp phê duyệt" in html
    # The agency's head cannot examine: refused, nothing saved.
    steps[0]["role"] = "agency_head"
    response = post_section(designer, code, "workflow", steps)
    assert response.status_code == 400
    assert draft_of(code)["workflow"] == saved


# --- preview -------------------------------------------------------------------------------------

def test_preview_shows_every_error_at_once_then_the_cleaned_values(designer):
    code = create(designer)
    post_section(designer, code, "form", FIELDS)
    page = designer.get(f"/thiet-ke/{code}/nhap/xem-truoc/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<form class="procedure-form" method="post"' in html and 'id="f-ho_ten"' in html
    assert 'data-show-field="tinh_trang"' in html

    response = designer.post(f"/thiet-ke/{code}/nhap/xem-truoc/", {})
    assert response.status_code == 400
    errors = dict((label, message) for _, label, message in response.context["form_errors"])
    assert set(errors) == {"Họ và tên", "Ngày sinh", "Số định danh cá nhân", "Số điện thoại",
                           "Tình trạng hôn nhân"}

    response = designer.post(f"/thiet-ke/{code}/nhap/xem-truoc/", {
        "ho_ten": "Nguyễn Văn An", "ngay_sinh": "05/01/1990", "so_dinh_danh": "048090000123",
        "dien_thoai": "0905123456", "tinh_trang": "da_ket_hon", "ten_vo_chong": "Trần Thị B",
        "co_con": "on", "con-count": "1", "con-0-ho_ten": "Nguyễn Văn C",
        "con-0-nam_sinh": "2015",
    })
    assert response.status_code == 200
    html = response.content.decode()
    assert "Biểu mẫu hợp lệ" in html
    assert "Đã kết hôn" in html and "05/01/1990" in html and "Nguyễn Văn C" in html
    assert ProcedureVersion.objects.get(procedure__code=code).definition == draft_of(code)


def test_a_group_row_can_be_added_in_the_preview(designer):
    code = create(designer)
    post_section(designer, code, "form", FIELDS)
    response = designer.post(f"/thiet-ke/{code}/nhap/xem-truoc/", {
        "co_con": "on", "con-count": "1", "con-0-ho_ten": "A", "_add_row": "con"})
    assert response.status_code == 200
    assert 'name="con-1-ho_ten"' in response.content.decode()


def _rendered_section(key: str, definition: dict) -> dict:
    """What the editor's form for a section posts when the designer changes nothing."""
    section = SECTIONS[key]
    if section.is_formset:
        rows = section.form_class.initial_from(definition)
        data = {f"{key}-TOTAL_FORMS": str(len(rows)), f"{key}-INITIAL_FORMS": str(len(rows)),
                f"{key}-MIN_NUM_FORMS": "0", f"{key}-MAX_NUM_FORMS": "100"}
        for index in range(len(rows)):
            data |= {f"{key}-{index}-{name}": value
                     for name, value in _initial_row(key, definition, index).items()}
        return data
    data = {}
    for name, value in section.form_class.initial_from(definition).items():
        if isinstance(value, list):
            data[f"{key}-{name}"] = value
        elif value is True:
            data[f"{key}-{name}"] = "on"
        elif value is not None and value is not False and value != "":
            data[f"{key}-{name}"] = str(value)
    return data


def test_saving_unchanged_sections_keeps_national_definitions(designer):
    """Editing one part of a procedure from the national catalogue loses nothing elsewhere:
    saving every section as rendered gives back the same definition."""
    procedures = (Procedure.objects.filter(owner__name="Sở Tư pháp",
                                           current_version__isnull=False)
                  .order_by("code")[:12])
    saved = 0
    for procedure in procedures:
        designer.post(f"/thiet-ke/{procedure.code}/tao-ban-nhap/")
        original = draft_of(procedure.code)
        for key in SECTIONS:
            response = designer.post(f"/thiet-ke/{procedure.code}/nhap/?section={key}",
                                     _rendered_section(key, original))
            if response.status_code == 400:
                # Only gaps of the national data block a save: no time limit, or an online
                # service without the online channel.
                assert key in ("processing", "general"), (procedure.code, key, _errors(response))
            else:
                assert response.status_code == 302
                saved += 1
            assert draft_of(procedure.code) == original, (procedure.code, key)
    assert saved >= 60


def test_a_designer_of_two_agencies_chooses_the_owner(client):
    justice = Agency.objects.get(name="Sở Tư pháp")
    ward = Agency.objects.get(name="Ủy ban nhân dân phường Hải Châu")
    user = User.objects.create_user("thietke.hai.noi", password=PASSWORD)
    for agency in (justice, ward):
        Membership.objects.create(user=user, agency=agency, role=Role.SERVICE_DESIGNER)
    client.force_login(user)
    page = client.get("/thiet-ke/")
    assert 'name="new-owner"' in page.content.decode()
    response = client.post("/thiet-ke/", {"new-name": "Dịch vụ của phường", "new-field": "Hộ tịch",
                                          "new-level": "commune"})
    assert response.status_code == 400 and "new-owner" in response.content.decode()
    response = client.post("/thiet-ke/", {"new-name": "Dịch vụ của phường", "new-field": "Hộ tịch",
                                          "new-level": "commune", "new-owner": str(ward.pk)})
    assert response.status_code == 302
    procedure = Procedure.objects.get(name="Dịch vụ của phường")
    assert procedure.owner == ward and procedure.at_commune

    # A single-agency designer has no choice to make.
    client.force_login(User.objects.get(username=DESIGNER))
    assert 'name="new-owner"' not in client.get("/thiet-ke/").content.decode()


def test_conditions_in_and_filled(designer):
    code = create(designer)
    rows = [
        {"key": "loai", "label": "Loại", "type": "multiselect", "options": "A\nB\nC"},
        {"key": "ghi_chu", "label": "Ghi chú", "type": "text"},
        {"key": "chi_tiet", "label": "Chi tiết", "type": "textarea", "cond_field": "loai",
         "cond_operator": "in", "cond_value": "a, b"},
        {"key": "xac_nhan", "label": "Xác nhận", "type": "checkbox", "cond_field": "ghi_chu",
         "cond_operator": "filled"},
        {"key": "ly_do", "label": "Lý do không ghi chú", "type": "text",
         "cond_field": "ghi_chu", "cond_operator": "filled", "cond_value": "không"},
    ]
    assert post_section(designer, code, "form", rows).status_code == 302
    form = draft_of(code)["form"]
    assert form[2]["visible_when"] == {"field": "loai", "equals": None, "in": ["a", "b"],
                                       "filled": None}
    assert form[3]["visible_when"]["filled"] is True
    assert form[4]["visible_when"]["filled"] is False
    html = designer.get(f"/thiet-ke/{code}/nhap/").content.decode()
    assert 'value="a, b"' in html and 'value="không"' in html

    # Removing the result again: all its boxes left empty.
    post_section(designer, code, "result", [RESULT | {"template": "{{ ghi_chu }}"}])
    assert draft_of(code)["results"][0]["template"] == "{{ ghi_chu }}"
    post_section(designer, code, "result", [])  # the saved row deleted
    assert draft_of(code)["results"] == []
