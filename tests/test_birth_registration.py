"""Birth registration (1.001193, đăng ký khai sinh) end to end through the pages: the citizen
fills the e-declaration (Tờ khai đăng ký khai sinh, Thông tư 04/2020/TT-BTP), the ward's
officials receive, assign, examine and approve, the Giấy khai sinh is issued and signed, and
its PDF carries the child's and the parents' particulars and a QR code that reads back."""

from __future__ import annotations

import io
from datetime import timedelta

import pypdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, TestCase
from django.utils import timezone

from dichvucong.agencies.models import Agency
from dichvucong.catalog.formengine import validate
from dichvucong.catalog.models import Procedure
from dichvucong.datastore.models import StoredDocument
from dichvucong.dossiers.models import Dossier
from dichvucong.payments.words import date_words
from dichvucong.results import services
from dichvucong.results.models import Result, Verification
from dichvucong.slips.render import dated_line
from tests.birth_helpers import BIRTH, birth_form, birth_form_json
from tests.filing import check_then_file
from tests.results_helpers import HAI_CHAU, approved_dossier, user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("result_keys")]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
URL = f"/thu-tuc/{BIRTH}/nop-ho-so/"


def client_for(username: str) -> Client:
    client = Client()
    client.force_login(user(username))
    return client


def post_action(client: Client, dossier: Dossier, action: str, **fields):
    dossier.refresh_from_db()
    return client.post(f"/mot-cua/ho-so/{dossier.code}/",
                       {"action": action, "revision": dossier.revision, **fields})


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def qr_at_150_dpi(data: bytes) -> list[str]:
    import pypdfium2
    import zxingcpp

    document = pypdfium2.PdfDocument(data)
    texts = []
    for index in range(len(document)):
        image = document[index].render(scale=150 / 72).to_pil()
        # QR codes only: a run of the text can read as a one-dimensional code (a Code 39
        # «B40$B» once, beside the QR).
        texts += [found.text for found in zxingcpp.read_barcodes(
            image, formats=zxingcpp.BarcodeFormat.QRCode)]
    return texts


def test_a_birth_is_declared_online_and_the_signed_giay_khai_sinh_carries_it():
    citizen = client_for("congdan")
    agency = Agency.objects.get(name=HAI_CHAU)
    page = citizen.get(URL).content.decode()
    # The declaration is a form now, not an empty heading over a paper to print and scan.
    for name in ("nyc_quan_he", "tre_ho_ten", "tre_ngay_sinh", "tre_dan_toc", "tre_noi_sinh",
                 "tre_que_quan", "me_ho_ten", "me_nam_sinh", "cha_ho_ten"):
        assert f'name="{name}"' in page, name
    assert '<option value="Ơ-đu"' in page and '<option value="Brâu"' in page
    assert "theo mẫu Tờ khai đăng ký khai sinh ban hành kèm Thông tư 04/2020/TT-BTP" in page

    # A birth date in the future is refused in Vietnamese; what was typed stays.
    today = timezone.localdate()
    tomorrow = today + timedelta(days=1)
    post = {"agency": str(agency.pk), "delivery": "online", "action": "submit",
            **birth_form(tomorrow),
            "doc-1": SimpleUploadedFile("giay-chung-sinh.pdf", PDF, "application/pdf")}
    response = citizen.post(URL, post)
    assert response.status_code == 200
    html = response.content.decode()
    assert (f"«Ngày, tháng, năm sinh» không được sau ngày hôm nay ({today:%d/%m/%Y})."
            in html)
    assert 'value="Trần Minh Khang"' in html and 'value="Trần Văn Hùng"' in html
    assert f'value="{tomorrow.isoformat()}"' in html
    assert '<option value="Tày" selected>' in html  # the father's ethnicity
    assert "Đã đính kèm: giay-chung-sinh.pdf" in html
    draft = Dossier.objects.get(applicant=user("congdan"))
    assert draft.state == "draft" and draft.code is None

    born = today - timedelta(days=12)
    with TestCase.captureOnCommitCallbacks(execute=True):  # the declaration is made after commit
        response = check_then_file(citizen, URL, {"draft": draft.pk, "agency": str(agency.pk),
                                                  "delivery": "online", "action": "submit",
                                                  **birth_form(born)})
    assert response.status_code == 302, response.content.decode()[:3000]
    dossier = Dossier.objects.get(pk=draft.pk)
    assert dossier.state == "submitted"
    assert dossier.form_data["tre_ho_ten"] == "Trần Minh Khang"
    assert dossier.form_data["tre_ngay_sinh"] == born.isoformat()

    # The filled declaration is a file of the dossier, as the official template lays it out.
    declaration_url = f"/ho-so/{dossier.code}/to-khai.pdf"
    assert declaration_url in citizen.get(f"/ho-so/{dossier.code}/").content.decode()
    reception = client_for("motcua.haichau")
    assert f"to-khai-{dossier.code}.pdf" in reception.get(
        f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    filed = citizen.get(declaration_url)
    assert filed.status_code == 200 and filed["Content-Type"] == "application/pdf"
    assert filed["Cache-Control"] == "private, no-store"
    text = pdf_text(filed.content)
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
        "TỜ KHAI ĐĂNG KÝ KHAI SINH", "Thông tư số 04/2020/TT-BTP",
        f"Kính gửi: {HAI_CHAU}", "Họ, chữ đệm và tên người yêu cầu: Nguyễn Thị Lan",
        "Họ, chữ đệm và tên người được khai sinh: Trần Minh Khang",
        f"Ngày, tháng, năm sinh: {born:%d/%m/%Y}", "Dân tộc của người cha: Tày",
        f"Làm tại: Hải Châu, {dated_line('', today)[0].lower()}{dated_line('', today)[1:]}",
        "Người yêu cầu (Ký, ghi rõ họ, chữ đệm, tên) Nguyễn Thị Lan",
        f"Tờ khai điện tử của hồ sơ {dossier.code}",
    ):
        assert expected in text, (expected, text)
    assert Dossier.objects.get(pk=dossier.pk).attachments.filter(declaration=True).count() == 1
    # Nobody else reads it.
    for other in ("doanhnghiep", "motcua.sotuphap"):
        assert client_for(other).get(declaration_url).status_code == 404
    assert Client().get(declaration_url).status_code == 302

    # The ward's officials, through the back office pages.
    leader, specialist = client_for("lanhdao.haichau"), client_for("chuyenvien.haichau")
    assert post_action(client_for("motcua.haichau"), dossier, "receive").status_code == 302
    assert post_action(leader, dossier, "assign",
                       assignee=user("chuyenvien.haichau").pk).status_code == 302
    assert post_action(specialist, dossier, "examine", note="Đủ điều kiện").status_code == 302
    assert post_action(leader, dossier, "approve").status_code == 302
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = specialist.post(f"/mot-cua/ket-qua/ho-so/{dossier.code}/ban-hanh/",
                                   {"choice": "0", "valid_until": ""})
    assert response.status_code == 302
    result = Result.objects.get(dossier=dossier)
    assert result.is_ready and result.title == "Giấy khai sinh"
    # In the citizen's store as a Giấy khai sinh (what a later procedure asks for), not as
    # «Bản chính», the kind of copy printed under the title.
    assert StoredDocument.objects.get(result=result).document_type == "Giấy khai sinh"
    # Issued to the child, not to the mother who filed: no ID number of hers on it.
    assert result.holder_name == "Trần Minh Khang" and result.holder_account == dossier.applicant
    assert result.holder_id_hash == ""

    download = citizen.get(f"/ket-qua/{result.token}/")
    assert download.status_code == 200
    data = b"".join(download.streaming_content) if download.streaming else download.content
    # One page, entered in the ward's birth register of the year.
    assert len(pypdf.PdfReader(io.BytesIO(data)).pages) == 1
    assert result.register == "Sổ đăng ký khai sinh" and result.register_entry >= 1
    text = pdf_text(data)
    for expected in (
        "GIẤY KHAI SINH", f"Số: {result.register_entry} Quyển số: 01/{today.year}",
        f"Số {result.number}",
        "Họ, chữ đệm và tên: Trần Minh Khang",
        f"Ngày, tháng, năm sinh: {born:%d/%m/%Y}; ghi bằng chữ: {date_words(born)}",
        "Giới tính: Nam. Dân tộc: Kinh. Quốc tịch: Việt Nam",
        "Nơi sinh: Bệnh viện Phụ sản - Nhi Đà Nẵng",
        "Quê quán: Xã Điện Bàn, thành phố Đà Nẵng",
        "Họ, chữ đệm và tên người mẹ: Nguyễn Thị Lan", "Năm sinh: 1994. Dân tộc: Kinh",
        "Họ, chữ đệm và tên người cha: Trần Văn Hùng", "Năm sinh: 1992. Dân tộc: Tày",
        f"Nơi đăng ký khai sinh: {HAI_CHAU}. Ngày, tháng, năm đăng ký: {today:%d/%m/%Y}",
        result.signer_name, "Cấp cho: Trần Minh Khang",
    ):
        assert expected in text, (expected, text)
    assert "Số định danh cá nhân" not in text
    texts = qr_at_150_dpi(data)
    assert texts == [services.verify_url(result.qr_payload)]
    # The QR's link verifies the very document online.
    verdict = services.verify_text(texts[0], Verification.Method.LINK)
    assert verdict.outcome == "valid" and verdict.result == result


def test_a_birth_without_a_father_recorded_leaves_the_fathers_part_empty():
    """The template allows a birth with no father recorded: his part of the form is optional
    and the Giấy khai sinh leaves his lines out (a result line with only empty values is not
    printed)."""
    data = birth_form_json(father=False)
    form = Procedure.objects.get(code=BIRTH).current_version.parsed().form
    assert validate(form, data, timezone.localdate()).is_valid
    dossier = approved_dossier("Nguyễn Thị Lan", form_data=data)
    with TestCase.captureOnCommitCallbacks(execute=True):
        result = services.request_issue(dossier, user("chuyenvien.haichau"))
    lines = result.body.splitlines()
    # The father's lines have nothing to print: they are left out, the headings stay.
    assert not any(line.startswith(("Họ, chữ đệm và tên người cha", "Năm sinh: . "))
                   for line in lines), lines
    assert "Họ, chữ đệm và tên người mẹ: Nguyễn Thị Lan" in lines and "# Cha, mẹ" in lines


def test_the_blank_declaration_downloads_from_the_procedure_page():
    """The national portal offers each declaration's template: here a PDF made from the
    definition, every field with a dotted line, public and cacheable."""
    anonymous = Client()
    url = f"/thu-tuc/{BIRTH}/to-khai.pdf"
    page = anonymous.get(f"/thu-tuc/{BIRTH}/").content.decode()
    assert f'href="{url}"' in page and "Tải mẫu Tờ khai đăng ký khai sinh" in page
    response = anonymous.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "public, max-age=86400"
    text = pdf_text(response.content)
    form = Procedure.objects.get(code=BIRTH).current_version.parsed().form
    for label in [f.label for f in form]:
        assert f"{label}: ....." in text, (label, text)
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                     "TỜ KHAI ĐĂNG KÝ KHAI SINH", "Kính gửi: .....", "Làm tại: .....",
                     "Người yêu cầu (Ký, ghi rõ họ, chữ đệm, tên)"):
        assert expected in text, (expected, text)
    assert "Nguyễn" not in text  # nobody's data
    again = anonymous.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    # A procedure without an e-form has no template.
    plain = next(p for p in Procedure.objects.filter(is_active=True).exclude(
        current_version=None).select_related("current_version")[:50]
        if not p.current_version.parsed().form)
    assert anonymous.get(f"/thu-tuc/{plain.code}/to-khai.pdf").status_code == 404
    assert f"/thu-tuc/{plain.code}/to-khai.pdf" not in anonymous.get(
        f"/thu-tuc/{plain.code}/").content.decode()
