"""The other signing backends, run for real: a remote signing service speaking the CSC API
(certomancer-csc-dummy on a free local port) and a PKCS#11 token (SoftHSM2). A result signed
through each validates with pyHanko's validator and poppler's pdfsig, and its QR verifies against
the published keys. Wrong credentials and an unreachable service: a clear message for the
officer, the dossier unchanged, and signing again works once the service is back."""

from __future__ import annotations

import shutil

import pytest
from django.core.cache import cache
from django.test import Client, TestCase

from dichvucong.agencies.models import Agency
from dichvucong.results import services, verifier
from dichvucong.results.models import Result, SigningState
from tests.conftest import require_component
from tests.results_helpers import HAI_CHAU, approved_dossier, pdfsig, qr_texts, user
from tests.results_signers import (
    CscService,
    certomancer_config,
    free_port,
    import_agency_key,
    softhsm_module,
    softhsm_token,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _pki(settings, tmp_path):
    settings.RESULTS_PKI_DIR = str(tmp_path / "pki")
    settings.SITE_URL = "http://testserver"
    # The trust lists are cached across requests; a test's keys are its own.
    cache.delete_many([services.PUBLISHED_CACHE_KEY, services.ONLINE_CACHE_KEY])


def issue(dossier) -> Result:
    with TestCase.captureOnCommitCallbacks(execute=True):
        result = services.request_issue(dossier, user("chuyenvien.haichau"))
    result.refresh_from_db()
    return result


def check_signed(result: Result, root_pem: str, folder, backend: str) -> None:
    """The PDF validates with pyHanko and pdfsig against ``root_pem``; the QR read back from the
    page verifies against the trust list, under the key the backend used."""
    assert result.signing_state == SigningState.DONE, result.signing_error
    assert result.backend == backend
    data = services.pdf_bytes(result)
    ok, signer = services.validate_signature(data)
    assert ok and signer == HAI_CHAU
    require_component("pdfsig", shutil.which("pdfsig") is not None,
                      "Debian's poppler-utils; ./run tests installs it")
    require_component("certutil", shutil.which("certutil") is not None,
                      "Debian's libnss3-tools; ./run tests installs it")
    report = pdfsig(data, root_pem, folder)
    assert "Signature is Valid." in report, report
    assert "Certificate is Trusted." in report, report
    assert "Total document signed" in report, report
    trust = verifier.load_trust_list(services.trust_list())
    texts = qr_texts(data)
    assert texts == [services.verify_url(result.qr_payload)]
    verdict = verifier.verify(texts[0], trust)
    assert verdict.outcome == "valid", verdict.reason
    assert verdict.kid.hex() == result.kid
    assert result.agency.issuer_keys.get(kid=result.kid).backend == backend
    # Online too: the result is known and valid.
    assert services.verify_text(texts[0]).outcome == "valid"


# --- CSC ---------------------------------------------------------------------------------------


@pytest.fixture
def csc(settings, tmp_path):
    hai_chau = Agency.objects.get(name=HAI_CHAU)
    service = CscService(certomancer_config(tmp_path / "csc", {hai_chau.code: hai_chau.name}))
    service.start()
    roots = tmp_path / "csc-root.pem"
    roots.write_text(service.root_pem())
    settings.RESULTS_SIGNER = "csc"
    settings.RESULTS_CSC_URL = service.url
    settings.RESULTS_CSC_USERNAME = service.username
    settings.RESULTS_CSC_PASSWORD = service.password
    settings.RESULTS_CSC_TOKEN = ""
    settings.RESULTS_CSC_CREDENTIAL = "dichvucong/{agency}"
    settings.RESULTS_TRUST_ROOTS = [str(roots)]
    yield service
    service.stop()


def test_a_result_signed_by_the_csc_service_validates(csc, tmp_path):
    result = issue(approved_dossier())
    check_signed(result, csc.root_pem(), tmp_path, "csc")
    # Logged in, fetched the certificates, and had each signature authorised for its own hash
    # (SCAL 2: the dummy refuses a SAD not bound to the hashes) before signHash.
    assert csc.requests[:2] == ["auth/login", "credentials/info"]
    assert csc.requests.count("signatures/signHash") == 2  # the QR payload and the PDF
    assert csc.requests.count("credentials/authorize") == 2
    result.dossier.refresh_from_db()
    assert result.dossier.state == "result_ready"


def test_wrong_credentials_then_retry(csc, settings, tmp_path):
    settings.RESULTS_CSC_PASSWORD = "sai-mat-khau"
    dossier = approved_dossier()
    result = issue(dossier)
    assert result.signing_state == SigningState.FAILED
    assert "từ chối đăng nhập" in result.signing_error
    assert not result.pdf and not result.qr_payload
    dossier.refresh_from_db()
    assert dossier.state == "approved"
    assert "signatures/signHash" not in csc.requests

    specialist = Client()
    specialist.force_login(user("chuyenvien.haichau"))
    page = specialist.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert "từ chối đăng nhập" in page and "Ký lại" in page
    # Sign this one again, not a new number.
    assert ">Ký số và ban hành kết quả</button>" not in page
    with pytest.raises(services.ResultError):
        services.request_issue(dossier, user("chuyenvien.haichau"))

    settings.RESULTS_CSC_PASSWORD = csc.password
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = specialist.post(f"/mot-cua/ket-qua/{result.token}/ky-lai/")
    assert response.status_code == 302
    result.refresh_from_db()
    check_signed(result, csc.root_pem(), tmp_path, "csc")
    assert [e.kind for e in result.events.all()] == ["requested", "failed", "retried", "signed"]
    dossier.refresh_from_db()
    assert dossier.state == "result_ready"
    # Only a failed result is signed again.
    with pytest.raises(services.ResultError):
        services.retry(result, user("chuyenvien.haichau"))


def test_unreachable_service_and_unknown_credential(csc, settings, tmp_path):
    settings.RESULTS_CSC_URL = f"http://127.0.0.1:{free_port()}"
    dossier = approved_dossier()
    result = issue(dossier)
    assert result.signing_state == SigningState.FAILED
    assert "Không kết nối được dịch vụ ký số từ xa" in result.signing_error
    dossier.refresh_from_db()
    assert dossier.state == "approved"
    # Someone of another agency cannot sign it again.
    with pytest.raises(services.ResultError):
        services.retry(result, user("chuyenvien.sotuphap"))

    settings.RESULTS_CSC_URL = csc.url
    settings.RESULTS_CSC_CREDENTIAL = "dichvucong/khong-co-{agency}"
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.retry(result, user("chuyenvien.haichau"))
    result.refresh_from_db()
    assert result.signing_state == SigningState.FAILED
    assert "không có chứng thư «dichvucong/khong-co-" in result.signing_error

    settings.RESULTS_CSC_CREDENTIAL = "dichvucong/{agency}"
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.retry(result, user("chuyenvien.haichau"))
    result.refresh_from_db()
    check_signed(result, csc.root_pem(), tmp_path, "csc")


# --- PKCS#11 (SoftHSM2) ------------------------------------------------------------------------


_TOKEN: dict = {}


@pytest.fixture
def pkcs11_token(settings, tmp_path_factory):
    """One SoftHSM2 token for the session (SoftHSM reads its configuration once per process),
    holding Hải Châu's key and certificate, issued by a CA of the test."""
    require_component("SoftHSM2", softhsm_module() is not None
                      and shutil.which("softhsm2-util") is not None,
                      "Debian's softhsm2; ./run tests installs it")
    if "token" not in _TOKEN:
        from cryptography.hazmat.primitives import serialization

        from dichvucong.results import pki

        folder = tmp_path_factory.mktemp("softhsm")
        token = softhsm_token(folder)
        authority = pki.create_authority("dichvucong PKCS#11 Test CA")
        hai_chau = Agency.objects.get(name=HAI_CHAU)
        certificate, key = pki.issue_certificate(authority, hai_chau.name, hai_chau.name)
        import_agency_key(token, hai_chau.code,
                          certificate.public_bytes(serialization.Encoding.DER), key, folder)
        roots = folder / "ca.pem"
        roots.write_text(pki.pem(authority.certificate))
        _TOKEN.update(token=token, roots=roots)
    token = _TOKEN["token"]
    settings.RESULTS_SIGNER = "pkcs11"
    settings.RESULTS_PKCS11_MODULE = token.module
    settings.RESULTS_PKCS11_TOKEN = token.label
    settings.RESULTS_PKCS11_PIN = token.pin
    settings.RESULTS_PKCS11_RAW = True  # SoftHSM 2.6 has no CKM_ECDSA_SHA256
    settings.RESULTS_TRUST_ROOTS = [str(_TOKEN["roots"])]
    return _TOKEN


def test_a_result_signed_on_a_pkcs11_token_validates(pkcs11_token, tmp_path):
    result = issue(approved_dossier())
    check_signed(result, pkcs11_token["roots"].read_text(), tmp_path, "pkcs11")


def test_a_wrong_pin_is_a_clear_failure(pkcs11_token, settings):
    settings.RESULTS_PKCS11_PIN = "000000"
    dossier = approved_dossier()
    result = issue(dossier)
    assert result.signing_state == SigningState.FAILED
    assert "Không mở được thiết bị ký số" in result.signing_error
    dossier.refresh_from_db()
    assert dossier.state == "approved"
