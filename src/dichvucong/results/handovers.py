"""The receiving agency's result of a handover (liên thông), signed: where the agency answers in
the platform, its result is a document of its own (numbered in its own sequence, the answer's
content as the body) signed with that agency's key through the platform's signing path
(``stamping.sign_result``: the QR payload and the PAdES signature), so the citizen's store holds a
signed document whose QR verifies at ``/xac-minh/``. The result is the agency's, not the
dossier's (no ``dossier``, no holder account): it does not move the dossier nor reach the store
on its own; its signed file is the handover's answer (``dossiers/exchange.py:answer``), which
joins the store with the dossier's own result (``datastore/services.py:collect_handovers``).

An agency the platform holds no signing key for (a PKCS#12 backend without its file) answers as
before, with the file it uploads, unsigned. A machine client answering through the API signs
on its own system: a file it hands back must carry a valid signature of one of its agency's
published certificates, checked on deposit as a third-party issuer's (``validate_signature``).
"""

from __future__ import annotations

import secrets
from datetime import datetime

from asn1crypto import pem as asn1_pem
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import transaction
from django.utils import timezone

from dichvucong.accounts.models import User
from dichvucong.dossiers import exchange
from dichvucong.dossiers.actions import ActionOutcome, StaleDossier
from dichvucong.dossiers.models import Dossier, Handover, HandoverOutcome

from . import signing, stamping
from .errors import ResultError
from .issuing import format_number, next_sequence, signer_fields
from .models import IssuerKey, Result, ResultEvent, SigningState
from .verification import validate_signature


def signs_for(handover: Handover) -> bool:
    """The platform can sign for the handover's agency: a PKCS#12 backend has its key file; a
    token or a signing service names the agency's key itself (a missing one fails the signing,
    and the answer with it)."""
    backend = signing.backend()
    if backend.name != signing.Pkcs12Backend.name:
        return True
    return signing.pkcs12_path(handover.to_agency.code).is_file()


def signed_answer(handover: Handover, user: User | None, note: str) -> SimpleUploadedFile:
    """The agency's signed result of ``handover`` with ``note`` as its content, as the file of
    its answer, signed now (a certificate made after an answer's instant still signs it).
    Raises ResultError when it could not be signed (the answer is not sent)."""
    agency, dossier = handover.to_agency, handover.dossier
    now = timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        sequence = next_sequence(agency.pk, today.year)
        number = format_number(agency, today.year, sequence)
        result = Result.objects.create(
            number=number, token=secrets.token_hex(16), year=today.year, sequence=sequence,
            agency=agency, dossier=None, title=handover.step[:300],
            document_type=handover.step[:200],
            body=f"Hồ sơ liên thông số {dossier.code}, do {handover.from_agency.name} chuyển."
                 f"\n\n{note}",
            holder_account=None, holder_name=dossier.applicant_name[:150], signer=user,
            **(signer_fields(user, agency) if user is not None else {}),
            issue_date=today, created_by=user, queued_at=now)
        ResultEvent.record(result, ResultEvent.Kind.REQUESTED, user, handover=handover.pk,
                           dossier=dossier.code)
    signed = stamping.sign_result(result.pk, now=now)
    if signed.signing_state != SigningState.DONE:
        raise ResultError(signed.signing_error or "Không ký được kết quả liên thông.")
    with signed.pdf.open("rb") as stream:
        content = stream.read()
    return SimpleUploadedFile(f"{number.replace('/', '-')}.pdf", content,
                              content_type="application/pdf")


def answer(handover: Handover, user: User | None, outcome: str, note: str, *,
           expected_revision: int | None, upload: UploadedFile | None = None,
           system: tuple[int, str] | None = None, now: datetime | None = None) -> ActionOutcome:
    """``exchange.answer`` with the result signed: by the platform for an official answering
    in the back office (checked that they may answer first: nothing is signed for a refused
    answer), or verified on deposit for a machine client (``system``). Raises what
    ``exchange.answer`` raises; a signature problem as ExchangeError on ``result``."""
    note = (note or "").strip()
    signed = None
    if outcome == HandoverOutcome.RESULT and system is not None and upload is not None:
        _check_signed(handover, upload)
    elif outcome == HandoverOutcome.RESULT and user is not None and signs_for(handover):
        if not exchange.may_answer(user, handover):
            raise exchange.ExchangeError("Bạn không có vai trò trả lời hồ sơ liên thông này.")
        if not note:
            raise exchange.ExchangeError("Cần ghi nội dung kết quả: cơ quan bạn ký số kết quả "
                                         "từ nội dung này.", "note")
        revision = Dossier.objects.values_list("revision", flat=True).get(pk=handover.dossier_id)
        if not handover.is_open or (expected_revision is not None
                                    and revision != expected_revision):
            raise StaleDossier(StaleDossier.message)
        try:
            signed = signed_answer(handover, user, note)
        except ResultError as exc:
            raise exchange.ExchangeError(exc.message, "result") from exc
    return exchange.answer(handover.pk, user, outcome, note, expected_revision=expected_revision,
                           result_file=upload, signed_file=signed, now=now, system=system)


def _check_signed(handover: Handover, upload: UploadedFile) -> None:
    """The file a machine client hands back: signed, intact, by a published certificate of the
    receiving agency that is not revoked."""
    pinned = [asn1_pem.unarmor(pem.encode())[2] for pem in IssuerKey.objects.filter(
        agency_id=handover.to_agency_id, revoked_at__isnull=True).values_list("certificate",
                                                                              flat=True)]
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    try:
        ok = bool(pinned) and validate_signature(data, None, pinned)[0]
    except Exception:  # a damaged file or a foreign signature: pyHanko raises many kinds
        ok = False
    if not ok:
        raise exchange.ExchangeError(
            "Tệp kết quả phải có chữ ký số hợp lệ của cơ quan trả lời (chứng thư số đã công bố), "
            "không bị sửa sau khi ký.", "result")
