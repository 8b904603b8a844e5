"""Digital results: numbering, validity, issuing from the back office, the signed PDF (pyHanko's
validator and poppler's pdfsig), the signed QR read back from the rendered page and verified
offline and online, forgeries, revocation, replacement and expiry."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import time
from datetime import date

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client, TestCase
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from dichvucong.accounts import reauth, twofactor
from dichvucong.dossiers.models import Dossier
from dichvucong.results import services, verifier
from dichvucong.results.models import Result, SigningState, Status, Verification
from dichvucong.results.validity import add_months, valid_until
from tests.conftest import require_component
from tests.results_helpers import ID_NUMBER, approved_dossier, pdfsig, qr_texts, user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _pki(settings, tmp_path_factory):
    """One demo CA and agency keys for the session, outside the developer's data folder."""
    settings.RESULTS_PKI_DIR = str(_pki_dir(tmp_path_factory))
    settings.RESULTS_TRUST_ROOTS = []
    settings.SITE_URL = "http://testserver"
    # The trust lists are cached across requests; a test's keys are its own.
    cache.delete_many([services.PUBLISHED_CACHE_KEY, services.ONLINE_CACHE_KEY])


_PKI = {}


def _pki_dir(factory):
    if "dir" not in _PKI:
        _PKI["dir"] = factory.mktemp("pki")
    return _PKI["dir"]


@pytest.fixture
def keys():
    from dichvucong.agencies.models import Agency

    services.ensure_demo_keys(Agency.objects.filter(name__in=[
        "Ủy ban nhân dân phường Hải Châu", "Sở Tư pháp"]))
    return services.trust_list()


def issue(dossier: Dossier | None = None, **kwargs) -> Result:
    dossier = dossier or approved_dossier()
    with TestCase.captureOnCommitCallbacks(execute=True):
        result = services.request_issue(dossier, user("chuyenvien.haichau"), **kwargs)
    result.refresh_from_db()
    return result


# --- rules -------------------------------------------------------------------------------------


def test_validity_words():
    day = date(2025, 1, 31)
    assert valid_until("6 tháng kể từ ngày cấp", day) == date(2025, 7, 30)
    assert valid_until("01 năm", day) == date(2026, 1, 30)
    assert valid_until("30 ngày", day) == date(2025, 3, 1)
    assert valid_until("Không thời hạn", day) is None
    assert valid_until("", day) is None
    assert valid_until("theo quy định", day) is None


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)),
       st.integers(min_value=1, max_value=120))
def test_months_never_overflow_and_grow(day, months):
    later = add_months(day, months)
    assert later > day
    assert (later.year - day.year) * 12 + later.month - day.month == months
    assert later.day <= day.day


def test_masked_name_and_salted_id_hash():
    assert verifier.mask_name("Nguyễn Thị Thu Hà") == "N. T. T. Hà"
    assert verifier.mask_name("Hà") == "Hà"
    one = verifier.id_hash("000001/2025/KQ-X", ID_NUMBER)
    assert len(one) == 16 and one != verifier.id_hash("000002/2025/KQ-X", ID_NUMBER)
    assert ID_NUMBER.encode() not in one


# --- issuing and signing ---------------------------------------------------------------------


def test_issue_signs_the_pdf_and_marks_the_result_ready(keys):
    dossier = approved_dossier()
    result = issue(dossier)
    assert result.signing_state == SigningState.DONE, result.signing_error
    assert result.number.endswith(f"/{result.year}/KQ-{dossier.agency.code}")
    dossier.refresh_from_db()
    assert dossier.state == "result_ready"
    event = dossier.events.get(action="issue_result")
    assert event.actor_role == "system" and event.data["result"] == result.number
    data = services.pdf_bytes(result)
    assert hashlib.sha256(data).hexdigest() == result.pdf_sha256
    assert result.holder_id_hash and ID_NUMBER not in result.qr_payload
    assert [e.kind for e in result.events.all()] == ["requested", "signed"]


def _pdf_lines(data: bytes) -> list[str]:
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(data))
    return [line.strip() for page in reader.pages for line in page.extract_text().splitlines()]


def test_signature_block_follows_decree_30():
    """Nghị định 30/2020/NĐ-CP, Phụ lục I: «TM.» for a collective body, «KT.» for a deputy,
    no «TM.» for a department, the position without the body's name."""
    from dichvucong.results.signature import signature_block

    ward = {"agency_kind": "commune_committee", "agency_name": "Ủy ban nhân dân phường Hải Châu"}
    assert signature_block(**ward, position="Chủ tịch", full_name="Lê Văn A").lines == (
        "TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH")
    assert signature_block(**ward, position="Phó Chủ tịch", full_name="Lê Văn A").lines == (
        "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH")
    department = {"agency_kind": "department", "agency_name": "Sở Tư pháp"}
    assert signature_block(**department, position="Giám đốc", full_name="B").lines == (
        "GIÁM ĐỐC",)
    assert signature_block(**department, position="Phó Giám đốc", full_name="B").lines == (
        "KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC")
    # No position recorded: the body's name only, no invented position.
    assert signature_block(**department, position="", full_name="B").lines == ("SỞ TƯ PHÁP",)
    assert signature_block(**ward, position=" ", full_name=" Lê  Văn A ").name == "Lê Văn A"


def test_a_long_signature_line_breaks_between_words_before_the_locality():
    from dichvucong.results.signature import break_line

    assert break_line("TM. ỦY BAN NHÂN DÂN PHƯỜNG HẢI CHÂU", len, 24) == [
        "TM. ỦY BAN NHÂN DÂN", "PHƯỜNG HẢI CHÂU"]
    assert break_line("TM. ỦY BAN NHÂN DÂN", len, 24) == ["TM. ỦY BAN NHÂN DÂN"]
    # Without a locality word: where the parts are closest in width, «TM.» never alone.
    assert break_line("TM. HỘI ĐỒNG QUẢN TRỊ", len, 12) == ["TM. HỘI ĐỒNG", "QUẢN TRỊ"]
    assert break_line("TM. ABCDEFGHIJ", len, 5) == ["TM. ABCDEFGHIJ"]


def test_the_signed_pdf_names_the_signer_and_their_position_not_their_login(keys):
    """Issue #14, item 11: the result printed «lanhdao.haichau» and wrapped «TM. ỦY BAN NHÂN
    DÂN PHƯỜNG HẢI CHÂU» mid-name. The approver (the ward's deputy chairman) signs."""
    result = issue()
    assert result.signing_state == SigningState.DONE, result.signing_error
    lines = _pdf_lines(services.pdf_bytes(result))
    assert not any("lanhdao" in line for line in lines)
    start = lines.index("TM. ỦY BAN NHÂN DÂN")
    assert lines[start:start + 4] == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH",
                                      "(Đã ký số)"]
    assert "Đặng Văn Giang" in lines[start + 4:]
    assert result.signer_name == "Đặng Văn Giang"


def test_a_stored_one_line_authority_breaks_before_the_ward(keys):
    """A result signed before positions were recorded keeps its one-line authority; reprinted,
    the line breaks between the body and the ward, each line whole and centred."""
    from dichvucong.results import render
    from dichvucong.slips.data import Heading

    document = render.Document(
        heading=Heading(parent="Ủy ban nhân dân thành phố Đà Nẵng",
                        agency="Ủy ban nhân dân phường Hải Châu", place="Hải Châu",
                        day=date(2026, 12, 1)),
        number="000001/2026/KQ-000.00.12.H17", title="Giấy xác nhận", document_type="",
        holder_name="Nguyễn Thị Thu Hà", holder_id_masked="", paragraphs=["Nội dung."],
        issue_date=date(2026, 12, 1), valid_until=None,
        signer_title="TM. Ủy ban nhân dân phường Hải Châu", signer_name="Đặng Văn Giang")
    lines = _pdf_lines(render.render(document)[0])
    start = lines.index("TM. ỦY BAN NHÂN DÂN")
    assert lines[start:start + 3] == ["TM. ỦY BAN NHÂN DÂN", "PHƯỜNG HẢI CHÂU", "(Đã ký số)"]
    assert "Đặng Văn Giang" in lines[start + 3:]


def test_the_citizen_is_told_the_signed_result_is_there_to_download(keys):
    """Issue #14, item 14: the citizen read «Chờ trả kết quả» with the signed PDF already
    downloadable. Page, list and API say it is available, and link to it on the page."""
    result = issue()
    citizen = Client()
    citizen.force_login(user("congdan"))
    code = result.dossier.code
    page = citizen.get(f"/ho-so/{code}/").content.decode()
    assert '<a href="#ket-qua">Đã có kết quả — tải về</a>' in page
    assert 'id="ket-qua"' in page and f"/ket-qua/{result.token}" in page
    assert "Chờ trả kết quả" not in page
    assert "Đã có kết quả — tải về" in citizen.get("/ho-so/").content.decode()
    body = citizen.get(f"/api/v1/dossiers/{code}").json()
    assert body["state"] == "result_ready" and body["state_label"] == "Đã có kết quả — tải về"
    services.revoke(result, user("lanhdao.haichau"), "Cấp nhầm")
    assert "Đã có kết quả — tải về" not in citizen.get(f"/ho-so/{code}/").content.decode()


def test_numbers_run_per_agency_and_year_and_never_repeat(keys):
    first, second = issue(), issue()
    assert second.sequence == first.sequence + 1
    assert len({first.number, second.number}) == 2


def test_the_pdf_signature_validates_with_pyhanko_and_pdfsig(keys, tmp_path):
    result = issue()
    data = services.pdf_bytes(result)
    ok, signer = services.validate_signature(data)
    assert ok and signer == "Ủy ban nhân dân phường Hải Châu"
    require_component("pdfsig", shutil.which("pdfsig") is not None,
                      "Debian's poppler-utils; ./run tests installs it")
    require_component("certutil", shutil.which("certutil") is not None,
                      "Debian's libnss3-tools; ./run tests installs it")
    report = pdfsig(data, keys["roots"][0], tmp_path)
    assert "Signature is Valid." in report, report
    assert "Certificate is Trusted." in report, report
    assert "Total document signed" in report, report
    # One changed byte in the signed range breaks both.
    forged = bytearray(data)
    at = data.index(b"/Title")
    forged[at + 1] = ord("t")
    assert not services.validate_signature(bytes(forged))[0]
    assert "Signature is Valid." not in pdfsig(bytes(forged), keys["roots"][0], tmp_path)


def test_the_qr_on_the_page_verifies_offline_and_online(keys):
    result = issue()
    texts = qr_texts(services.pdf_bytes(result))
    assert len(texts) == 1
    assert texts[0] == services.verify_url(result.qr_payload)
    trust = verifier.load_trust_list(keys | {"keys": services.trust_list()["keys"]})
    verdict = verifier.verify(texts[0], trust)
    assert verdict.outcome == "valid", verdict.reason
    claims = verdict.claims
    assert claims.number == result.number and claims.holder == "N. T. T. Hà"
    assert claims.id_hash == verifier.id_hash(result.number, ID_NUMBER)
    data = services.pdf_bytes(result)
    assert claims.content_sha256 == hashlib.sha256(services.first_revision(data)).digest()
    online = services.verify_text(texts[0], Verification.Method.LINK)
    assert online.outcome == "valid" and online.result == result
    assert Verification.objects.filter(result=result, method="link", outcome="valid").exists()


# --- forgeries and statuses, offline and online -------------------------------------------------


def forge_one_byte(payload: str) -> str:
    """Change one byte of the signed claims (the holder's name) and re-wrap it."""
    import zlib

    import cbor2

    cose = verifier.decode_envelope(payload)
    tag = cbor2.loads(cose)
    protected, unprotected, claims, signature = tag.value
    at = claims.index("Hà".encode())
    forged = claims[:at] + b"N" + claims[at + 1:]
    forged_cose = cbor2.dumps(cbor2.CBORTag(18, [protected, unprotected, forged, signature]))
    assert len(forged) == len(claims) and zlib.compress(forged_cose)
    return verifier.encode_envelope(forged_cose)


def signed_by_another_key(result: Result, *, borrow_kid: bool) -> str:
    """The same claims signed with a key the platform never published; with ``borrow_kid`` it
    also claims the genuine key's id."""
    import asyncio

    import cbor2
    from pyhanko.sign import signers

    from dichvucong.results import pki

    authority = pki.create_authority("Kẻ giả mạo CA")
    certificate, key = pki.issue_certificate(authority, result.agency.name, result.agency.name)
    blob = pki.pkcs12_bytes(certificate, key, [authority.certificate], b"x")
    signer = signers.SimpleSigner.load_pkcs12_data(blob, [], passphrase=b"x")
    genuine = verifier.load_trust_list(services.trust_list())
    claims = verifier.verify(result.qr_payload, genuine).claims
    payload = asyncio.run(services.sign_payload(signer, claims, timezone.now()))
    if not borrow_kid:
        return payload
    tag = cbor2.loads(verifier.decode_envelope(payload))
    protected = cbor2.dumps({1: -7, 4: bytes.fromhex(result.kid)})
    body = tag.value[2]
    from dichvucong.results import signing

    signature = asyncio.run(signing.sign_raw(signer, verifier.sig_structure(protected, body)))
    return verifier.encode_envelope(cbor2.dumps(cbor2.CBORTag(18, [protected, {}, body,
                                                                   signature])))


def page_says(client: Client, text: str) -> str:
    response = client.get("/xac-minh/", {"m": text})
    assert response.status_code == 200
    html = response.content.decode()
    title = re.search(r'<h2 id="verdict-title">.*?</span>(.*?)</h2>', html, re.S)
    return title.group(1).strip()


def test_forgeries_are_not_genuine_offline_and_online(keys, client):
    result = issue()
    trust = verifier.load_trust_list(services.trust_list())
    cases = {
        "forged": forge_one_byte(result.qr_payload),
        "other key": signed_by_another_key(result, borrow_kid=False),
        "borrowed kid": signed_by_another_key(result, borrow_kid=True),
    }
    expected = {"forged": "not_genuine", "other key": "unknown_issuer",
                "borrowed kid": "not_genuine"}
    for name, payload in cases.items():
        assert verifier.verify(payload, trust).outcome == expected[name], name
        assert services.verify_text(payload).outcome == expected[name], name
        assert page_says(client, payload) == "Không phải giấy tờ thật", name
    garbage = result.qr_payload[:-3] + "ZZZ"
    assert verifier.verify(garbage, trust).outcome in ("malformed", "not_genuine")
    assert verifier.verify("https://example.com/?m=hello", trust).outcome == "malformed"
    assert page_says(client, result.qr_payload) == "Giấy tờ thật và còn hiệu lực"
    assert set(Verification.objects.filter(method="link").values_list("outcome", flat=True)) >= {
        "not_genuine", "unknown_issuer", "valid"}


def test_revoked_replaced_and_expired_results(keys, client):
    leader = user("lanhdao.haichau")
    revoked = issue()
    with pytest.raises(services.ResultError):
        services.revoke(revoked, user("chuyenvien.haichau"), "Cấp sai")
    with pytest.raises(services.ResultError):
        services.revoke(revoked, leader, "  ")
    before = verifier.load_trust_list(services.trust_list())
    services.revoke(revoked, leader, "Cấp sai đối tượng")
    trust = verifier.load_trust_list(services.trust_list())
    # Offline, a list made before the revocation still finds the signature good (hence its
    # freshness: see test_results_trust_list.py); a list made after it names the revocation.
    assert verifier.verify(revoked.qr_payload, before).outcome == "valid"
    assert verifier.verify(revoked.qr_payload, trust).outcome == "revoked"
    assert services.verify_text(revoked.qr_payload).outcome == "revoked"
    assert page_says(client, revoked.qr_payload) == "Giấy tờ đã bị thu hồi"

    old = issue()
    with TestCase.captureOnCommitCallbacks(execute=True):
        new = services.replace(old, leader, "Sai ngày sinh", correction="Đính chính ngày sinh.")
    old.refresh_from_db()
    new.refresh_from_db()
    assert new.is_ready and old.status == Status.REPLACED and old.replaced_by == new
    assert new.number != old.number
    outcome = services.verify_text(old.qr_payload)
    assert outcome.outcome == "replaced" and outcome.replacement == new
    html = client.get("/xac-minh/", {"m": old.qr_payload}).content.decode()
    assert "Giấy tờ đã được thay thế" in html and new.number in html
    assert services.verify_text(new.qr_payload).outcome == "valid"
    assert [e.kind for e in old.events.all()][-1] == "replaced"

    dossier = approved_dossier()
    expired = issue(dossier, valid_until=date(2020, 1, 2), today=date(2020, 1, 1))
    assert expired.signing_state == SigningState.DONE, expired.signing_error
    assert verifier.verify(expired.qr_payload, trust).outcome == "expired"
    assert services.verify_text(expired.qr_payload).outcome == "expired"
    assert page_says(client, expired.qr_payload) == "Giấy tờ thật nhưng đã hết hạn"


def test_verification_page_paste_and_upload(keys, client):
    result = issue()
    response = client.post("/xac-minh/", {"action": "paste",
                                          "text": services.verify_url(result.qr_payload)})
    assert "Giấy tờ thật và còn hiệu lực" in response.content.decode()
    assert "N. T. T. Hà" in response.content.decode()
    assert ID_NUMBER not in response.content.decode()
    response = client.post("/xac-minh/", {"action": "paste", "text": ""})
    assert response.status_code == 400 and "Hãy dán nội dung mã QR" in response.content.decode()
    data = services.pdf_bytes(result)
    upload = SimpleUploadedFile("kq.pdf", data, content_type="application/pdf")
    html = client.post("/xac-minh/", {"action": "upload", "file": upload}).content.decode()
    assert "Giấy tờ thật và còn hiệu lực" in html and result.number in html
    tampered = bytearray(data)
    tampered[data.index(b"/Title") + 1] = ord("t")
    upload = SimpleUploadedFile("kq.pdf", bytes(tampered), content_type="application/pdf")
    html = client.post("/xac-minh/", {"action": "upload", "file": upload}).content.decode()
    assert "Không phải giấy tờ thật" in html
    upload = SimpleUploadedFile("kq.pdf", b"hello", content_type="application/pdf")
    response = client.post("/xac-minh/", {"action": "upload", "file": upload})
    assert response.status_code == 400
    assert Verification.objects.filter(method="upload", outcome="valid", result=result).exists()
    assert Verification.objects.filter(method="upload", outcome="not_genuine").exists()


def test_trust_list_endpoints_and_offline_command(keys, client, tmp_path):
    result = issue()
    response = client.get("/xac-minh/danh-sach-tin-cay.json")
    assert response["Content-Type"] == "application/jose+json"
    published = response.json()
    assert set(published) == {"protected", "payload", "signature"}
    assert published.keys() == client.get("/api/v1/results/trust-list/signed").json().keys()
    anchors = services.trust_list_anchors()
    trust = verifier.open_signed_trust_list(published, anchors)
    plain = client.get("/api/v1/results/trust-list").json()
    assert result.kid in {k["kid"] for k in plain["keys"]}
    assert set(trust.keys) == {bytes.fromhex(k["kid"]) for k in plain["keys"]}
    assert anchors[0] in client.get("/xac-minh/").content.decode()
    path = tmp_path / "trust.json"
    path.write_text(json.dumps(published))
    out = io.StringIO()
    call_command("verify_result", services.verify_url(result.qr_payload),
                 trust_list=str(path), stdout=out)
    assert out.getvalue().startswith("valid:")
    with pytest.raises(SystemExit):
        call_command("verify_result", forge_one_byte(result.qr_payload), trust_list=str(path),
                     stdout=io.StringIO())
    answer = client.post("/api/v1/results/verify", {"text": result.qr_payload},
                         content_type="application/json").json()
    assert answer["outcome"] == "valid" and answer["number"] == result.number


def _b64url(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def test_a_tampered_or_foreign_trust_list_is_refused(keys, tmp_path):
    """A forger who can change the list a verifier downloads adds their own key to it, and
    signs QR codes with that key: the signed list stops them."""
    import asyncio

    from cryptography.hazmat.primitives import serialization
    from pyhanko.sign import signers

    from dichvucong.results import pki

    result = issue()
    published = services.signed_trust_list()
    anchors = services.trust_list_anchors()
    authority = pki.create_authority("Kẻ giả mạo CA")
    certificate, key = pki.issue_certificate(authority, result.agency.name, result.agency.name)
    der = certificate.public_bytes(serialization.Encoding.DER)
    signer = signers.SimpleSigner.load_pkcs12_data(
        pki.pkcs12_bytes(certificate, key, [authority.certificate], b"x"), [], passphrase=b"x")
    genuine = verifier.open_signed_trust_list(published, anchors)
    claims = verifier.verify(result.qr_payload, genuine).claims
    forged_qr = asyncio.run(services.sign_payload(signer, claims, timezone.now()))
    assert verifier.verify(forged_qr, genuine).outcome == "unknown_issuer"
    data = json.loads(verifier._b64url(published["payload"]))
    data["keys"].append({"kid": pki.key_id(der).hex(), "alg": "ES256",
                         "agency_code": result.agency.code, "agency_name": result.agency.name,
                         "certificate": pki.pem(certificate),
                         "not_before": "2000-01-01T00:00:00+00:00",
                         "not_after": "2100-01-01T00:00:00+00:00"})
    tampered = dict(published, payload=_b64url(json.dumps(data).encode()))
    # Unsigned, the altered list would be believed, and the forged QR with it …
    assert verifier.verify(forged_qr, verifier.load_trust_list(data)).outcome == "valid"
    # … signed, it is refused: the signature no longer matches.
    with pytest.raises(verifier.TrustListError, match="altered"):
        verifier.open_signed_trust_list(tampered, anchors)
    # One changed byte of the signature, too.
    signature = bytearray(verifier._b64url(published["signature"]))
    signature[5] ^= 1
    with pytest.raises(verifier.TrustListError):
        verifier.open_signed_trust_list(dict(published, signature=_b64url(bytes(signature))),
                                        anchors)
    # Re-signed by the forger with a certificate of their own: not a pinned anchor.
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    resigned = verifier.sign_trust_list(data, key_pem, pki.pem(certificate).encode())
    with pytest.raises(verifier.TrustListError, match="not a configured anchor"):
        verifier.open_signed_trust_list(resigned, anchors)
    assert verifier.open_signed_trust_list(resigned, [verifier.fingerprint(der)]).keys
    # An unsigned list (the plain API's JSON) is not a trust list for offline use.
    with pytest.raises(verifier.TrustListError, match="not a signed trust list"):
        verifier.open_signed_trust_list(services.trust_list(), anchors)
    with pytest.raises(verifier.TrustListError, match="no trust-list anchor"):
        verifier.open_signed_trust_list(published, [])

    for name, document in {"tampered": tampered, "resigned": resigned,
                           "unsigned": services.trust_list()}.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(document))
        with pytest.raises(CommandError, match="Trust list refused"):
            call_command("verify_result", result.qr_payload, trust_list=str(path),
                         stdout=io.StringIO())
    path = tmp_path / "genuine.json"
    path.write_text(json.dumps(published))
    with pytest.raises(CommandError, match="not a configured anchor"):
        call_command("verify_result", result.qr_payload, trust_list=str(path),
                     anchor=[verifier.fingerprint(der)], stdout=io.StringIO())


# --- the back office and the citizen ---------------------------------------------------------


def test_issue_from_the_back_office_and_reprint_by_the_citizen(keys):
    dossier = approved_dossier()
    specialist = Client()
    specialist.force_login(user("chuyenvien.haichau"))
    page = specialist.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert "Ký số và ban hành kết quả" in page
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = specialist.post(f"/mot-cua/ket-qua/ho-so/{dossier.code}/ban-hanh/",
                                   {"choice": "0", "valid_until": ""})
    assert response.status_code == 302
    result = Result.objects.get(dossier=dossier)
    assert result.is_ready
    page = specialist.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert result.number in page and "Ký số và ban hành kết quả" not in page
    # A reception officer cannot issue; another agency's officials cannot see it.
    other = Client()
    other.force_login(user("chuyenvien.sotuphap"))
    assert other.get(f"/mot-cua/ket-qua/{result.token}/").status_code == 404
    assert other.get(f"/ket-qua/{result.token}/").status_code == 404

    citizen = Client()
    citizen.force_login(user("congdan"))
    page = citizen.get(f"/ho-so/{dossier.code}/").content.decode()
    assert f"/ket-qua/{result.token}/" in page and "không cần nộp hồ sơ cấp lại" in page
    response = citizen.get(f"/ket-qua/{result.token}/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content if response.streaming else [response.content]) \
        == services.pdf_bytes(result)
    assert result.events.filter(kind="downloaded").count() == 1
    stranger = Client()
    stranger.force_login(user("doanhnghiep"))
    assert stranger.get(f"/ket-qua/{result.token}/").status_code == 404

    leader = Client()
    leader.force_login(user("lanhdao.haichau"))
    response = leader.post(f"/mot-cua/ket-qua/{result.token}/",
                           {"action": "revoke", "reason": ""})
    assert response.status_code == 400
    specialist_post = specialist.post(f"/mot-cua/ket-qua/{result.token}/",
                                      {"action": "revoke", "reason": "x"})
    assert specialist_post.status_code == 403
    response = leader.post(f"/mot-cua/ket-qua/{result.token}/",
                           {"action": "revoke", "reason": "Cấp nhầm"})
    assert response.status_code == 302
    result.refresh_from_db()
    assert result.status == Status.REVOKED and result.status_changed_by.username == \
        "lanhdao.haichau"


def test_revoking_after_a_while_asks_for_the_password_again(keys):
    """Re-authentication (issue #21 item 1): the last verification an hour old, the revocation
    waits for the password, keeps what was typed, and goes through once it is right."""
    result = issue()
    leader = user("lanhdao.haichau")
    leader.set_password("mat-khau-lanh-dao-dai")
    leader.save()
    client = Client()
    client.force_login(leader)
    session = client.session
    session[twofactor.VERIFIED_AT] = int(time.time()) - 3600
    session.save()
    url, posted = f"/mot-cua/ket-qua/{result.token}/", {"action": "revoke", "reason": "Cấp nhầm"}
    page = client.post(url, posted).content.decode()
    assert "Xác nhận lại danh tính" in page and 'name="reason" value="Cấp nhầm"' in page
    wrong = client.post(url, {**posted, reauth.FIELD: "khong-dung"})
    assert wrong.status_code == 400 and "Mật khẩu không đúng." in wrong.content.decode()
    result.refresh_from_db()
    assert result.status != Status.REVOKED
    assert client.post(url, {**posted, reauth.FIELD: "mat-khau-lanh-dao-dai"}).status_code == 302
    result.refresh_from_db()
    assert result.status == Status.REVOKED
    assert client.get(url).status_code == 200  # reading the page never asks


def test_a_signing_failure_is_shown_and_changes_nothing_else(keys, settings):
    settings.RESULTS_SIGNER = "csc"
    settings.RESULTS_CSC_URL = ""
    dossier = approved_dossier()
    result = issue(dossier)
    assert result.signing_state == SigningState.FAILED
    assert "Chưa cấu hình dịch vụ ký số từ xa" in result.signing_error
    dossier.refresh_from_db()
    assert dossier.state == "approved"


# --- digital issuing is the normal path in the workspace --------------------------------------


def _post_upload(client: Client, dossier: Dossier):
    dossier.refresh_from_db()
    upload = SimpleUploadedFile("ket-qua.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    return client.post(f"/mot-cua/ho-so/{dossier.code}/", {
        "action": "issue_result", "revision": dossier.revision, "note": "", "result": upload})


def test_digital_issuing_is_the_normal_path_and_the_only_route_while_signing(keys):
    dossier = approved_dossier()
    specialist = Client()
    specialist.force_login(user("chuyenvien.haichau"))
    page = specialist.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    # The digital form first, the upload after it as the exception, and no plain upload form.
    digital = page.index("Ký số và ban hành kết quả")
    outside = page.index("Ban hành kết quả làm ngoài hệ thống")
    assert digital < outside
    assert page.count('name="action" value="issue_result"') == 1

    # Queued for signing (the worker has not run yet): the upload cannot move the dossier too.
    result = services.request_issue(dossier, user("chuyenvien.haichau"))
    assert services.signing_in_progress(dossier) == result
    page = specialist.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert "Ban hành kết quả làm ngoài hệ thống" not in page and "Đang chờ ký" in page
    response = _post_upload(specialist, dossier)  # a form loaded before, posted now
    assert f"Kết quả số {result.number} đang được ký số" in response.content.decode()
    dossier.refresh_from_db()
    assert dossier.state == "approved" and not dossier.attachments.exists()

    services.sign_result(result.pk)
    dossier.refresh_from_db()
    assert dossier.state == "result_ready"
    assert list(dossier.events.filter(action="issue_result").values_list(
        "actor_role", flat=True)) == ["system"]
    page = specialist.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert "Ban hành kết quả làm ngoài hệ thống" not in page and result.number in page


def test_results_made_outside_the_platform_are_uploaded(keys):
    from dichvucong.catalog.models import Procedure

    procedure = Procedure.objects.get(code="1.001193")
    version = procedure.versions.get(status="published")
    definition = dict(version.definition)
    definition["results"] = [{"name": "Thẻ căn cước", "digital": False}]
    version.definition = definition
    version.published_at = timezone.now()  # a new publication: the parse is not reused
    version.save(update_fields=["definition", "published_at"])
    dossier = approved_dossier()
    assert not services.issues_digitally(dossier)
    with pytest.raises(services.ResultError, match="làm ngoài hệ thống"):
        services.request_issue(dossier, user("chuyenvien.haichau"))
    specialist = Client()
    specialist.force_login(user("chuyenvien.haichau"))
    page = specialist.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert "Ký số và ban hành kết quả" not in page
    assert "Ban hành kết quả làm ngoài hệ thống" not in page and "Ban hành kết quả" in page
    response = _post_upload(specialist, dossier)
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.state == "result_ready" and not dossier.results.exists()
