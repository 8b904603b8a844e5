"""A citizen signs their declaration (tờ khai) digitally, before filing, through a remote signing
service speaking the Cloud Signature Consortium API v1 (the agencies' client: ``signing.py``).

Why before filing: a procedure that requires a signed declaration must have it when the dossier
is filed (``Declaration.signed``: the signed declaration or a scan of the hand-signed paper), and
the officer receives it with the dossier. The paper signed is the draft's declaration
(``declaration.filled``, the answers as they will be filed); editing the answers afterwards
drops it (``dossiers/views.py``) and filing keeps it as the dossier's declaration
(``declaration.attach`` keeps an existing one).

How the citizen is known at the service: the platform logs in with its own client account
(``auth/login``, as for agencies) and lists the citizen's credentials with ``userID`` = the
account's verified CCCD (CSC v1 §11.4: ``userID`` when the service authorisation is not the
user's own; Vietnamese remote-signing services identify their subscribers by that number). The
citizen's sole control is the one-time code the service sends to the phone registered with it
(SCAL 2): ``credentials/sendOTP``, then ``credentials/authorize`` with the code and the hash about
to be signed, then ``signatures/signHash`` (pyHanko's ``CSCSigner``, PAdES). No OAuth 2
redirect to the service: it would need the service's login page in the middle of the form, and
the code already proves the holder's consent.

Checked on receipt (``check``): pyHanko validates the signature against
``DECLARATION_TRUST_ROOTS`` with the certificate's revocation fetched (CRL or OCSP; none
available is a refusal), over the whole file; the CCCD in the certificate's subject
(serialNumber or UID, «CCCD:…»/«CMND:…» prefixed or not — the practice of Vietnamese CAs
[unverified against a CA's published profile]) must be the account's verified one.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import re
from dataclasses import dataclass
from datetime import datetime

import aiohttp
from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Q
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields as sig_fields
from pyhanko.sign import signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.csc_signer import (
    CSCAuthorizationManager,
    CSCServiceSessionInfo,
    CSCSigner,
    fetch_certs_in_csc_credential,
)
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend

from dichvucong.accounts.models import User
from dichvucong.dossiers.models import Dossier
from dichvucong.dossiers.submission import attach as store
from dichvucong.dossiers.submission import drop_declaration

from . import declaration
from .models import DeclarationSignature
from .signing import csc_login, run_async

FIELD = "ChuKyNguoiKhai"
TIMEOUT = aiohttp.ClientTimeout(total=30)
NOT_CONFIGURED = "Cổng chưa kết nối dịch vụ ký số từ xa cho công dân."
NOT_YOURS = "Chỉ người đứng tên hồ sơ tự ký số tờ khai của mình."
NO_VERIFIED_ID = ("Tài khoản chưa có số định danh cá nhân đã xác thực (đăng nhập bằng VNeID) "
                  "nên chưa ký số được: hãy nộp bản chụp tờ khai đã ký tay.")
NO_CREDENTIAL = ("Dịch vụ ký số từ xa không có chứng thư số nào mang số định danh của bạn. Hãy "
                 "đăng ký chữ ký số từ xa với nhà cung cấp, hoặc nộp bản chụp tờ khai đã ký tay.")
WRONG_CODE = ("Mã xác thực (OTP) không đúng hoặc đã được dùng. Không có gì được ký; hãy bấm "
              "«Gửi lại mã» và nhập mã mới.")
EXPIRED = ("Phiên ủy quyền ký đã hết hạn trước khi ký xong. Không có gì được ký; hãy bấm "
           "«Gửi lại mã» và ký lại.")
UNREACHABLE = "Không kết nối được dịch vụ ký số từ xa. Hãy thử lại sau ít phút."
REFUSED = "Dịch vụ ký số từ xa từ chối yêu cầu (HTTP {status}). Hãy thử lại sau ít phút."
INVALID = "Chữ ký số trên tờ khai không hợp lệ (tệp bị sửa hoặc chữ ký không khớp)."
UNTRUSTED = "Chứng thư số của người ký không do tổ chức chứng thực được công nhận cấp."
REVOKED = "Chứng thư số của người ký đã bị thu hồi."
NO_REVOCATION = "Không kiểm tra được tình trạng thu hồi của chứng thư số; hãy thử lại sau."
OTHER_PERSON = ("Chứng thư số được cấp cho người khác: số định danh trong chứng thư không trùng "
                "số định danh đã xác thực của tài khoản.")
_ID_IN_SUBJECT = re.compile(r"^(?:(?:CCCD|CMND|CCCN)\s*[:\-]\s*)?(\d{9}|\d{12})$", re.I)


class SigningRefused(Exception):
    """Nothing was signed or kept; ``message`` is Vietnamese, for the citizen."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def available() -> bool:
    return bool(settings.DECLARATION_CSC_URL)


def form_sha256(form_data: dict | None) -> str:
    text = json.dumps(form_data or {}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def current(draft: Dossier) -> DeclarationSignature | None:
    """The valid signature of the draft's answers as they stand, if any."""
    signature = (draft.declaration_signatures.filter(valid=True, attachment__isnull=False)
                 .select_related("attachment").last())
    if signature is not None and signature.form_sha256 == form_sha256(draft.form_data):
        return signature
    return None


def latest(dossier: Dossier) -> DeclarationSignature | None:
    """What the officer is told: the valid signature kept, else the last refused one."""
    # One query (the officer's page counts them): the valid ones first, newest first.
    return (dossier.declaration_signatures
            .filter(Q(valid=True, attachment__isnull=False) | Q(valid=False))
            .order_by("-valid", "-pk").first())


def _refusal(draft: Dossier, user: User) -> str:
    if not available():
        return NOT_CONFIGURED
    if draft.applicant_id != user.pk or draft.state != "draft":
        return NOT_YOURS
    if not (user.id_number_verified and user.id_number):
        return NO_VERIFIED_ID
    return ""


@contextlib.asynccontextmanager
async def _service():
    """(session, base URL, access token) of the platform's client account."""
    base = settings.DECLARATION_CSC_URL.rstrip("/")
    async with aiohttp.ClientSession() as session:
        token = settings.DECLARATION_CSC_TOKEN or None
        if settings.DECLARATION_CSC_USERNAME:
            token = await csc_login(session, base, settings.DECLARATION_CSC_USERNAME,
                                    settings.DECLARATION_CSC_PASSWORD)
        yield session, base, token


def _failure(exc: BaseException) -> SigningRefused:
    """The citizen's sentence for a failed exchange (pyHanko wraps aiohttp's errors)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, SigningRefused):
            return seen
        if isinstance(seen, aiohttp.ClientResponseError):
            return SigningRefused(REFUSED.format(status=seen.status))
        if isinstance(seen, (aiohttp.ClientConnectionError, OSError, TimeoutError)):
            return SigningRefused(UNREACHABLE)
        seen = seen.__cause__ or seen.__context__
    return SigningRefused(UNREACHABLE)


async def _post(session, url: str, token: str | None, body: dict) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with session.post(url, headers=headers, json=body, timeout=TIMEOUT) as response:
        if response.status == 204:
            return {}
        data = await response.json(content_type=None)
        if response.status >= 400:
            if (data or {}).get("error") == "invalid_otp":
                raise SigningRefused(WRONG_CODE)
            response.raise_for_status()
        return data or {}


async def _send_code(id_number: str) -> str:
    async with _service() as (session, base, token):
        listed = await _post(session, f"{base}/csc/v1/credentials/list", token,
                             {"userID": id_number, "maxResults": 10})
        credentials = [str(c) for c in listed.get("credentialIDs") or []]
        if not credentials:
            raise SigningRefused(NO_CREDENTIAL)
        await _post(session, f"{base}/csc/v1/credentials/sendOTP", token,
                    {"credentialID": credentials[0]})
        return credentials[0]


def send_code(draft: Dossier, user: User) -> str:
    """Ask the service to send the one-time code to the citizen's phone; the credential to sign
    with (kept by the page in the session). Raises SigningRefused."""
    refusal = _refusal(draft, user)
    if refusal:
        raise SigningRefused(refusal)
    try:
        return run_async(_send_code, user.id_number)
    except SigningRefused:
        raise
    except Exception as exc:
        raise _failure(exc) from exc


def _otp_manager(session, info, credential_info, otp: str):
    class Manager(CSCAuthorizationManager):
        async def authorize_signature(self, hash_b64s):
            request = self.format_csc_auth_request(
                hash_b64s=hash_b64s, otp=otp, description="dichvucong: ký số tờ khai")
            data = await _post(session, info.endpoint_url("credentials/authorize"),
                               info.oauth_token, request)
            return self.parse_csc_auth_response(data)

    return Manager(info, credential_info)


class _Signer(CSCSigner):
    """A failed ``signatures/signHash`` after a granted authorisation is an expired SAD."""

    async def commit(self):
        try:
            await super().commit()
        except SigningError as exc:
            cause = exc.__cause__
            if isinstance(cause, aiohttp.ClientResponseError) and cause.status == 400:
                raise SigningRefused(EXPIRED) from exc
            raise


async def _sign(pdf: bytes, credential: str, otp: str, name: str) -> bytes:
    async with _service() as (session, base, token):
        info = CSCServiceSessionInfo(base, credential, oauth_token=token)
        credential_info = await fetch_certs_in_csc_credential(session, info)
        signer = _Signer(session, _otp_manager(session, info, credential_info, otp))
        meta = signers.PdfSignatureMetadata(field_name=FIELD, name=name,
                                            reason="Ký số tờ khai",
                                            subfilter=sig_fields.SigSeedSubFilter.PADES)
        output = io.BytesIO()
        await signers.PdfSigner(meta, signer).async_sign_pdf(
            IncrementalPdfFileWriter(io.BytesIO(pdf)), output=output)
        return output.getvalue()


@dataclass(frozen=True)
class Check:
    valid: bool
    reason: str
    signer_name: str
    signed_at: datetime | None


def _roots() -> list[asn1_x509.Certificate]:
    roots = []
    for path in settings.DECLARATION_TRUST_ROOTS:
        with open(path, "rb") as handle:
            for _type, _headers, der in asn1_pem.unarmor(handle.read(), multiple=True):
                roots.append(asn1_x509.Certificate.load(der))
    return roots


def ids_in(certificate: asn1_x509.Certificate) -> set[str]:
    """The ID numbers a certificate's subject names (serialNumber, UID)."""
    found = set()
    for rdn in certificate.subject.chosen:
        for attribute in rdn:
            if attribute["type"].native in ("serial_number", "user_id"):
                match = _ID_IN_SUBJECT.match(str(attribute["value"].native).strip())
                if match:
                    found.add(match.group(1))
    return found


def check(data: bytes, id_number: str) -> Check:
    """Validate the last signature of ``data`` and match its signer to ``id_number``."""
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    if not reader.embedded_signatures:
        return Check(False, INVALID, "", None)
    # requests, not aiohttp: its fetchers leave no session open behind the validation.
    context = ValidationContext(trust_roots=_roots(), allow_fetching=True,
                                revocation_mode="hard-fail",
                                fetcher_backend=RequestsFetcherBackend(per_request_timeout=10))
    status = run_async(async_validate_pdf_signature, reader.embedded_signatures[-1], context)
    name = status.signing_cert.subject.native.get("common_name", "")
    signed_at = status.signer_reported_dt
    reason = ""
    if not (status.intact and status.valid) or \
            status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        reason = INVALID
    elif status.revoked:
        reason = REVOKED
    elif not status.trusted:
        indication = str(getattr(status.trust_problem_indic, "name", ""))
        reason = NO_REVOCATION if "REVOC" in indication or "TRY_LATER" in indication \
            else UNTRUSTED
    elif id_number not in ids_in(status.signing_cert):
        reason = OTHER_PERSON
    return Check(not reason, reason, name, signed_at)


def sign(draft: Dossier, user: User, credential: str, otp: str) -> DeclarationSignature:
    """Sign the draft's declaration with the code the citizen typed, check it, and keep it as
    the draft's declaration. Raises SigningRefused; a signature the check refuses is recorded
    (for the officer) and nothing else is kept."""
    refusal = _refusal(draft, user)
    if refusal:
        raise SigningRefused(refusal)
    paper = declaration.filled(draft)
    try:
        signed = run_async(functools.partial(_sign, declaration.render(paper), credential,
                                             otp.strip(), paper.name))
    except Exception as exc:
        raise _failure(exc) from exc
    found = check(signed, user.id_number)
    digest = form_sha256(draft.form_data)
    with transaction.atomic():
        if not found.valid:
            DeclarationSignature.objects.create(
                dossier=draft, valid=False, reason=found.reason, signer_name=found.signer_name,
                signed_at=found.signed_at, form_sha256=digest)
        else:
            drop_declaration(draft)
            definition = draft.procedure_version.parsed()
            document = definition.declaration_document()
            requirement = document.name if document else definition.declaration_title()
            upload = SimpleUploadedFile(declaration.file_name(draft.code), signed,
                                        "application/pdf")
            attachment = store(draft, requirement, upload, user, declaration=True)
            return DeclarationSignature.objects.create(
                dossier=draft, attachment=attachment, valid=True,
                signer_name=found.signer_name, signed_at=found.signed_at,
                form_sha256=digest)
    raise SigningRefused(found.reason)
