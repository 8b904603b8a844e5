"""Third-party issuers (issue #18 items 4 and 5): a clinic's system deposits a signed driver's
health certificate into a consenting citizen's store through the API (OAuth client credentials,
scope documents:issue), every refusal leaving nothing stored; the citizen consents (standing per
kind of issuer, or once) and revokes on their store page, and reads each deposit and each use in
their access history; the licence renewal form takes the certificate from the store with no
upload, and the transport officer reads who issued it and that its signature was verified."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.test import Client
from django.utils import timezone
from fpdf import FPDF

from dichvucong.accounts.models import User
from dichvucong.apiclients import services as clients
from dichvucong.apiclients.services import Kind as ClientKind
from dichvucong.datastore.models import Access, AccessRecord, IssuerConsent, StoredDocument
from dichvucong.devdata import issuers as demo
from dichvucong.devdata.issuers import create_demo_clinic
from dichvucong.results import pki, signing
from tests.builders import user
from tests.filing import check_then_file
from tests.procedure_flow import officials
from tests.residence_forms import LICENCE_RENEWAL, licence_form
from tests.test_api_clients import access_token, bearer
from tests.test_datastore import agency_for, client_for, pdf

pytestmark = pytest.mark.django_db
CCCD = "048090001234"
HEALTH = "Giấy khám sức khỏe của người lái xe"
CLINIC = "Phòng khám Đa khoa Hải Châu"
DEPOSIT = "/api/v1/issuers/documents"


class Issuer:
    """A clinic: its own CA, a signing certificate, and its registration on the platform."""

    def __init__(self, name: str, *, issuer_type: str = "health", register: bool = True):
        self.authority = pki.create_authority(f"{name} CA")
        cert, key = pki.issue_certificate(self.authority, name, name)
        self.cert_pem = pki.pem(cert).encode()
        self.key_pem = key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption())
        self.name = name
        if register:
            self.client, self.secret = clients.register(
                name=name, kind=ClientKind.SYSTEM, scopes=["documents:issue"],
                issuer_type=issuer_type,
                issuer_certificate=pki.pem(self.authority.certificate) + pki.pem(cert))

    def sign(self, text: str) -> bytes:
        page = FPDF()
        page.add_page()
        page.set_font("helvetica", size=12)
        page.cell(text=text)
        return signing.sign_with_key(bytes(page.output()), self.key_pem, self.cert_pem,
                                     self.name)


def certificate(**changes) -> dict:
    today = timezone.localdate()
    fields = {"so_giay": "00017/GKSKLX/48001/26", "ho_ten": "Nguyễn Văn An",
              "so_dinh_danh": CCCD, "hang_du_dieu_kien": ["B", "C1"],
              "ngay_kham": (today - timedelta(days=10)).isoformat(),
              "gia_tri_den": (today + timedelta(days=355)).isoformat()}
    return {**fields, **changes}


def send(http: Client, token: str, body: bytes, *, cccd: str = CCCD, fields=None,
         document_type: str = HEALTH):
    upload = pdf("gksk.pdf", body)
    return http.post(DEPOSIT, {"cccd": cccd, "document_type": document_type,
                               "fields": json.dumps(fields or certificate()), "file": upload},
                     headers=bearer(token))


def stored_files() -> list[Path]:
    folder = Path(settings.MEDIA_ROOT) / "store" / "issued"
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


@pytest.fixture
def citizen() -> User:
    person = user("congdan")
    person.id_number, person.id_number_verified = CCCD, True
    person.save(update_fields=["id_number", "id_number_verified"])
    return person


@pytest.fixture
def clinic() -> Issuer:
    return Issuer(CLINIC)


def consent(page: Client, **data):
    response = page.post("/kho-du-lieu/to-chuc-cap/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


def test_a_clinic_deposits_only_with_consent_a_good_signature_and_a_known_number(
        citizen, clinic):
    http, page = Client(), client_for("congdan")
    token = access_token(http, clinic.client, clinic.secret)
    body = clinic.sign("GKSK 00017")

    # No consent, and a number nobody holds: the same refusal, nothing stored.
    refused = [send(http, token, body), send(http, token, body, cccd="048090009999",
                                              fields=certificate(so_dinh_danh="048090009999"))]
    assert {r.status_code for r in refused} == {403}
    assert {r.json()["code"] for r in refused} == {"not_accepted"}
    assert refused[0].json()["detail"] == refused[1].json()["detail"]
    User.objects.filter(pk=citizen.pk).update(id_number_verified=False)
    consent(page, action="types", issuer_type="health")
    unverified = send(http, token, body)  # a number typed on an account, never verified
    assert unverified.status_code == 403 and unverified.json()["code"] == "not_accepted"
    consent(page, action="types")
    User.objects.filter(pk=citizen.pk).update(id_number_verified=True)
    assert not StoredDocument.objects.exists() and not stored_files()

    # A one-time consent, given on the store page: one deposit, then used up.
    consent(page, action="once", issuer=str(clinic.client.pk))
    first = send(http, token, body)
    assert first.status_code == 201, first.content
    assert first.json()["created"] is True and first.json()["valid_until"]
    again = send(http, token, clinic.sign("GKSK 00018"))
    assert again.status_code == 403 and again.json()["code"] == "not_accepted"
    assert StoredDocument.objects.filter(owner=citizen).count() == 1

    # A standing consent for health facilities; then every other refusal stores nothing.
    consent(page, action="types", issuer_type="health")
    impostor = Issuer("Phòng khám Giả", register=False)
    signed = clinic.sign("GKSK 00019")
    tampered = signed[:10] + bytes([signed[10] ^ 1]) + signed[11:]  # inside the signed range
    expired = certificate(ngay_kham=(timezone.localdate() - timedelta(days=400)).isoformat(),
                          gia_tri_den=(timezone.localdate() - timedelta(days=1)).isoformat())
    cases = {
        "bad_signature": [send(http, token, impostor.sign("GKSK 00020")),
                          send(http, token, tampered),
                          send(http, token, b"%PDF-1.4 not signed\n%%EOF\n")],
        "expired": [send(http, token, clinic.sign("GKSK 00021"), fields=expired)],
        "invalid_fields": [send(http, token, clinic.sign("GKSK 00022"),
                                fields=certificate(ho_ten="Trần Văn Khác")),
                           send(http, token, clinic.sign("GKSK 00023"),
                                fields=certificate(hang_du_dieu_kien=["Z9"]))],
        "type_not_allowed": [send(http, token, clinic.sign("x"),
                                  document_type="Giấy xác nhận số dư tài khoản tiền gửi")],
    }
    for code, responses in cases.items():
        for response in responses:
            assert response.status_code == 400 and response.json()["code"] == code, \
                (code, response.content)
    assert "hết giá trị" in cases["expired"][0].json()["detail"]
    assert StoredDocument.objects.filter(owner=citizen).count() == 1
    assert len(stored_files()) == 1

    second = send(http, token, clinic.sign("GKSK 00024"))
    assert second.status_code == 201
    retried = send(http, token, clinic.sign("GKSK 00024"))  # signed again: another file
    assert retried.status_code == 201
    doc = StoredDocument.objects.get(pk=second.json()["id"])
    assert doc.kind == "issued" and doc.issuer_name == CLINIC and doc.signer_name == CLINIC
    assert doc.fields["hang_du_dieu_kien"] == ["B", "C1"] and doc.verified_at

    # The issuer reads nothing: not the store, not dossiers, not by a session either.
    assert http.get("/api/v1/store/documents", headers=bearer(token)).status_code in (401, 403)
    assert http.get(f"/api/v1/store/documents/{doc.pk}/file",
                    headers=bearer(token)).status_code in (401, 403)
    assert http.get("/api/v1/dossiers", headers=bearer(token)).status_code == 403
    assert page.post(DEPOSIT, {"cccd": CCCD, "document_type": HEALTH}).status_code == 401

    # The citizen sees each deposit and each consent; revoking ends the standing consent.
    html = page.get("/kho-du-lieu/").content.decode()
    assert html.count(str(Access.ISSUER_DEPOSIT.label)) == 3 and CLINIC in html
    assert str(Access.ISSUER_CONSENT.label) in html
    assert 'id="issuer-type-health" name="issuer_type" value="health" checked' in html
    consent(page, action="types")
    assert send(http, token, clinic.sign("GKSK 00025")).status_code == 403
    assert not IssuerConsent.objects.filter(owner=citizen, revoked_at__isnull=True,
                                            used_at__isnull=True).exists()
    assert AccessRecord.objects.filter(owner=citizen, action=Access.ISSUER_DEPOSIT).count() == 3


def test_the_licence_renewal_takes_the_clinics_certificate_with_no_upload(citizen, clinic):
    http, page = Client(), client_for("congdan")
    consent(page, action="once", issuer=str(clinic.client.pk))
    token = access_token(http, clinic.client, clinic.secret)
    deposited = send(http, token, clinic.sign("GKSK 00031"))
    assert deposited.status_code == 201
    doc_id = deposited.json()["id"]

    url = f"/thu-tuc/{LICENCE_RENEWAL}/nop-ho-so/"
    form = page.get(url).content.decode()
    radio = re.search(rf'<input type="radio" id="store-1-{doc_id}"[^>]*>', form)
    assert radio is not None and "checked" in radio.group(0), form[:3000]
    assert f"do {CLINIC} cấp, chữ ký số đã xác minh" in form

    filed = check_then_file(page, url, {
        "agency": str(agency_for(LICENCE_RENEWAL).pk), "delivery": "online",
        "action": "submit", **licence_form(), "doc-0": pdf("don.pdf"),
        "store-1": str(doc_id), "doc-2": pdf("gplx.pdf", b"%PDF-1.4 licence\n")})
    assert filed.status_code == 302, filed.content.decode()[:3000]
    code = filed["Location"].strip("/").split("/")[-1]
    history = page.get("/kho-du-lieu/").content.decode()
    assert "Dùng cho hồ sơ mới" in history

    # The transport officer reads where it came from, and that its signature was verified.
    officer = officials(agency_for(LICENCE_RENEWAL)).reception
    back = Client()
    back.force_login(officer)
    html = back.get(f"/mot-cua/ho-so/{code}/").content.decode()
    assert f"do {CLINIC} cấp, chữ ký số ({CLINIC}) đã được xác minh khi nhận vào kho" in html
    assert "Đủ điều kiện sức khỏe lái xe hạng: B, C1" in html and CCCD not in html

    # Expired in the store: not offered, the form says why, and choosing it is refused.
    StoredDocument.objects.filter(pk=doc_id).update(
        valid_until=timezone.localdate() - timedelta(days=1))
    form = page.get(url).content.decode()
    assert f'id="store-1-{doc_id}"' not in form and "đã hết giá trị" in form
    response = page.post(url, {"agency": str(agency_for(LICENCE_RENEWAL).pk),
                               "delivery": "online", "action": "submit", **licence_form(),
                               "doc-0": pdf("don.pdf"), "store-1": str(doc_id),
                               "doc-2": pdf("gplx.pdf", b"%PDF-1.4 licence\n")})
    assert response.status_code in (200, 400)
    assert "đã hết giá trị" in response.content.decode()


def test_the_demo_clinic_deposits_the_demo_citizens_certificate_once(settings, tmp_path):
    settings.RESULTS_PKI_DIR = str(tmp_path)
    first, again = create_demo_clinic(), create_demo_clinic()
    assert first.secret and not again.secret and first.client == again.client
    doc = StoredDocument.objects.get(owner__username="congdan", kind="issued")
    assert doc.issuer == first.client and doc.signer_name == demo.CLINIC
    assert doc.status[0] == "valid" and doc.fields["so_dinh_danh"] == demo.CITIZEN_ID


def test_the_administrator_registers_an_issuer_with_its_kind_and_certificate():
    admin = Client()
    assert admin.login(username="admin", password="demo-dichvucong")
    url = "/quan-tri/apiclients/machineclient/add/"
    form = {"name": CLINIC, "kind": "system", "scopes": ["documents:issue"], "rate_limit": 60}
    refused = admin.post(url, {**form, "issuer_certificate": "not a certificate"})
    errors = refused.context["form"].errors
    assert refused.status_code == 200 and errors["issuer_type"] and errors["issuer_certificate"]
    app = admin.post(url, {**form, "kind": "app", "redirect_uris": "https://app.example.vn/cb",
                           "issuer_type": "health"})
    assert app.context["form"].errors["scopes"]  # an app acts for a person, never issues
    authority = pki.create_authority("Clinic CA")
    page = admin.post(url, {**form, "issuer_type": "health",
                            "issuer_certificate": pki.pem(authority.certificate)})
    client = page.context["client"]
    assert client.issuer_type == "health" and "BEGIN CERTIFICATE" in client.issuer_certificate
