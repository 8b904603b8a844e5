"""Making a result's file, the background task's work: render the PDF, sign the QR payload
(a CWT as COSE_Sign1 with the agency's key), stamp the QR on the page, sign the whole as PAdES
through the agency's signer backend, store it, publish the key, and move the dossier to
«result ready»."""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

import cbor2
import segno
from asn1crypto import pem as asn1_pem
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone
from PIL import Image
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import BoxConstraints
from pyhanko.sign import fields, signers
from pyhanko.stamp import StaticStampStyle

from dichvucong.agencies.models import Agency
from dichvucong.core.idnumber import mask
from dichvucong.core.storage import StorageUnavailable
from dichvucong.dossiers import lifecycle
from dichvucong.dossiers.actions import perform
from dichvucong.dossiers.lifecycle import Action, State
from dichvucong.slips.data import heading

from . import pki, registers, render, signing, signing_jobs, verifier
from .holders import holder_id_number
from .keys import register_key
from .models import IssuerKey, Result, ResultEvent, SigningState, Status, result_pdf_path
from .trust_list import trust_list_changed

logger = logging.getLogger(__name__)

VERIFY_PATH = "/xac-minh/"


def verify_url(payload: str) -> str:
    """The link the QR holds: the verification page with the payload (base45's space, % and +
    percent-encoded, the rest as is, so the QR stays compact)."""
    return f"{settings.SITE_URL}{VERIFY_PATH}?m={quote(payload, safe=':$*-./')}"


def _claims(result: Result, content_sha256: bytes) -> verifier.Claims:
    return verifier.Claims(
        issuer=result.agency.code, document_type=result.document_type or result.title,
        number=result.number, holder=verifier.mask_name(result.holder_name),
        id_hash=bytes.fromhex(result.holder_id_hash) if result.holder_id_hash else b"",
        issue_date=result.issue_date, valid_until=result.valid_until,
        content_sha256=content_sha256, title=result.title)


def _expiry_timestamp(day: date) -> int:
    end = timezone.make_aware(datetime(day.year, day.month, day.day, 23, 59, 59))
    return int(end.timestamp())


async def sign_payload(signer, claims: verifier.Claims, issued_at: datetime) -> str:
    """The QR text: a CWT claims set signed as COSE_Sign1 by the agency's key, compressed and
    base45-encoded behind the ``DVC1:`` prefix."""
    certificate_der = signer.signing_cert.dump()
    algorithm = signing.algorithm_of(signer.signing_cert)
    protected = cbor2.dumps({1: verifier.COSE_ALGORITHMS[algorithm],
                             4: pki.key_id(certificate_der)})
    cwt_claims: dict[int, Any] = {1: claims.issuer, 6: int(issued_at.timestamp()),
                                  verifier.CLAIMS_KEY: claims.to_cbor_map()}
    if claims.valid_until is not None:
        cwt_claims[4] = _expiry_timestamp(claims.valid_until)
    payload = cbor2.dumps(cwt_claims)
    signature = await signing.sign_raw(signer, verifier.sig_structure(protected, payload))
    cose = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, signature]))
    return verifier.encode_envelope(cose)


def _qr_image(url: str):
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=6, border=4)
    buffer.seek(0)
    return Image.open(buffer).convert("L")


async def _sign_document(backend: signing.Backend, result: Result, content: bytes,
                         box: render.QrBox, issued_at: datetime) -> tuple[bytes, str, str]:
    agency = signing.AgencyRef(code=result.agency.code, name=result.agency.name)
    async with backend.open(agency) as signer:
        claims = _claims(result, hashlib.sha256(content).digest())
        payload = await sign_payload(signer, claims, issued_at)
        writer = IncrementalPdfFileWriter(io.BytesIO(content))
        style = StaticStampStyle(background=PdfImage(_qr_image(verify_url(payload))),
                                 border_width=0)
        style.create_stamp(writer, BoxConstraints(box.size, box.size), {}).apply(
            box.page, box.x, box.y)
        meta = signers.PdfSignatureMetadata(
            field_name="KyKetQua", subfilter=fields.SigSeedSubFilter.PADES,
            reason=f"Ban hành kết quả số {result.number}", location=result.agency.name,
            name=result.agency.name)
        output = io.BytesIO()
        await signers.PdfSigner(meta, signer).async_sign_pdf(writer, output=output)
        certificate_pem = asn1_pem.armor("CERTIFICATE", signer.signing_cert.dump()).decode()
        return output.getvalue(), payload, certificate_pem


def sign_result(result_id: int, *, now: datetime | None = None) -> Result:
    """Render, sign and store a queued result, then mark the dossier's result ready. A failure
    is recorded on the result (and shown to the officer); nothing else changes. The run holds
    the result's lease (``signing_jobs``): a result another run holds, or one already done or
    failed, is left as it is."""
    now = now or timezone.now()
    token = signing_jobs.claim(result_id, now)
    result = Result.objects.select_related("agency", "dossier").get(pk=result_id)
    if not token:
        return result
    backend = signing.backend()
    try:
        replaces = Result.objects.filter(replaced_by=result).values_list("number", flat=True)
        document = render.Document(
            heading=_heading(result), number=result.number, title=result.title,
            document_type=result.document_type, holder_name=result.holder_name,
            holder_id_masked=mask(holder_id) if (holder_id := holder_id_number(result))
            else "",
            paragraphs=render.paragraphs(result.body),
            issue_date=result.issue_date, valid_until=result.valid_until,
            signer_title=result.signer_title, signer_name=result.signer_name,
            dossier_code=result.dossier.code if result.dossier_id else "",
            replaces=next(iter(replaces), ""),
            register=entry.line if (entry := registers.entry_of(result)) else "")
        content, box = render.render(document)
        signing_jobs.mine(result.pk, token).update(signing_state=SigningState.SIGNING)
        signed, payload, certificate_pem = signing.run_async(
            _sign_document, backend, result, content, box, now)
        if _revoked_certificate(certificate_pem):
            raise signing.SigningUnavailable(
                "Khóa ký của cơ quan đã bị thu hồi; cần cấp chứng thư số mới trước khi ký.")
        _store(result, token, backend, signed, content, payload, certificate_pem, now)
    except StorageUnavailable as exc:  # waits in the queue for the sweeper; not failed
        signing_jobs.release(result.pk, token, now)
        logger.warning("results: result %s waits for the file storage (%s)", result.pk,
                       type(exc).__name__)
    except (OperationalError, InterfaceError) as exc:
        # The database restarting or unreachable: no fault of the result either (it was marked
        # failed for the officer, in the fault suite's PostgreSQL restart). Back in the queue if
        # the database answers again, else its lease runs out and the sweeper takes it.
        logger.warning("results: result %s waits for the database (%s)", result.pk,
                       type(exc).__name__)
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()  # a dead connection: a new one
        with contextlib.suppress(OperationalError, InterfaceError):
            signing_jobs.release(result.pk, token, now)
    except Exception as exc:  # the officer sees it; the worker goes on with other work
        message = exc.message if isinstance(exc, signing.SigningUnavailable) else (
            "Lỗi khi tạo, ký hoặc lưu tệp kết quả; hãy thử lại hoặc báo quản trị hệ thống.")
        _fail(result, token, message, type(exc).__name__)
        result.refresh_from_db()
        return result
    result.refresh_from_db()
    return result


def _fail(result: Result, token: str, message: str, error: str) -> None:
    with transaction.atomic():
        if signing_jobs.mine(result.pk, token).update(
                signing_state=SigningState.FAILED, signing_error=message, lease_token="",
                lease_until=None):
            ResultEvent.record(result, ResultEvent.Kind.FAILED, None, message, error=error)
            logger.warning("results: signing of result %s failed (%s)", result.pk, error)


def _store(result: Result, token: str, backend, signed: bytes, content: bytes, payload: str,
           certificate_pem: str, now: datetime) -> bool:
    """Store the signed file and mark the result done, in one transaction with the row locked,
    only while this run still holds the lease; False when it lost it (nothing written). A
    failed write (a full disk) leaves no file behind."""
    with transaction.atomic():
        locked = signing_jobs.mine(result.pk, token).select_for_update().first()
        if locked is None:
            return False
        key, _new = register_key(result.agency, certificate_pem, backend.name)
        name = result_pdf_path(result, "")
        storage = result.pdf.storage
        # No row references this name until the commit below: a file there is a killed run's.
        storage.delete(name)
        try:
            result.pdf.save(f"{result.token}.pdf", ContentFile(signed), save=False)
            result.pdf_sha256 = hashlib.sha256(signed).hexdigest()
            result.content_sha256 = hashlib.sha256(content).hexdigest()
            result.qr_payload = payload
            result.kid = key.kid
            result.backend = backend.name
            result.signing_state = SigningState.DONE
            result.signing_error = ""
            result.signed_at = now
            result.lease_token = ""
            result.lease_until = None
            result.save()
            ResultEvent.record(result, ResultEvent.Kind.SIGNED, None, kid=key.kid,
                               backend=backend.name, sha256=result.pdf_sha256)
            for old in Result.objects.select_for_update().filter(replaced_by=result):
                old.status = Status.REPLACED
                old.status_changed_at = now
                old.save(update_fields=["status", "status_changed_at"])
                trust_list_changed("result_replaced")
            dossier = result.dossier
            if dossier is not None and dossier.state == State.approved.value:
                perform(dossier.pk, Action.issue_result, None, lifecycle.LifecycleRole.system,
                        data={"result": result.number, "result_token": result.token})
        except BaseException:
            storage.delete(name)  # the transaction rolls back; so does the file
            raise
    return True


def resume_signing(*, now: datetime | None = None, batch: int = 20) -> int:
    """The sweeper (every minute): results stuck in the queue or in a killed run are signed
    again here, in this process (a lost enqueueing is thus no longer needed), and those out of
    attempts are marked failed for the officer. Returns how many it signed or failed."""
    now = now or timezone.now()
    handled = 0
    for result in signing_jobs.exhausted(now):
        with transaction.atomic():
            if Result.objects.filter(signing_jobs.stuck_q(now), pk=result.pk).update(
                    signing_state=SigningState.FAILED, signing_error=signing_jobs.INTERRUPTED,
                    lease_token="", lease_until=None):
                ResultEvent.record(result, ResultEvent.Kind.FAILED, None,
                                   signing_jobs.INTERRUPTED, error="interrupted")
                handled += 1
    for result_id in signing_jobs.due(now, batch):
        sign_result(result_id, now=now)
        handled += 1
    return handled


def _revoked_certificate(certificate_pem: str) -> bool:
    """Whether the certificate that just signed belongs to a revoked key (nothing it signs is
    trusted any more, so the result must not be issued with it)."""
    der = x509.load_pem_x509_certificate(certificate_pem.encode()).public_bytes(
        serialization.Encoding.DER)
    return IssuerKey.objects.filter(kid=pki.key_id(der).hex(), revoked_at__isnull=False).exists()


def _heading(result: Result):
    agency = Agency.objects.select_related("parent", "administrative_unit").get(
        pk=result.agency_id)
    return heading(agency, result.issue_date)
