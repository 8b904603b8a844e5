"""The one-stop slips (Circular 03/2025/TT-VPCP, Annex I) as PDFs: what they say is read back
from the PDF itself (pypdf), the reception slip's QR code is decoded from a rendered image of the
page (pypdfium2 + zxing-cpp), and only people who may see a dossier get its slips."""

from __future__ import annotations

import io
import unicodedata
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pypdfium2 as pdfium
import pytest
import zxingcpp
from django.conf import settings
from django.utils import timezone
from pypdf import PdfReader

from dichvucong.agencies.models import Agency
from dichvucong.catalog.models import Procedure
from dichvucong.dossiers import actions
from dichvucong.dossiers.models import Attachment, Dossier, DossierEvent
from dichvucong.slips import data, fonts, render
from dichvucong.slips.data import available_slips
from tests import builders
from tests.builders import HAI_CHAU, user

pytestmark = pytest.mark.django_db

VN = ZoneInfo("Asia/Ho_Chi_Minh")
SUBMITTED = datetime(2025, 3, 4, 20, 5, tzinfo=VN)
RECEIVED = datetime(2025, 3, 5, 8, 15, tzinfo=VN)
DUE = datetime(2025, 3, 10, 17, 0, tzinfo=VN)  # a Monday
NAME = "Nguyễn Thị Ánh"
ID_NUMBER = "048190001234"


# --- helpers ------------------------------------------------------------------------------------


def pdf_text(content: bytes) -> str:
    """All the text of a PDF, NFC, with runs of white space as one space."""
    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return " ".join(unicodedata.normalize("NFC", text).split())


def hai_chau() -> Agency:
    return builders.agency(HAI_CHAU)


def birth_registration() -> Procedure:
    return builders.procedure("1.001193")


def add_event(dossier: Dossier, action: str, from_state: str, to_state: str, *, actor=None,
              role: str = "", note: str = "", at: datetime | None = None,
              data: dict | None = None) -> DossierEvent:
    event = DossierEvent.objects.create(dossier=dossier, action=action, from_state=from_state,
                                        to_state=to_state, actor=actor, actor_role=role,
                                        note=note, data=data or {})
    if at is not None:  # created_at is auto_now_add: set the moment afterwards
        DossierEvent.objects.filter(pk=event.pk).update(created_at=at)
    return event


def make_dossier(seq: int = 1, *, received: datetime | None = RECEIVED,
                 due: datetime | None = DUE, state: str = "received", **extra) -> Dossier:
    agency = extra.pop("agency", None) or hai_chau()
    procedure = birth_registration()
    day = (received or SUBMITTED).strftime("%y%m%d")
    fields = {
        "code": f"{agency.code}-{day}-{seq:04d}", "procedure": procedure, "agency": agency,
        "applicant_name": NAME,
        "applicant_id_number": ID_NUMBER, "applicant_phone": "0905123456",
        "applicant_email": "anh@example.vn", "channel": "online", "state": state,
        "submitted_at": SUBMITTED, "received_at": received, "due_at": due,
        "original_due_at": due, "delivery": "counter", "fee_amount": 8000,
        "form_data": {"dia_chi": "12 Trần Phú, phường Hải Châu, thành phố Đà Nẵng"},
    }
    fields.update(extra)
    return builders.row(**fields)


def received_dossier(seq: int = 1, **extra) -> Dossier:
    """Submitted online in the evening, received by the ward's one-stop officer next morning."""
    dossier = make_dossier(seq, **extra)
    add_event(dossier, "submit", "draft", "submitted", actor=user("congdan"), role="applicant",
              at=SUBMITTED)
    add_event(dossier, "receive", "submitted", "received", actor=user("motcua.haichau"),
              role="reception_officer", at=RECEIVED)
    for index, requirement in enumerate(["Tờ khai đăng ký khai sinh",
                                         "Giấy chứng sinh do cơ sở y tế cấp"]):
        Attachment.objects.create(
            dossier=dossier, requirement=requirement, token=f"{dossier.pk:08d}{index:024d}",
            extension=".pdf", file=f"dossiers/{dossier.pk}/{index}.pdf",
            original_name=f"tep-{index}.pdf", content_type="application/pdf", size=100,
            sha256="0" * 64)
    return dossier


def slip_url(dossier: Dossier, kind: str) -> str:
    return f"/ho-so/{dossier.code}/phieu/{kind}.pdf"


def page_image(content: bytes, scale: float = 3):
    document = pdfium.PdfDocument(content)
    try:
        page = document[0]
        image = page.render(scale=scale).to_pil()
        page.close()
        return image
    finally:
        document.close()


def assert_heading(text: str) -> None:
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert "ỦY BAN NHÂN DÂN PHƯỜNG HẢI CHÂU" in text


# --- Mẫu 01 -------------------------------------------------------------------------------------


def test_reception_slip_says_who_what_and_when(client):
    dossier = received_dossier()
    client.force_login(user("congdan"))
    response = client.get(slip_url(dossier, "01"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="01-{dossier.code}.pdf"'
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content)
    assert_heading(text)
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
    assert f"Mã hồ sơ: {dossier.code}" in text
    assert f"{HAI_CHAU} đã tiếp nhận hồ sơ của" in text
    assert NAME in text
    assert "*********234" in text and ID_NUMBER not in text  # the CCCD is masked
    assert "0905123456" in text
    assert "12 Trần Phú, phường Hải Châu, thành phố Đà Nẵng" in text
    assert "Đăng ký khai sinh (mã thủ tục 1.001193)" in text
    assert "Tờ khai đăng ký khai sinh (Bản điện tử, 1 tệp)" in text
    assert "Giấy chứng sinh do cơ sở y tế cấp (Bản điện tử, 1 tệp)" in text
    assert "Thời gian nhận hồ sơ: 08 giờ 15 phút, ngày 05/03/2025" in text
    assert ("Thời gian trả kết quả giải quyết hồ sơ: 17 giờ 00 phút, thứ Hai, ngày 10/03/2025"
            in text)
    assert "Hình thức nộp hồ sơ: Trực tuyến" in text
    assert "Nhận tại bộ phận một cửa" in text
    assert "8.000 đ" in text
    assert "Hải Châu, ngày 05 tháng 3 năm 2025" in text
    assert "NGƯỜI TIẾP NHẬN HỒ SƠ" in text and "Hoàng Văn Em" in text  # the receive event's actor
    assert "Mẫu số 01" in text and "Trang 1/1" in text


def test_reception_slip_qr_code_opens_the_tracking_page():
    dossier = received_dossier()
    content = render.render_reception_slip(dossier)
    results = [r for r in zxingcpp.read_barcodes(page_image(content))
               if r.format == zxingcpp.BarcodeFormat.QRCode]
    assert len(results) == 1
    assert results[0].text == f"{settings.SITE_URL}/tra-cuu/?ma={dossier.code}"
    assert f"{settings.SITE_URL}/tra-cuu/?ma={dossier.code}" in pdf_text(content)


def test_reception_slip_of_a_walk_in_lists_the_definitions_documents():
    dossier = make_dossier(channel="in_person", applicant_id_number="", applicant_email="")
    add_event(dossier, "enter_walk_in", "draft", "received", actor=user("motcua.haichau"),
              role="reception_officer", at=RECEIVED)
    text = pdf_text(render.render_reception_slip(dossier))
    # No scans: the mandatory documents of the procedure version, not the optional ones (the
    # paper declaration is optional since the e-declaration replaces it).
    assert "Tờ khai đăng ký khai sinh (1 bản chính)" not in text
    assert "Giấy chứng sinh do cơ sở y tế cấp (1 bản chính hoặc bản điện tử)" in text
    assert "Văn bản ủy quyền" not in text
    assert "Hình thức nộp hồ sơ: Trực tiếp" in text
    assert "Số định danh" not in text
    assert "Hoàng Văn Em" in text


def test_slips_through_the_lifecycle_actions():
    """The real path: submitted online, received (the clock sets the appointment), assigned,
    supplement requested during processing, supplied, then processing stopped."""
    dossier = builders.row(applicant_name=NAME, applicant_id_number=ID_NUMBER,
                           channel="online", state="draft")
    officer, leader, specialist = (user("motcua.haichau"), user("lanhdao.haichau"),
                                   user("chuyenvien.haichau"))
    actions.perform(dossier.pk, "submit", user("congdan"), "applicant")
    assert available_slips(Dossier.objects.get(pk=dossier.pk)) == []
    dossier = actions.perform(dossier.pk, "receive", officer, "reception_officer").dossier
    assert dossier.due_at is not None
    text = pdf_text(render.render_slip("01", dossier))
    assert dossier.code in text and NAME in text and "Hoàng Văn Em" in text
    assert render.appointment_text(timezone.localtime(dossier.due_at)) in text
    assert render.moment_text(timezone.localtime(dossier.received_at)) in text
    assert "Trong ngày (hồ sơ nhận sau 15:00" in text  # 1.001193 is a same-day procedure

    actions.perform(dossier.pk, "assign", leader, "leader")
    actions.perform(dossier.pk, "request_supplement", specialist, "specialist",
                    note="Bản sao giấy chứng nhận kết hôn của cha, mẹ")
    dossier.refresh_from_db()
    text = pdf_text(render.render_slip("02", dossier))
    assert "Bản sao giấy chứng nhận kết hôn của cha, mẹ" in text
    assert "không tính vào thời hạn giải quyết" in text and "Võ Thị Phương" in text

    actions.perform(dossier.pk, "provide_supplement", user("congdan"), "applicant")
    actions.perform(dossier.pk, "pause", leader, "leader",
                    note="Người yêu cầu đề nghị dừng để bổ sung giấy tờ ở nước ngoài")
    dossier.refresh_from_db()
    text = pdf_text(render.render_slip("05", dossier))
    assert "Người yêu cầu đề nghị dừng để bổ sung giấy tờ ở nước ngoài" in text
    assert "Đặng Văn Giang" in text
    assert [kind for kind, _ in available_slips(dossier)] == ["01", "02", "05", "06"]
    text = pdf_text(render.render_slip("06", dossier))
    for label in ("Chờ tiếp nhận", "Đã tiếp nhận", "Đang thẩm định",
                  "Chờ bổ sung (đang giải quyết)", "Dừng giải quyết"):
        assert label in text


# --- Mẫu 02–05 ----------------------------------------------------------------------------------


def test_supplement_request_lists_exactly_what_is_missing(client):
    dossier = make_dossier(received=None, due=None, state="reception_supplement")
    add_event(dossier, "submit", "draft", "submitted", actor=user("congdan"), role="applicant",
              at=SUBMITTED)
    add_event(dossier, "request_supplement", "submitted", "reception_supplement",
              actor=user("motcua.haichau"), role="reception_officer",
              at=datetime(2025, 3, 5, 9, 30, tzinfo=VN),
              note="1. Bản sao Căn cước của người đi đăng ký\n- Giấy chứng sinh bản chính\n\n"
                   "Văn bản ủy quyền có chứng thực (người đi đăng ký không phải cha, mẹ)")
    client.force_login(user("congdan"))
    response = client.get(slip_url(dossier, "02"))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'inline; filename="02-{dossier.code}.pdf"'
    text = pdf_text(response.content)
    assert_heading(text)
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in text
    assert dossier.code in text and f"Kính gửi: Ông/Bà {NAME}" in text
    items = data.supplement_request(dossier).items
    assert items == [
        "Bản sao Căn cước của người đi đăng ký",
        "Giấy chứng sinh bản chính",
        "Văn bản ủy quyền có chứng thực (người đi đăng ký không phải cha, mẹ)",
    ]
    for number, item in enumerate(items, start=1):
        assert f"{number}. {item}" in text
    assert "4." not in text.split("những nội dung sau:")[1].split("Hồ sơ chưa")[0]
    assert "Hồ sơ chưa được tiếp nhận" in text  # at reception: no clock yet
    assert "nộp trực tuyến ngày 04/03/2025" in text
    assert "Hải Châu, ngày 05 tháng 3 năm 2025" in text
    assert "NGƯỜI HƯỚNG DẪN" in text and "Hoàng Văn Em" in text
    # Only the slips this dossier has: not received, so no reception slip.
    assert client.get(slip_url(dossier, "01")).status_code == 404
    assert available_slips(dossier) == [("02", data.SLIP_TITLES["02"])]


def test_rejection_gives_the_reason(client):
    dossier = make_dossier(received=None, due=None, state="rejected")
    add_event(dossier, "reject", "submitted", "rejected", actor=user("motcua.haichau"),
              role="reception_officer", at=datetime(2025, 3, 6, 10, 0, tzinfo=VN),
              note="Việc sinh đã được đăng ký tại Ủy ban nhân dân xã Hòa Vang; không thuộc "
                   "thẩm quyền của phường.")
    client.force_login(user("motcua.haichau"))
    response = client.get(slip_url(dossier, "03"))
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert_heading(text)
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in text
    assert dossier.code in text and NAME in text
    assert ("Việc sinh đã được đăng ký tại Ủy ban nhân dân xã Hòa Vang; không thuộc thẩm quyền "
            "của phường.") in text
    assert f"Qua xem xét, {HAI_CHAU} từ chối tiếp nhận hồ sơ này" in text
    assert "Hải Châu, ngày 06 tháng 3 năm 2025" in text and "Hoàng Văn Em" in text


def test_apology_gives_the_reason_and_the_new_appointment(client):
    dossier = received_dossier(state="examining")
    add_event(dossier, "extend", "examining", "examining", actor=user("lanhdao.haichau"),
              role="leader", at=datetime(2025, 3, 7, 15, 0, tzinfo=VN),
              note="Cần xác minh thông tin khai sinh với Sở Tư pháp.",
              data={"new_due_at": "2025-03-14T16:30:00+07:00"})
    client.force_login(user("congdan"))
    response = client.get(slip_url(dossier, "04"))
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert_heading(text)
    assert "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT" in text
    assert dossier.code in text and NAME in text
    assert "Cần xác minh thông tin khai sinh với Sở Tư pháp." in text
    assert "16 giờ 30 phút, thứ Sáu, ngày 14/03/2025" in text  # the new appointment
    assert "hẹn trả kết quả vào 17 giờ 00 phút, thứ Hai, ngày 10/03/2025" in text  # the first
    assert "Ngày 05/03/2025" in text
    assert "xin lỗi Ông/Bà" in text and "Đặng Văn Giang" in text
    assert "Hải Châu, ngày 07 tháng 3 năm 2025" in text


def test_stop_notice_gives_the_reason(client):
    dossier = received_dossier(state="paused")
    add_event(dossier, "pause", "examining", "paused", actor=user("lanhdao.haichau"),
              role="leader", at=datetime(2025, 3, 8, 9, 5, tzinfo=VN),
              note="Có tranh chấp về quyền nuôi con;\nchờ quyết định của Tòa án nhân dân.")
    client.force_login(user("congdan"))
    text = pdf_text(client.get(slip_url(dossier, "05")).content)
    assert_heading(text)
    assert "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ" in text
    assert dossier.code in text and NAME in text
    assert "Có tranh chấp về quyền nuôi con;" in text
    assert "chờ quyết định của Tòa án nhân dân." in text
    assert "kể từ 09 giờ 05 phút, ngày 08/03/2025" in text
    assert "Đặng Văn Giang" in text


# --- Mẫu 06 -------------------------------------------------------------------------------------


def test_control_slip_records_each_hand_off_and_whether_it_was_on_time(client):
    dossier = received_dossier(state="awaiting_approval")
    add_event(dossier, "assign", "received", "examining", actor=user("lanhdao.haichau"),
              role="leader", at=datetime(2025, 3, 5, 9, 0, tzinfo=VN))
    add_event(dossier, "examine", "examining", "awaiting_approval",
              actor=user("chuyenvien.haichau"), role="specialist",
              at=datetime(2025, 3, 11, 10, 20, tzinfo=VN), note="Đủ điều kiện, trình ký")
    client.force_login(user("chuyenvien.haichau"))
    response = client.get(slip_url(dossier, "06"))
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert_heading(text)
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in text
    assert dossier.code in text and NAME in text
    slip = data.control_slip(dossier)
    assert [(r.action, r.from_state, r.to_state, r.actor, r.on_time) for r in slip.rows] == [
        ("Nộp", "Bản nháp", "Chờ tiếp nhận", "Nguyễn Văn An", "Đúng hạn"),
        ("Tiếp nhận", "Chờ tiếp nhận", "Đã tiếp nhận", "Hoàng Văn Em", "Đúng hạn"),
        ("Phân công", "Đã tiếp nhận", "Đang thẩm định", "Đặng Văn Giang", "Đúng hạn"),
        ("Trình phê duyệt", "Đang thẩm định", "Chờ phê duyệt", "Võ Thị Phương", "Trễ hạn"),
    ]
    for name in ("Hoàng Văn Em", "Đặng Văn Giang", "Võ Thị Phương"):
        assert name in text
    for label in ("Đã tiếp nhận", "Đang thẩm định", "Chờ phê duyệt"):
        assert label in text
    assert text.count("Đúng hạn") == 3 and text.count("Trễ hạn") == 1
    assert "11/03/2025 10:20" in text and "05/03/2025 08:15" in text
    assert "Đủ điều kiện, trình ký" in text
    assert "Thời gian hẹn trả kết quả: 17 giờ 00 phút, ngày 10/03/2025" in text


# --- Mẫu 07 -------------------------------------------------------------------------------------


def test_tracking_register_lists_the_period(client):
    first = received_dossier(1, received=datetime(2025, 3, 3, 8, 0, tzinfo=VN), state="returned")
    add_event(first, "return_result", "result_ready", "returned", actor=user("motcua.haichau"),
              role="reception_officer", at=datetime(2025, 3, 6, 14, 10, tzinfo=VN))
    second = received_dossier(2, received=datetime(2025, 3, 31, 16, 0, tzinfo=VN),
                              applicant_name="Trần Văn Bình")
    outside = received_dossier(3, received=datetime(2025, 4, 1, 7, 45, tzinfo=VN))
    elsewhere = received_dossier(4, agency=Agency.objects.get(name="Sở Tư pháp"))
    agency = hai_chau()
    client.force_login(user("motcua.haichau"))
    response = client.get(f"/mot-cua/so-theo-doi/{agency.code}.pdf",
                          {"tu": "2025-03-01", "den": "2025-03-31"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline; filename=")
    text = pdf_text(response.content)
    assert_heading(text)
    assert "SỔ THEO DÕI HỒ SƠ" in text
    assert "Từ ngày 01/03/2025 đến ngày 31/03/2025" in text
    assert HAI_CHAU in text and "Tổng số hồ sơ tiếp nhận: 2" in text
    assert first.code in text and second.code in text
    assert outside.code not in text and elsewhere.code not in text
    assert NAME in text and "Trần Văn Bình" in text and "Đăng ký khai sinh" in text
    assert "03/03/2025 08:00" in text and "06/03/2025 14:10" in text  # received, returned
    assert "Đã trả kết quả" in text and "Đã tiếp nhận" in text
    assert "Mẫu số 07" in text
    rows = data.register(agency, date(2025, 3, 1), date(2025, 3, 31)).rows
    assert [r.code for r in rows] == [first.code, second.code]
    assert rows[0].returned_at == datetime(2025, 3, 6, 14, 10, tzinfo=VN)
    assert rows[1].returned_at is None


def test_tracking_register_is_for_the_agencys_officials_only(client):
    url = f"/mot-cua/so-theo-doi/{hai_chau().code}.pdf"
    response = client.get(url)
    assert response.status_code == 302 and "/dang-nhap/" in response["Location"]
    for username in ("congdan", "motcua.sotuphap", "tocongnghe"):
        client.force_login(user(username))
        assert client.get(url).status_code == 404, username
    client.force_login(user("lanhdao.haichau"))
    assert client.get(url).status_code == 200  # this month by default
    assert client.get(url, {"tu": "2025-3-1"}).status_code == 400
    assert client.get(url, {"tu": "2025-03-31", "den": "2025-03-01"}).status_code == 400
    assert client.get(url, {"tu": "2023-01-01", "den": "2025-03-01"}).status_code == 400
    assert client.get("/mot-cua/so-theo-doi/000.99.99.H17.pdf").status_code == 404


# --- access -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["01", "06"])
def test_who_gets_a_dossiers_slips(client, kind):
    dossier = received_dossier()
    url = slip_url(dossier, kind)
    response = client.get(url)
    assert response.status_code == 302 and "/dang-nhap/" in response["Location"]
    for username in ("doanhnghiep", "motcua.sotuphap", "lanhdao.sotuphap", "kiemsoat"):
        client.force_login(user(username))
        assert client.get(url).status_code == 404, username  # another citizen, another agency
    for username in ("congdan", "motcua.haichau", "chuyenvien.haichau", "lanhdao.haichau"):
        client.force_login(user(username))
        assert client.get(url).status_code == 200, username


def test_a_slip_the_dossier_does_not_have_is_not_found(client):
    dossier = received_dossier()
    client.force_login(user("congdan"))
    for kind in ("02", "03", "04", "05", "07", "08", "1", "x"):
        assert client.get(slip_url(dossier, kind)).status_code == 404, kind
    assert client.get("/ho-so/000.20.01.H17-250305-9999/phieu/01.pdf").status_code == 404
    assert client.post(slip_url(dossier, "01")).status_code == 405
    with pytest.raises(data.SlipNotAvailable):
        render.render_slip("03", dossier)
    assert [kind for kind, _ in available_slips(dossier)] == ["01", "06"]


# --- text and layout ----------------------------------------------------------------------------


def test_decomposed_input_comes_out_composed():
    # Names typed on some keyboards arrive decomposed (NFD); the PDF must still say them right.
    dossier = received_dossier(applicant_name=unicodedata.normalize("NFD", NAME))
    assert NAME in pdf_text(render.render_reception_slip(dossier))


def test_long_text_wraps_inside_the_page():
    long_item = " ".join(["Bản sao có chứng thực giấy tờ chứng minh nơi cư trú hợp pháp"] * 6)
    dossier = make_dossier(received=None, due=None, state="reception_supplement")
    add_event(dossier, "request_supplement", "submitted", "reception_supplement",
              actor=user("motcua.haichau"), role="reception_officer",
              note="\n".join([long_item] * 12))
    content = render.render_slip("02", dossier)
    document = pdfium.PdfDocument(content)
    try:
        assert len(document) >= 2  # it flows onto a second page
        for page in document:
            width, _ = page.get_size()
            textpage = page.get_textpage()
            margin = 10 / 25.4 * 72  # 10 mm
            for index in range(textpage.count_chars()):
                left, _, right, _ = textpage.get_charbox(index)
                if right > left:
                    assert margin <= left and right <= width - margin
            textpage.close()
            page.close()
    finally:
        document.close()
    text = pdf_text(content)
    assert text.count("nơi cư trú hợp pháp") == 72
    assert "Trang 2/" in text


def test_the_slips_use_be_vietnam_pro():
    assert fonts.font_set().name == "Be Vietnam Pro"
    content = render.render_reception_slip(received_dossier())
    assert b"BeVietnamPro" in content


def test_the_slips_typeface_is_used_without_the_tables_the_pdfs_drop(settings, tmp_path):
    """fontTools decoded the layout tables again at every subsetting, though fpdf2 drops them."""
    from fontTools.ttLib import TTFont

    settings.DATA_DIR = tmp_path
    fonts.font_set.cache_clear()
    try:
        lean = fonts.font_set().files
        for style, path in lean.items():
            assert path.parent == tmp_path / "fonts"
            font = TTFont(str(path))
            assert not set(fonts.UNUSED_TABLES) & set(font.keys()), style
            assert "glyf" in font and len(font.getGlyphOrder()) > 300
        before = {path: path.stat().st_mtime_ns for path in lean.values()}
        fonts.font_set.cache_clear()
        assert fonts.font_set().files == lean  # made once, found again by the next process
        assert {path: path.stat().st_mtime_ns for path in lean.values()} == before
        text = pdf_text(render.render_reception_slip(received_dossier()))
        assert NAME in text and HAI_CHAU in text
    finally:
        fonts.font_set.cache_clear()


def _embedded_fonts(content: bytes) -> dict[str, bytes]:
    """Each font's name → its embedded font file, as a reader decodes it."""
    found = {}
    for page in PdfReader(io.BytesIO(content)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            found[str(font["/BaseFont"])] = descriptor["/FontFile2"].get_object().get_data()
    return found


def test_every_pdf_embeds_one_subset_of_the_typeface_made_once_per_process(monkeypatch):
    """fontTools subset each style again for each PDF's few glyphs (about 8 ms a style); every
    PDF now embeds the same Vietnamese subset, made once."""
    from fontTools import subset

    first = _embedded_fonts(render.render_reception_slip(received_dossier()))
    subsetting = []
    real = subset.Subsetter.subset
    monkeypatch.setattr(subset.Subsetter, "subset",
                        lambda self, font: subsetting.append(font) or real(self, font))
    other = received_dossier(2, applicant_name="Trần Văn Bình",
                             form_data={"dia_chi": "7 Lê Lợi, phường Thạch Thang"})
    content = render.render_reception_slip(other)
    assert _embedded_fonts(content) == first
    assert subsetting == []
    text = pdf_text(content)
    assert "Trần Văn Bình" in text and "7 Lê Lợi, phường Thạch Thang" in text
    from fontTools.ttLib import TTFont

    regular = TTFont(io.BytesIO(first["/MPDFAA+BeVietnamPro"]))
    assert {ord(c) for c in fonts.FIXED_CHARACTERS} - set(regular.getBestCmap()) <= {ord("→")}


def test_a_letter_outside_the_fixed_subset_is_embedded_too():
    name = "François Muñoz Nguyễn"  # ç and ñ are no Vietnamese letters
    content = render.render_reception_slip(received_dossier(applicant_name=name))
    assert name in pdf_text(content)
    from fontTools.ttLib import TTFont

    bold = TTFont(io.BytesIO(_embedded_fonts(content)["/MPDFAA+BeVietnamProBold"]))
    assert {ord("ç"), ord("ñ"), ord("ễ")} <= set(bold.getBestCmap())


@pytest.mark.parametrize("text", ["Nguyễn Thị Ánh Tuyết", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                                  "«Đà Nẵng» – 12/3 ☃ ç"])
def test_the_typeface_measures_a_text_as_fpdf2_does(text):
    from fpdf.fonts import TTFFont

    from dichvucong.slips import embedded

    pdf = render.SlipPDF("01", "t")
    font = pdf.fonts[fonts.FAMILY.lower()]
    assert isinstance(font, embedded.Typeface)
    for size in (9, 11.5, 14):
        assert (font.get_text_width(text, size, None)
                == TTFFont.get_text_width(font, text, size, None))


def test_a_result_embeds_only_the_glyphs_it_uses():
    """Kept and signed for years, a result keeps its PDF small: no fixed subset."""
    from fontTools.ttLib import TTFont

    from dichvucong.results.render import ResultPDF

    pdf = ResultPDF("12/2025", "Giấy khai sinh")
    pdf.paragraph("Giấy khai sinh của Nguyễn Thị Ánh")
    embedded = _embedded_fonts(bytes(pdf.output()))
    regular = TTFont(io.BytesIO(embedded["/MPDFAA+BeVietnamPro"]))
    assert ord("Á") in regular.getBestCmap() and ord("Ỹ") not in regular.getBestCmap()
    assert len(regular.getBestCmap()) < 40


def test_the_fixed_subsets_copies_draw_what_fpdf2_writes_itself():
    """The objects fpdf2 wrote once, copied into each PDF, against fpdf2 writing them there."""
    from fpdf.output import OutputProducer

    slip = data.reception_slip(received_dossier())
    pages = []
    for producer in (None, OutputProducer):
        pdf = render._start(slip.common)
        pdf.paragraph(f"{NAME}, {HAI_CHAU} — «Đà Nẵng»", "B")
        pdf.paragraph("Giấy khai sinh (bản sao)", "I")
        content = bytes(pdf.output(**({"output_producer_class": producer} if producer else {})))
        document = pdfium.PdfDocument(content)
        try:
            pages.append(document[0].render(scale=1).to_pil().tobytes())
        finally:
            document.close()
    assert pages[0] == pages[1]


@pytest.mark.parametrize("text", ["Họ, chữ đệm, tên người yêu cầu: ", "Nguyễn Thị Ánh Tuyết",
                                  "Số định danh cá nhân: 001234567890", "Đà Nẵng"])
@pytest.mark.parametrize("x", [25.0, 120.0])
def test_a_text_that_fits_is_drawn_where_fpdf2s_line_breaking_would_put_it(text, x):
    """``SlipPDF.write`` skips fpdf2's line breaking for a text that fits: the same drawing."""
    from fpdf import FPDF

    pages = []
    for write in (render.SlipPDF.write, FPDF.write):
        pdf = render.SlipPDF("01", "t")
        pdf.set_font(fonts.FAMILY, "B", render.BODY_SIZE)
        pdf.set_x(x)
        write(pdf, 6, text)
        write(pdf, 6, "; ")
        pages.append((pdf.pages[1].contents, pdf.get_x(), pdf.get_y()))
    assert pages[0] == pages[1]


def test_dejavu_stands_in_when_the_font_package_is_missing(monkeypatch):
    if not (fonts.DEJAVU / "DejaVuSans.ttf").is_file():
        pytest.skip("Debian's fonts-dejavu-core is not installed")
    monkeypatch.setattr(fonts, "_be_vietnam_pro", lambda: None)
    fonts.font_set.cache_clear()
    try:
        assert fonts.font_set().name == "DejaVu Sans"
        content = render.render_reception_slip(received_dossier())
        assert b"DejaVu" in content and b"BeVietnamPro" not in content
        text = pdf_text(content)
        assert NAME in text and HAI_CHAU in text
    finally:
        fonts.font_set.cache_clear()


def test_words_for_dates():
    assert render.dated_line("Hải Châu", date(2025, 1, 5)) == "Hải Châu, ngày 05 tháng 01 năm 2025"
    assert render.dated_line("Đà Nẵng", date(2025, 11, 20)) == "Đà Nẵng, ngày 20 tháng 11 năm 2025"
    assert render.dated_line("", date(2025, 3, 5)) == "Ngày 05 tháng 3 năm 2025"
    moment = datetime(2025, 3, 15, 7, 30, tzinfo=VN)
    assert render.appointment_text(moment) == "07 giờ 30 phút, thứ Bảy, ngày 15/03/2025"
    assert data.parse_moment("2025-03-14") == datetime(2025, 3, 14, 17, 0, tzinfo=VN)
    assert data.parse_moment("2025-03-14T01:00:00Z") == datetime(2025, 3, 14, 8, 0, tzinfo=VN)
    assert data.parse_moment("2025-03-14T08:00") == datetime(2025, 3, 14, 8, 0, tzinfo=VN)
    assert data.parse_moment("mai") is None and data.parse_moment(None) is None
    assert data.lines("1) Một\n 2. Hai \n\n• Ba\n3.5 triệu đồng") == [
        "Một", "Hai", "Ba", "3.5 triệu đồng"]


def test_place_names_come_from_the_agency():
    assert data.place_name(hai_chau()) == "Hải Châu"
    assert data.place_name(Agency.objects.get(name="Sở Tư pháp")) == "Đà Nẵng"


def test_structured_addresses_are_written_out():
    ward = hai_chau().administrative_unit
    province = ward.parent
    address = {"province": province.code, "commune": ward.code, "street": "12 Trần Phú"}
    assert data.format_address(address) == f"12 Trần Phú, {ward.name}, {province.name}"
    assert data.format_address("  45 Bạch Đằng ") == "45 Bạch Đằng"
    assert data.format_address(None) == ""
