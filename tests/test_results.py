"""Digital results: numbering, validity, issuing from the back office, the signed PDF (pyHanko's
validator and poppler's pdfsig), the signed QR read back from the rendered page and verified
offline and online, forgeries, revocation, replacement and expiry."""

from __future__ import annotations

import hashlib
import shutil
from datetime import date

import pytest
from django.test import TestCase
from hypothesis import given
from hypothesis import strategies as st

from dichvucong.dossiers.models import Dossier
from dichvucong.results import services, verifier
from dichvucong.results.models import Result, SigningState, Verification
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
