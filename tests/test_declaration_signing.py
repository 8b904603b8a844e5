"""A citizen signs the declaration of their draft before filing, through a remote signing service
(CSC API with a one-time code, SCAL 2), run for real: certomancer-csc-dummy behind the test
server of tests/results_signers.py (per-user credentials, codes, SAD expiry, a CRL). The signed
declaration is checked on receipt (pyHanko, trust roots, revocation, the CCCD matched to the
account's verified one) and shown to the officer; each refusal keeps nothing half-made."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from dichvucong.accounts.models import User
from dichvucong.dossiers.models import Dossier
from dichvucong.results import declaration_signing as signing
from dichvucong.results.models import DeclarationSignature
from tests import procedure_flow as flow
from tests.birth_helpers import BIRTH, birth_form
from tests.results_signers import Citizen, CscService, citizens_service

pytestmark = pytest.mark.django_db

AN_ID = "048090001234"
OTHER_ID = "001090000099"
CITIZENS = [Citizen("an", "Nguyễn Văn An", AN_ID),
            Citizen("khac", "Lê Thị Khác", OTHER_ID),
            Citizen("thuhoi", "Nguyễn Văn An", AN_ID, revoked=True)]
SUBMIT = f"/thu-tuc/{BIRTH}/nop-ho-so/"


@pytest.fixture
def csc(settings, tmp_path):
    service = citizens_service(settings, tmp_path, CITIZENS, {AN_ID: ["dichvucong/an"]})
    User.objects.filter(username="congdan").update(id_number=AN_ID, id_number_verified=True)
    yield service
    service.stop()


def require_signed_declaration() -> None:
    version = flow.procedure(BIRTH).current_version
    version.definition["declaration"] = {**version.definition.get("declaration", {}),
                                         "signed": True}
    version.published_at = timezone.now()  # a new parse, not the one kept for the old version
    version.save(update_fields=["definition", "published_at"])


def to_check_page(client, form: dict) -> tuple[Dossier, str]:
    """Post the form without the declaration's scan; the check page. (draft, its HTML)."""
    agency = flow.receiving_agency(flow.procedure(BIRTH))
    response = client.post(SUBMIT, {"agency": str(agency.pk), "delivery": "online",
                                    "action": "submit", **form, **flow_files()})
    html = response.content.decode()
    assert "<h1>Kiểm tra lại thông tin</h1>" in html, html[:3000]
    draft_id = re.search(r'name="draft" value="(\d+)"', html).group(1)
    return Dossier.objects.get(pk=draft_id), html


def flow_files() -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    definition = flow.procedure(BIRTH).current_version.parsed()
    return {f"doc-{i}": SimpleUploadedFile(f"giay-to-{i}.pdf", flow.PDF, "application/pdf")
            for i, d in enumerate(definition.documents)
            if d.mandatory and not d.name.startswith("Tờ khai")}


def sign(client, draft: Dossier, csc: CscService, code: str | None = None):
    url = f"/ho-so/nhap/{draft.pk}/ky-so/"
    sent = client.post(url, {"action": "send"})
    assert sent.status_code == 200, sent.content.decode()[:3000]
    assert 'autocomplete="one-time-code"' in sent.content.decode()
    return client.post(url, {"action": "sign", "otp": code or csc.phone[-1]})


def test_citizen_signs_before_filing_and_the_officer_sees_it(csc, tmp_path):
    require_signed_declaration()
    client = flow.client_for("congdan")
    draft, html = to_check_page(client, birth_form())
    # Required and not given yet: the check page asks for it; filing now is refused.
    assert "cần tờ khai có chữ ký" in html and ">Ký số tờ khai</button>" in html
    refused = client.post(SUBMIT, {"draft": draft.pk, "action": "confirm"})
    assert refused.status_code == 200 and "bấm «Ký số tờ khai»" in refused.content.decode()

    signed = sign(client, draft, csc)
    assert signed.status_code == 302 and signed["Location"].endswith("&kiem-tra=1#ky-so")
    page = client.get(signed["Location"]).content.decode()
    assert "Đã ký số bởi Nguyễn Văn An" in page
    # Only the service's own steps: listed by CCCD, code sent, authorised with it, signed.
    steps = [r for r in csc.requests if r.startswith(("credentials", "signatures"))]
    assert steps == ["credentials/list", "credentials/sendOTP", "credentials/info",
                     "credentials/authorize", "signatures/signHash"]

    # New answers drop the signature: it was of the old ones.
    changed = {**birth_form(), "tre_ho_ten": "Trần Minh Khôi"}
    draft, html = to_check_page(client, changed)
    assert "Đã ký số bởi" not in html and not draft.attachments.filter(declaration=True)
    assert sign(client, draft, csc).status_code == 302

    filed = client.post(SUBMIT, {"draft": draft.pk, "action": "confirm"})
    assert filed.status_code == 302, filed.content.decode()[:3000]
    dossier = Dossier.objects.get(pk=draft.pk)
    assert dossier.state == "submitted"
    kept = dossier.attachments.get(declaration=True)
    data = kept.file.read()
    result = signing.check(data, AN_ID)
    assert result.valid and result.signer_name == "Nguyễn Văn An"
    assert "Trần Minh Khôi" in flow.pdf_text(data)
    # The filed declaration is the signed one (not rendered again on filing).
    assert client.get(f"/ho-so/{dossier.code}/to-khai.pdf").content == data

    officer = flow.client_for("motcua.haichau")
    office_page = officer.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert re.search(r"Đã ký số bởi Nguyễn Văn An \(\d\d:\d\d \d\d/\d\d/\d{4}\)", office_page)
    assert "tờ khai điện tử, công dân đã ký số" in office_page


def test_each_refusal_is_clear_and_keeps_nothing(csc, settings):
    client = flow.client_for("congdan")
    draft, _html = to_check_page(client, birth_form())

    def refused(response, message: str) -> None:
        assert response.status_code == 400
        assert message in response.content.decode()
        assert not draft.attachments.filter(declaration=True).exists()

    # A wrong code: nothing authorised, nothing signed.
    refused(sign(client, draft, csc, code="000000" if csc.phone[-1:] != ["000000"] else "1"),
            "Mã xác thực (OTP) không đúng")
    assert "signatures/signHash" not in csc.requests
    # The authorisation (SAD) expired before signHash.
    csc.sad_lifetime = 0
    refused(sign(client, draft, csc), "Phiên ủy quyền ký đã hết hạn")
    csc.sad_lifetime = 300
    assert not DeclarationSignature.objects.exists()  # the service signed nothing

    # Another person's certificate linked to this CCCD at the service: signed, refused on receipt.
    csc.users[AN_ID] = ["dichvucong/khac"]
    refused(sign(client, draft, csc), "Chứng thư số được cấp cho người khác")
    # The citizen's own certificate, revoked (on the CA's CRL).
    csc.users[AN_ID] = ["dichvucong/thuhoi"]
    refused(sign(client, draft, csc), "Chứng thư số của người ký đã bị thu hồi")
    assert [(s.valid, s.attachment_id) for s in draft.declaration_signatures.all()] == \
        [(False, None), (False, None)]
    # No certificate at the service, and an account without a verified CCCD.
    csc.users[AN_ID] = []
    refused(client.post(f"/ho-so/nhap/{draft.pk}/ky-so/", {"action": "send"}),
            "không có chứng thư số nào mang số định danh của bạn")
    User.objects.filter(username="congdan").update(id_number_verified=False)
    refused(client.post(f"/ho-so/nhap/{draft.pk}/ky-so/", {"action": "send"}),
            "chưa có số định danh cá nhân đã xác thực")
    # Nobody else's draft: another citizen gets a 404.
    assert flow.client_for("doanhnghiep").post(f"/ho-so/nhap/{draft.pk}/ky-so/",
                                            {"action": "send"}).status_code == 404

    # Filed unsigned (this procedure does not require it): the officer is told why the digital
    # signature was not accepted.
    filed = client.post(SUBMIT, {"draft": draft.pk, "action": "confirm"})
    assert filed.status_code == 302, filed.content.decode()[:3000]
    dossier = Dossier.objects.get(pk=draft.pk)
    office_page = flow.client_for("motcua.haichau").get(
        f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert "không được chấp nhận: Chứng thư số của người ký đã bị thu hồi." in office_page


def test_without_the_service_a_required_signature_is_the_hand_signed_scan(settings):
    settings.DECLARATION_CSC_URL = ""
    require_signed_declaration()
    proc = flow.procedure(BIRTH)
    agency = flow.receiving_agency(proc)
    response = flow.client_for("congdan").post(SUBMIT, {
        "agency": str(agency.pk), "delivery": "online", "action": "submit", **birth_form(),
        **flow_files()})
    html = response.content.decode()
    # Nothing to sign with here: the form says to attach the signed paper.
    assert "<h1>Kiểm tra lại thông tin</h1>" not in html
    assert "đính kèm bản chụp tờ khai đã ký tay" in html
    dossier = flow.file_online(proc, birth_form(), uploads={
        0: ("to-khai-da-ky.pdf", flow.PDF), 1: ("giay-chung-sinh.pdf", flow.PDF)})
    assert dossier.attachments.filter(requirement="Tờ khai đăng ký khai sinh",
                                      declaration=False).exists()
