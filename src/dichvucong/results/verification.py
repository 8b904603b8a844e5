"""Checking a result someone shows: the QR text against the published keys (``verifier.verify``)
or an uploaded PDF's PAdES signature against the trust roots, then the result's status here;
each check recorded as a ``Verification``."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from django.db.models import Q
from django.utils import timezone
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from . import signing, verifier
from .models import Result, Verification
from .trust_list import online_trust_list, trust_roots_pem


@dataclass
class Outcome:
    """What the verification page shows: the outcome, a sentence, minimal data."""

    outcome: str  # valid, expired, revoked, replaced, not_genuine, unknown_issuer, malformed
    reason: str
    result: Result | None = None
    claims: verifier.Claims | None = None
    agency_name: str = ""
    replacement: Result | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def genuine(self) -> bool:
        return self.outcome in ("valid", "expired", "revoked", "replaced")


STATUS_REASONS = {
    "revoked": "Giấy tờ thật nhưng ĐÃ BỊ THU HỒI, không còn giá trị.",
    "replaced": "Giấy tờ thật nhưng ĐÃ ĐƯỢC THAY THẾ bằng một kết quả khác.",
    "expired": "Giấy tờ thật nhưng đã hết thời hạn sử dụng.",
    "valid": "Giấy tờ thật, do cơ quan có thẩm quyền cấp, còn hiệu lực.",
}


def _online(outcome: Outcome, result: Result | None, today: date) -> Outcome:
    if result is None:
        return outcome
    outcome.result = result
    status = result.current_status(today)
    if status in ("revoked", "replaced") or (status == "expired"):
        outcome.outcome = status
        outcome.reason = STATUS_REASONS[status]
    if status == "replaced":
        outcome.replacement = result.replaced_by
    return outcome


def _record(method: str, outcome: Outcome, kid: bytes | str = b"") -> None:
    Verification.objects.create(
        method=method, outcome=outcome.outcome, result=outcome.result,
        kid=kid.hex() if isinstance(kid, bytes) else kid)


def verify_text(text: str, method: str = Verification.Method.PASTE,
                today: date | None = None) -> Outcome:
    """Offline check against the published keys, then the online status of the result."""
    today = today or timezone.localdate()
    verdict = verifier.verify(text, online_trust_list(), today)
    outcome = Outcome(verdict.outcome, verdict.reason, claims=verdict.claims,
                      agency_name=verdict.key.agency_name if verdict.key else "")
    if verdict.genuine and verdict.claims is not None:
        result = (Result.objects.select_related("replaced_by", "agency")
                  .filter(number=verdict.claims.number, kid=verdict.kid.hex()).first())
        if result is None or result.content_sha256 != verdict.claims.content_sha256.hex():
            # Signed by a trusted key but unknown here: report what the signature proves.
            outcome.details["unregistered"] = True
        else:
            outcome = _online(outcome, result, today)
    _record(method, outcome, verdict.kid)
    return outcome


def first_revision(data: bytes) -> bytes:
    """The PDF as rendered, before the QR and the signature were appended: everything up to and
    including the first end-of-file marker."""
    end = data.find(b"%%EOF")
    if end < 0:
        return b""
    end += 5
    while end < len(data) and data[end:end + 1] in (b"\r", b"\n"):
        end += 1
    return data[:end]


def validate_signature(data: bytes, roots_pem: list[str] | None = None,
                       pinned_der: list[bytes] | None = None) -> tuple[bool, str]:
    """pyHanko's validator: the last signature intact, valid, trusted (the platform's trust
    roots, or ``roots_pem`` — a third-party issuer's registered CA —, no network) and covering
    the whole file; with ``pinned_der``, made by one of those certificates. Returns (ok,
    signer's name)."""
    roots = []
    for text in trust_roots_pem() if roots_pem is None else roots_pem:
        _type, _headers, der = asn1_pem.unarmor(text.encode())
        roots.append(asn1_x509.Certificate.load(der))
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    if not reader.embedded_signatures or not roots:
        return False, ""
    signature = reader.embedded_signatures[-1]
    context = ValidationContext(trust_roots=roots, allow_fetching=False)
    status = signing.run_async(async_validate_pdf_signature, signature, context)
    name = status.signing_cert.subject.native.get("common_name", "")
    ok = bool(status.bottom_line and status.coverage == SignatureCoverageLevel.ENTIRE_FILE)
    if pinned_der and status.signing_cert.dump() not in pinned_der:
        ok = False
    return ok, name


def verify_pdf(data: bytes, today: date | None = None) -> Outcome:
    """An uploaded PDF: its PAdES signature against the trust roots, then the result's status."""
    today = today or timezone.localdate()
    try:
        ok, signer_name = validate_signature(data)
    except Exception:  # a damaged or foreign file: pyHanko raises many kinds
        ok, signer_name = False, ""
    if not ok:
        outcome = Outcome("not_genuine", "Tệp không có chữ ký số hợp lệ của cơ quan cấp, hoặc đã "
                                         "bị sửa sau khi ký.")
        _record(Verification.Method.UPLOAD, outcome)
        return outcome
    digest = hashlib.sha256(data).hexdigest()
    content = hashlib.sha256(first_revision(data)).hexdigest()
    result = (Result.objects.select_related("replaced_by", "agency")
              .filter(Q(pdf_sha256=digest) | Q(content_sha256=content)).first())
    outcome = Outcome("valid", STATUS_REASONS["valid"], agency_name=signer_name)
    if result is None:
        outcome.details["unregistered"] = True
    else:
        outcome.agency_name = result.agency.name
        outcome = _online(outcome, result, today)
    _record(Verification.Method.UPLOAD, outcome, result.kid if result else "")
    return outcome
