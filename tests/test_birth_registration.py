"""Birth registration (1.001193, đăng ký khai sinh) end to end through the pages: the citizen
fills the e-declaration (Tờ khai đăng ký khai sinh, Thông tư 04/2020/TT-BTP), the ward's
officials receive, assign, examine and approve, the Giấy khai sinh is issued and signed, and
its PDF carries the child's and the parents' particulars and a QR code that reads back."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, TestCase
from django.utils import timezone

from dichvucong.agencies.models import Agency
from dichvucong.catalog.formengine import validate
from dichvucong.catalog.models import Procedure
from dichvucong.dossiers.models import Dossier
from dichvucong.payments.words import date_words
from dichvucong.results import services
from dichvucong.results.models import Result, Verification
from tests.birth_helpers import BIRTH, birth_form, birth_form_json
from tests.results_helpers import HAI_CHAU, approved_dossier, user

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
URL = f"/thu-tuc/{BIRTH}/nop-ho-so/"


@pytest.fixture(autouse=True)
def _pki(settings, tmp_path_factory):
    settings.RESULTS_PKI_DIR = str(tmp_path_factory.mktemp("pki"))
    settings.RESULTS_TRUST_ROOTS = []
    settings.SITE_URL = "http://testserver"
    cache.delete_many([services.PUBLISHED_CACHE_KEY, services.ONLINE_CACHE_KEY])
    services.ensure_demo_keys(Agency.objects.filter(name=HAI_CHAU))


def client_for(username: str) -> Client:
    client = Client()
    client.force_login(user(username))
    return client


def post_action(client: Client, dossier: Dossier, action: str, **fields):
    dossier.refresh_from_db()
    return client.post(f"/mot-cua/ho-so/{dossier.code}/",
                       {"action": action, "revision": dossier.revision, **fields})


def pdf_text(data: bytes) -> str:
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def qr_at_150_dpi(data: bytes) -> list[str]:
    import pypdfium2
    import zxingcpp

    document = pypdfium2.PdfDocument(data)
    texts = []
    for index in range(len(document)):
        image = document[index].render(scale=150 / 72).to_pil()
        texts += [found.text for found in zxingcpp.read_barcodes(image)]
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
    response = citizen.post(URL, {"draft": draft.pk, "agency": str(agency.pk),
                                  "delivery": "online", "action": "submit", **birth_form(born)})
    assert response.status_code == 302, response.content.decode()[:3000]
    dossier = Dossier.objects.get(pk=draft.pk)
    assert dossier.state == "submitted"
    assert dossier.form_data["tre_ho_ten"] == "Trần Minh Khang"
    assert dossier.form_data["tre_ngay_sinh"] == born.isoformat()

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

    download = citizen.get(f"/ket-qua/{result.token}/")
    assert download.status_code == 200
    data = b"".join(download.streaming_content) if download.streaming else download.content
    text = pdf_text(data)
    for expected in (
        "GIẤY KHAI SINH", f"Số: {result.number}",
        "Họ, chữ đệm và tên: Trần Minh Khang",
        f"Ngày, tháng, năm sinh: {born:%d/%m/%Y}; ghi bằng chữ: {date_words(born)}",
        "Giới tính: Nam. Dân tộc: Kinh. Quốc tịch: Việt Nam",
        "Nơi sinh: Bệnh viện Phụ sản - Nhi Đà Nẵng",
        "Quê quán: Xã Điện Bàn, thành phố Đà Nẵng",
        "Họ, chữ đệm và tên người mẹ: Nguyễn Thị Lan", "Năm sinh: 1994. Dân tộc: Kinh",
        "Họ, chữ đệm và tên người cha: Trần Văn Hùng", "Năm sinh: 1992. Dân tộc: Tày",
        f"Nơi đăng ký khai sinh: {HAI_CHAU}. Ngày, tháng, năm đăng ký: {today:%d/%m/%Y}",
        result.signer_name,
    ):
        assert expected in text, (expected, text)
    texts = qr_at_150_dpi(data)
    assert texts == [services.verify_url(result.qr_payload)]
    # The QR's link verifies the very document online.
    verdict = services.verify_text(texts[0], Verification.Method.LINK)
    assert verdict.outcome == "valid" and verdict.result == result


def test_a_birth_without_a_father_recorded_leaves_the_fathers_part_empty():
    """The template allows a birth with no father recorded: his part of the form is optional
    and the Giấy khai sinh leaves it blank."""
    data = birth_form_json(father=False)
    form = Procedure.objects.get(code=BIRTH).current_version.parsed().form
    assert validate(form, data, timezone.localdate()).is_valid
    dossier = approved_dossier("Nguyễn Thị Lan", form_data=data)
    with TestCase.captureOnCommitCallbacks(execute=True):
        result = services.request_issue(dossier, user("chuyenvien.haichau"))
    lines = result.body.splitlines()
    assert "Họ, chữ đệm và tên người cha: " in lines
    assert "Họ, chữ đệm và tên người mẹ: Nguyễn Thị Lan" in lines
