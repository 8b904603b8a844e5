"""Filing a dossier online: drafts keep everything, uploads are checked by content, submission
gives a code in the national format, and nobody sees another's dossier."""

from __future__ import annotations

import re
import threading
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dichvucong.accounts.models import User
from dichvucong.agencies.models import Agency
from dichvucong.dossiers.codes import CODE, format_code, next_sequence
from dichvucong.dossiers.models import Dossier
from dichvucong.dossiers.uploads import UploadError, check_upload, safe_name
from tests.birth_helpers import birth_form
from tests.filing import check_then_file

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def pdf(name="to-khai.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def citizen(client):
    assert client.login(username="congdan", password="demo-dichvucong")
    return User.objects.get(username="congdan")


def hai_chau() -> Agency:
    return Agency.objects.get(name="Ủy ban nhân dân phường Hải Châu")


def birth_post(**extra):
    # 1.001193 Đăng ký khai sinh: curated, the e-declaration and three documents (the birth
    # certificate mandatory; the paper declaration not needed with the e-form).
    return {"agency": str(hai_chau().pk), "delivery": "online", "action": "submit",
            **birth_form(), "doc-0": pdf(), "doc-1": pdf("giay-chung-sinh.pdf"), **extra}


def test_submit_a_dossier_online(client, citizen):
    response = check_then_file(client, "/thu-tuc/1.001193/nop-ho-so/", birth_post())
    assert response.status_code == 302, response.content.decode()[:2000]
    dossier = Dossier.objects.get(applicant=citizen)
    assert dossier.state == "submitted" and dossier.national_status == 1
    assert re.fullmatch(rf"{re.escape(hai_chau().code)}-\d{{6}}-\d{{4}}", dossier.code)
    assert response["Location"] == f"/ho-so/{dossier.code}/"
    assert dossier.attachments.count() == 2
    assert dossier.events.get().action == "submit"
    page = client.get(response["Location"]).content.decode()
    assert dossier.code in page and "Chờ tiếp nhận" in page


def test_missing_document_keeps_the_draft_and_what_was_attached(client, citizen):
    post = birth_post()
    del post["doc-1"]
    response = client.post("/thu-tuc/1.001193/nop-ho-so/", post)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Cần đính kèm «Giấy chứng sinh do cơ sở y tế cấp»." in html
    assert "Đã đính kèm: to-khai.pdf" in html
    draft = Dossier.objects.get(applicant=citizen)
    assert draft.state == "draft" and draft.code is None
    # The second post adds the missing file; the first one is still there.
    response = check_then_file(client, "/thu-tuc/1.001193/nop-ho-so/", {
        "draft": draft.pk, "agency": str(hai_chau().pk), "delivery": "online",
        "action": "submit", **birth_form(), "doc-1": pdf("giay-chung-sinh.pdf")})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == "submitted" and draft.attachments.count() == 2


@pytest.mark.parametrize(("name", "content", "message"), [
    ("gia-mao.pdf", b"MZ\x90\x00 this is an executable", "không phải PDF, JPEG, PNG"),
    ("anh.pdf", PNG, "có đuôi .pdf nhưng nội dung là PNG"),
    ("rong.pdf", b"", "rỗng"),
])
def test_bad_uploads_get_a_clear_message_and_nothing_is_lost(client, citizen, name, content,
                                                             message):
    post = birth_post(**{"doc-1": SimpleUploadedFile(name, content)})
    response = client.post("/thu-tuc/1.001193/nop-ho-so/", post)
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert "Đã đính kèm: to-khai.pdf" in html  # the good file is kept


def test_oversize_and_path_names():
    with pytest.raises(UploadError, match="lớn hơn 10 MB"):
        check_upload("big.pdf", PDF, 11 * 1024 * 1024)
    assert safe_name("../../etc/passwd.pdf") == "passwd.pdf"
    assert safe_name("C:\\Users\\an\\to-khai.pdf") == "to-khai.pdf"
    checked = check_upload("../../x/to-khai.pdf", PDF, len(PDF))
    assert checked.original_name == "to-khai.pdf" and checked.extension == ".pdf"


def test_stored_file_names_are_generated(client, citizen):
    client.post("/thu-tuc/1.001193/nop-ho-so/", birth_post(**{"doc-0": pdf("../../../evil.pdf")}))
    attachment = Dossier.objects.get(applicant=citizen).attachments.first()
    assert "evil" not in attachment.file.name and ".." not in attachment.file.name
    assert re.fullmatch(r"dossiers/\d+/[0-9a-f]{32}\.pdf", attachment.file.name)


def test_a_citizen_never_sees_another_citizens_dossier(client, citizen):
    check_then_file(client, "/thu-tuc/1.001193/nop-ho-so/", birth_post())
    code = Dossier.objects.get(applicant=citizen).code
    client.logout()
    assert client.login(username="doanhnghiep", password="demo-dichvucong")
    assert client.get(f"/ho-so/{code}/").status_code == 404
    assert code not in client.get("/ho-so/").content.decode()
    draft_id = Dossier.objects.get(applicant=citizen).pk
    response = client.post("/thu-tuc/1.001193/nop-ho-so/", {"draft": draft_id})
    assert response.status_code == 404


def test_login_required(client):
    response = client.get("/thu-tuc/1.001193/nop-ho-so/")
    assert response.status_code == 302 and "/dang-nhap/" in response["Location"]


def test_codes_follow_the_national_format():
    assert format_code("000.20.01.H17", date(2024, 1, 8), 12) == "000.20.01.H17-240108-0012"
    assert CODE.match("000.00.12.H56-240108-0012")


def test_a_filed_dossiers_code_is_written_as_format_code_writes_it():
    """``number_inserted`` (the API's filing: PostgreSQL pads the number in SQL) takes the
    number as ``next_sequence`` does and pads it as ``format_code`` does, past 9,999 too."""
    from dichvucong.dossiers.codes import number_inserted
    from dichvucong.dossiers.models import DossierCodeSequence
    from tests import builders

    agency, day = hai_chau(), date(2030, 5, 8)
    DossierCodeSequence.objects.create(agency=agency, day=day, last=9998)
    codes = [number_inserted(builders.row(state="submitted").pk, agency, day) for _ in range(3)]
    assert codes == [format_code(agency.code, day, n) for n in (9999, 10000, 10001)]
    assert codes[1].endswith("-10000") and CODE.match(codes[0])
    assert set(Dossier.objects.filter(code__in=codes).values_list("code", flat=True)) == set(codes)
    assert next_sequence(agency.pk, day) == 10002


def test_sequences_restart_daily_per_unit():
    agency = hai_chau()
    other = Agency.objects.get(name="Sở Tư pháp")
    day = date(2030, 5, 6)
    assert [next_sequence(agency.pk, day) for _ in range(3)] == [1, 2, 3]
    assert next_sequence(other.pk, day) == 1
    assert next_sequence(agency.pk, date(2030, 5, 7)) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_sequences_never_repeat():
    from django.db import connection

    agency_id = Agency.objects.create(code="000.99.99.H17", name="Đơn vị thử", slug="thu",
                                      kind="department", level="province").pk
    day = date(2031, 1, 2)
    taken, failures = [], []

    def take():
        try:
            for _ in range(5):
                taken.append(next_sequence(agency_id, day))
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert sorted(taken) == list(range(1, 41))



def test_public_lookup_needs_code_and_phone_or_id_number(client, citizen):
    check_then_file(client, "/thu-tuc/1.001193/nop-ho-so/", birth_post())
    dossier = Dossier.objects.get(applicant=citizen)
    dossier.applicant_phone = "0905 123 456"
    dossier.applicant_id_number = "048190000123"
    dossier.save()
    client.logout()
    assert client.get(f"/tra-cuu/?ma={dossier.code}").status_code == 200
    for secret in ("0905123456", "048190000123"):
        html = client.post("/tra-cuu/", {"ma": dossier.code, "xac_minh": secret}).content.decode()
        assert "Chờ tiếp nhận" in html and "Đăng ký khai sinh" in html
        assert "048190000123" not in html  # nothing personal comes back
    wrong = client.post("/tra-cuu/", {"ma": dossier.code, "xac_minh": "0999999999"})
    unknown = client.post("/tra-cuu/", {"ma": "000.00.00.H17-000000-0000", "xac_minh": "1"})
    assert "Không tìm thấy hồ sơ" in wrong.content.decode()
    assert "Không tìm thấy hồ sơ" in unknown.content.decode()


def test_public_lookup_is_rate_limited(client):
    from django.core.cache import cache

    cache.clear()
    statuses = [client.post("/tra-cuu/", {"ma": "x", "xac_minh": "1"}).status_code
                for _ in range(12)]
    assert statuses[:10] == [200] * 10 and statuses[10:] == [429, 429]
    blocked = client.post("/tra-cuu/", {"ma": "x", "xac_minh": "1"})
    assert "quá nhiều lần" in blocked.content.decode()
    cache.clear()


def test_answer_a_supplement_request_and_withdraw(client, citizen):
    from dichvucong.dossiers import actions
    from dichvucong.dossiers.lifecycle import Action, LifecycleRole

    check_then_file(client, "/thu-tuc/1.001193/nop-ho-so/", birth_post())
    dossier = Dossier.objects.get(applicant=citizen)
    officer = User.objects.get(username="motcua.haichau")
    actions.perform(dossier.pk, Action.request_supplement, officer, LifecycleRole.reception_officer,
                    "Giấy chứng sinh bản rõ nét\nVăn bản ủy quyền")
    page = client.get(f"/ho-so/{dossier.code}/").content.decode()
    assert "Cơ quan yêu cầu bổ sung hồ sơ" in page and "Văn bản ủy quyền" in page
    dossier.refresh_from_db()
    empty = client.post(f"/ho-so/{dossier.code}/", {"action": "supplement",
                                                    "revision": dossier.revision})
    assert empty.status_code == 400 and "Cần đính kèm" in empty.content.decode()
    response = client.post(f"/ho-so/{dossier.code}/", {
        "action": "supplement", "revision": dossier.revision,
        "supplement-1": pdf("uy-quyen.pdf")})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.state == "submitted"
    assert dossier.attachments.filter(requirement="Bổ sung: Văn bản ủy quyền").exists()
    response = client.post(f"/ho-so/{dossier.code}/", {"action": "withdraw", "note": "Nộp nhầm",
                                                       "revision": dossier.revision})
    dossier.refresh_from_db()
    assert dossier.state == "withdrawn" and dossier.national_status == 7
    # A stale form (an old revision) is refused with a clear message.
    stale = client.post(f"/ho-so/{dossier.code}/", {"action": "withdraw", "revision": 0})
    assert stale.status_code == 400


def test_a_dossier_keeps_the_version_it_was_submitted_under(client, citizen):
    from dichvucong.catalog.models import Procedure
    from dichvucong.catalog.versions import approve, save_draft, start_draft, submit

    check_then_file(client, "/thu-tuc/1.001193/nop-ho-so/", birth_post())
    dossier = Dossier.objects.get(applicant=citizen)
    old_version = dossier.procedure_version
    designer = User.objects.get(username="quantri.thutuc")
    procedure = Procedure.objects.get(code="1.001193")
    draft = start_draft(procedure, designer)
    definition = dict(draft.definition)
    definition["conditions"] = "Điều kiện mới áp dụng từ phiên bản sau"
    definition["form"] = [{"key": "ho_ten", "label": "Họ và tên", "type": "text",
                           "required": True}]
    definition["workflow"] = [{"name": "Thẩm định", "role": "specialist", "share": "0.7"},
                              {"name": "Phê duyệt", "role": "leader", "share": "0.3"}]
    save_draft(draft, definition)
    submit(draft, designer)
    approve(draft, User.objects.get(username="kiemsoat"), timezone.localdate())
    procedure.refresh_from_db()
    assert procedure.current_version_id != old_version.pk
    dossier.refresh_from_db()
    assert dossier.procedure_version_id == old_version.pk
    assert dossier.procedure_version.parsed().conditions != definition["conditions"]
    old_version.refresh_from_db()
    assert old_version.status == "superseded"


def test_delivery_by_post_needs_an_address(client, citizen):
    from dichvucong.adminunits.queries import communes_of

    response = client.post("/thu-tuc/1.001193/nop-ho-so/", birth_post(delivery="post"))
    assert response.status_code == 200
    assert "Cần nhập «Địa chỉ nhận kết quả qua bưu điện»." in response.content.decode()
    draft = Dossier.objects.get(applicant=citizen)
    commune = communes_of("48")[0][0]
    response = check_then_file(client, "/thu-tuc/1.001193/nop-ho-so/", {
        "draft": draft.pk, "agency": str(hai_chau().pk), "delivery": "post", "action": "submit",
        **birth_form(), "delivery_address-province": "48", "delivery_address-commune": commune,
        "delivery_address-street": "12 Lê Duẩn"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.delivery == "post"
    assert draft.delivery_address == {"province": "48", "commune": commune,
                                      "street": "12 Lê Duẩn"}


def test_an_agencys_own_day_off_moves_only_its_due_times():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from dichvucong.dossiers import actions
    from dichvucong.dossiers.lifecycle import Action, LifecycleRole
    from dichvucong.workflow.models import CalendarOverride

    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    monday = datetime(2030, 3, 4, 9, 0, tzinfo=tz)
    officer = User.objects.get(username="motcua.haichau")
    citizen = User.objects.get(username="congdan")
    CalendarOverride.objects.create(day=date(2030, 3, 5), is_working=False,
                                    agency=hai_chau(), reason="Đại hội nhân dân phường")

    def received_due(agency: Agency) -> datetime:
        from dichvucong.catalog.models import Procedure
        from dichvucong.dossiers import submission

        draft = submission.start_draft(Procedure.objects.get(code="1.004873"), citizen, agency)
        actions.perform(draft.pk, Action.submit, citizen, LifecycleRole.applicant, now=monday)
        return actions.perform(draft.pk, Action.receive, officer, LifecycleRole.reception_officer,
                               now=monday).dossier.due_at

    other = Agency.objects.get(name="Ủy ban nhân dân phường Hòa Cường")
    # 1.004873: 3 working days. Hải Châu's Tuesday off pushes its due time a day later.
    assert received_due(hai_chau()).astimezone(tz) == datetime(2030, 3, 8, 9, 0, tzinfo=tz)
    assert received_due(other).astimezone(tz) == datetime(2030, 3, 7, 9, 0, tzinfo=tz)


def test_a_form_in_sections_is_filled_one_page_at_a_time(client, citizen):
    """The birth declaration in three sections: each page shows its own section and checks only
    its answers; «Quay lại» keeps what was typed; a default starts a new form; the draft keeps
    every page's answers; the filing's errors send the citizen back to their page."""
    from dichvucong.catalog.models import Procedure
    from dichvucong.catalog.versions import approve, save_draft, start_draft, submit

    designer = User.objects.get(username="quantri.thutuc")
    procedure = Procedure.objects.get(code="1.001193")
    draft_version = start_draft(procedure, designer)
    definition = dict(draft_version.definition)
    definition["form_sections"] = [
        {"key": "nguoi_yeu_cau", "title": "Người yêu cầu", "hint": "Người đi đăng ký."},
        {"key": "tre", "title": "Người được khai sinh"},
        {"key": "cha_me", "title": "Cha, mẹ"}]
    form = []
    for item in definition["form"]:
        prefix = item["key"].split("_")[0]
        item = {**item, "section": {"nyc": "", "tre": "tre"}.get(prefix, "cha_me")}
        if item["key"] == "tre_quoc_tich":
            item["default"] = "Việt Nam"
        form.append(item)
    definition["form"] = form
    definition["workflow"] = [{"name": "Thẩm định", "role": "specialist", "share": "0.7"},
                              {"name": "Phê duyệt", "role": "leader", "share": "0.3"}]
    save_draft(draft_version, definition)
    submit(draft_version, designer)
    approve(draft_version, User.objects.get(username="kiemsoat"), timezone.localdate())
    url = "/thu-tuc/1.001193/nop-ho-so/"
    answers = birth_form()
    by_page = [{k: v for k, v in answers.items() if k.startswith("nyc_")},
               {k: v for k, v in answers.items() if k.startswith("tre_")},
               {k: v for k, v in answers.items() if k[:3] in ("me_", "cha")}]

    first = client.get(url).content.decode()
    assert "Bước 1 trên 3" in first and "<h2>Người yêu cầu</h2>" in first
    assert 'name="agency"' in first and 'name="tre_ho_ten"' not in first
    assert 'value="next"' in first and 'value="back"' not in first and 'name="doc-0"' not in first
    # Only this page's answers are checked: one missing here is an error, the later ones not.
    response = client.post(url, {"agency": str(hai_chau().pk), "page": "0", "action": "next",
                                 **{**by_page[0], "nyc_ho_ten": ""}})
    html = response.content.decode()
    assert response.status_code == 200 and "Bước 1 trên 3" in html
    assert "Cần nhập «Họ, chữ đệm và tên người yêu cầu»." in html
    assert "người được khai sinh»" not in html
    draft = Dossier.objects.get(applicant=citizen)
    response = client.post(url, {"draft": draft.pk, "agency": str(hai_chau().pk), "page": "0",
                                 "action": "next", **by_page[0]})
    assert response.status_code == 302
    assert response["Location"] == f"{url}?draft={draft.pk}&page=1"
    second = client.get(response["Location"]).content.decode()
    assert "Bước 2 trên 3" in second and 'name="agency"' not in second
    assert 'value="Việt Nam"' in second  # the default
    assert 'value="back"' in second
    # «Quay lại» keeps the typed answers unchecked; the first page shows the kept ones.
    response = client.post(url, {"draft": draft.pk, "page": "1", "action": "back",
                                 "tre_ho_ten": "Trần Minh Khang"})
    assert response["Location"] == f"{url}?draft={draft.pk}&page=0"
    draft.refresh_from_db()
    assert draft.form_data["tre_ho_ten"] == "Trần Minh Khang"
    assert draft.form_data["nyc_ho_ten"] == "Nguyễn Thị Lan"
    for index in (1, 2):
        response = client.post(url, {"draft": draft.pk, "page": str(index), "action": "next",
                                     **by_page[index]})
        assert response.status_code == 302, response.content.decode()[:3000]
    last = client.get(response["Location"]).content.decode()
    assert "Bước 3 trên 3" in last and 'name="doc-1"' in last and 'value="submit"' in last
    assert 'value="next"' not in last
    # An earlier page's answer gone wrong since (here: emptied in the draft) sends the filing
    # back to that page, with its error.
    Dossier.objects.filter(pk=draft.pk).update(form_data={**draft.form_data, "tre_ho_ten": ""})
    response = client.post(url, {"draft": draft.pk, "page": "2", "action": "submit",
                                 "delivery": "online", **by_page[2], "doc-1": pdf()})
    html = response.content.decode()
    assert "Bước 2 trên 3" in html and "Cần nhập «Họ, chữ đệm và tên người được khai sinh»." \
        in html
    response = client.post(url, {"draft": draft.pk, "page": "1", "action": "next",
                                 **by_page[1]})
    assert response.status_code == 302
    check = client.post(url, {"draft": draft.pk, "page": "2", "action": "submit",
                              "delivery": "online", **by_page[2]}).content.decode()
    # «Sửa» goes to the answer's page; a document's and the delivery's to the last one.
    assert f"?draft={draft.pk}&amp;page=1#f-tre_ho_ten" in check
    assert f"?draft={draft.pk}&amp;page=2#doc-1" in check
    response = client.post(url, {"draft": draft.pk, "action": "confirm"})
    assert response.status_code == 302
    dossier = Dossier.objects.get(pk=draft.pk)
    assert dossier.state == "submitted"
    assert dossier.form_data["tre_ho_ten"] == "Trần Minh Khang"
    assert dossier.form_data["nyc_quan_he"] == "Mẹ" and dossier.form_data["cha_nam_sinh"]
