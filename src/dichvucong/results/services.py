"""The results app's operations: the only place that writes results (each write recorded as a
``ResultEvent``), publishes issuer keys and verifies. Views, the API, the back office and the
personal data store call these.

Stable API for other apps:

- :func:`request_issue` (dossier, official) → a queued :class:`Result`; the background task
  :func:`sign_result` renders, signs and stores it and moves the dossier to «result ready».
- :func:`revoke` / :func:`replace` (result, leader of the issuing agency, reason).
- :func:`results_of_holder` (user) → the results issued to a citizen, newest first;
  :func:`results_of_dossier` (dossier).
- :func:`pdf_bytes` (result) → the signed PDF; :func:`record_download`.
- :func:`trust_list` → the published issuer keys; :func:`signed_trust_list` → the current
  signed issue (cached; re-issued when a key or a result's status changes and, by the periodic
  task :func:`refresh_trust_list`, before its ``next_update``); :func:`revoke_key`.
- :func:`verify_text` / :func:`verify_pdf` → an :class:`Outcome` with the online status, each
  recorded as a ``Verification``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import logging
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import cbor2
from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from dichvucong.accounts.models import Role, User
from dichvucong.agencies.models import Agency
from dichvucong.catalog.definition import DATE_IN_WORDS, TEMPLATE_EXTRAS, FieldType
from dichvucong.core.idnumber import mask
from dichvucong.dossiers import lifecycle
from dichvucong.dossiers.lifecycle import Action, State
from dichvucong.dossiers.models import Dossier
from dichvucong.payments.words import date_words

from . import pki, registers, render, signature, signing, verifier
from .models import (
    IssuerKey,
    Result,
    ResultEvent,
    ResultNumberSequence,
    SigningState,
    Status,
    TrustListIssue,
    Verification,
)
from .validity import valid_until as validity_end

logger = logging.getLogger(__name__)

ISSUING_ROLES = (Role.SPECIALIST, Role.LEADER)
MANAGING_ROLES = (Role.LEADER, Role.AGENCY_HEAD)
DEFAULT_TITLE = "Kết quả giải quyết thủ tục hành chính"
VERIFY_PATH = "/xac-minh/"


class ResultError(Exception):
    """A refused operation; ``message`` is Vietnamese, for people; ``field`` names the input."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# --- numbering ---------------------------------------------------------------------------------


def next_sequence(agency_id: int, year: int) -> int:
    """One atomic INSERT … ON CONFLICT … RETURNING (PostgreSQL and SQLite 3.35+): numbers never
    repeat, also with several servers issuing at once."""
    return registers.bump(ResultNumberSequence._meta.db_table,
                          {"agency_id": agency_id, "year": year})


def format_number(agency: Agency, year: int, sequence: int) -> str:
    """000123/2025/KQ-000.00.12.H17: sequence, year, "KQ" (kết quả) and the agency's code."""
    return f"{sequence:06d}/{year}/KQ-{agency.code}"


# --- who may do what ---------------------------------------------------------------------------


def _holds(user: User, agency_id: int, roles) -> bool:
    return user.is_authenticated and user.memberships.filter(
        agency_id=agency_id, role__in=roles).exists()


def can_issue(user: User, dossier: Dossier) -> bool:
    return _holds(user, dossier.agency_id, ISSUING_ROLES)


def can_manage(user: User, result: Result) -> bool:
    """Revoke or replace: a leader (or the head) of the issuing agency."""
    return _holds(user, result.agency_id, MANAGING_ROLES)


def agency_results(user: User) -> QuerySet[Result]:
    """The results of the agencies where ``user`` is an official."""
    from dichvucong.dossiers.access import OFFICIAL_ROLES

    return Result.objects.filter(
        agency_id__in=user.memberships.filter(role__in=OFFICIAL_ROLES).values("agency_id"))


def results_of_holder(user: User) -> QuerySet[Result]:
    """A citizen's results: issued to their account, or on dossiers they filed."""
    from dichvucong.dossiers.access import own_dossiers

    return Result.objects.filter(
        Q(holder_account=user) | Q(dossier__in=own_dossiers(user).values("pk"))
    ).select_related("agency").order_by("-issue_date", "-id")


def dossiers_with_result_available(dossier_ids) -> set[int]:
    """Of ``dossier_ids``, those with a signed result the citizen can download now (signed and
    still valid: not revoked, not replaced)."""
    return set(Result.objects.filter(dossier_id__in=dossier_ids, signing_state=SigningState.DONE,
                                     status=Status.VALID).exclude(pdf="")
               .values_list("dossier_id", flat=True))


def results_of_dossier(dossier: Dossier) -> list[Result]:
    return list(dossier.results.select_related("replaced_by").order_by("-created_at"))


# --- issuing -----------------------------------------------------------------------------------


def _event(result: Result, kind: str, actor: User | None, note: str = "", **data: Any) -> None:
    ResultEvent.objects.create(result=result, kind=kind, actor=actor, note=note, data=data)


def _approver(dossier: Dossier) -> User | None:
    event = (dossier.events.filter(action=Action.approve.value).select_related("actor")
             .order_by("-created_at", "-id").first())
    return event.actor if event else None


def _display_values(dossier: Dossier) -> dict[str, str]:
    """The form's values as shown on pages (labels of choices, dates as dd/mm/yyyy …)."""
    from dichvucong.backoffice.presenters import form_entries

    definition = dossier.procedure_version.parsed()
    values = {k: v for k, v in (dossier.form_data or {}).items() if not k.startswith("_")}
    shown: dict[str, str] = {}
    for form_field in definition.form:
        if form_field.key in values:
            entries = form_entries([form_field], values)
            if entries and not entries[0].items:
                shown[form_field.key] = str(entries[0].value)
            if form_field.type == FieldType.DATE:
                # «key__chu»: the date in words, as civil status papers write it beside the
                # numbers (Giấy khai sinh: «ghi bằng chữ»).
                with contextlib.suppress(ValueError):
                    shown[f"{form_field.key}{DATE_IN_WORDS}"] = date_words(
                        date.fromisoformat(str(values[form_field.key])))
    return shown


def _body(dossier: Dossier, template: str, today: date | None = None) -> str:
    values = _display_values(dossier)
    if template.strip():
        # What the template may name besides the form: the registering agency and the day.
        day = today or timezone.localdate()
        values |= dict(zip(TEMPLATE_EXTRAS, (dossier.agency.name, day.strftime("%d/%m/%Y")),
                           strict=True))
        return render.fill_template(template, values)
    from dichvucong.backoffice.presenters import form_entries

    definition = dossier.procedure_version.parsed()
    lines = [f"Kết quả giải quyết thủ tục «{dossier.procedure.name}» theo hồ sơ "
             f"{dossier.code} của {dossier.applicant_name}."]
    raw = {k: v for k, v in (dossier.form_data or {}).items() if not k.startswith("_")}
    for entry in form_entries(definition.form, raw):
        if not entry.items and entry.value not in ("", "—"):
            lines.append(f"{entry.label}: {entry.value}")
    return "\n".join(lines)


def result_definitions(dossier: Dossier) -> list[dict[str, str]]:
    """The procedure version's digital results (name, document type, validity, template); one
    generic result when the procedure states none; none when all are made outside the
    platform."""
    definition = dossier.procedure_version.parsed()
    if not definition.results:
        return [{"name": DEFAULT_TITLE, "document_type": "", "validity": "", "template": "",
                 "register": ""}]
    return [{"name": r.name, "document_type": r.document_type, "validity": r.validity,
             "template": r.template, "register": definition.register_of(r)}
            for r in definition.results if r.digital]


def issues_digitally(dossier: Dossier) -> bool:
    """Whether the platform issues this dossier's result itself (signed PDF and QR): the normal
    path, unless every result the procedure states is made outside the platform."""
    return bool(result_definitions(dossier))


def signing_in_progress(dossier: Dossier) -> Result | None:
    """A result of the dossier queued or being signed: the dossier moves to «result ready» when
    it is done, so nothing else may move it meanwhile."""
    return dossier.results.filter(signing_state__in=[
        SigningState.QUEUED, SigningState.RENDERING, SigningState.SIGNING]).first()


def request_issue(dossier: Dossier, user: User, *, choice: int = 0,
                  valid_until: date | None = None, today: date | None = None) -> Result:
    """Number a new result for an approved dossier and queue its signing. Raises ResultError."""
    today = today or timezone.localdate()
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update(of=("self",)).select_related(
            "agency", "procedure", "procedure_version").get(pk=dossier.pk)
        if not can_issue(user, dossier):
            raise ResultError("Chỉ chuyên viên hoặc lãnh đạo của cơ quan được ban hành kết quả.")
        if dossier.state != State.approved.value:
            raise ResultError(f"Chỉ ban hành kết quả cho hồ sơ đã phê duyệt; hồ sơ đang ở trạng "
                              f"thái «{dossier.state_label}».")
        if dossier.results.filter(signing_state__in=[SigningState.QUEUED, SigningState.RENDERING,
                                                      SigningState.SIGNING]).exists():
            raise ResultError("Kết quả của hồ sơ này đang được ký.")
        failed = dossier.results.filter(signing_state=SigningState.FAILED).first()
        if failed is not None:
            # Its number is taken but was never published: sign that one again, no gap.
            raise ResultError(f"Kết quả số {failed.number} chưa ký được; hãy bấm «Ký lại».")
        definitions = result_definitions(dossier)
        if not definitions:
            raise ResultError("Kết quả của thủ tục này được làm ngoài hệ thống; hãy tải tệp "
                              "kết quả lên.")
        if not 0 <= choice < len(definitions):
            raise ResultError("Hãy chọn một kết quả của thủ tục.", "choice")
        chosen = definitions[choice]
        until = valid_until or validity_end(chosen["validity"], today)
        if until is not None and until < today:
            raise ResultError("Ngày hết hiệu lực phải từ hôm nay trở đi.", "valid_until")
        result = _new_result(dossier, user, chosen, today, until,
                             _body(dossier, chosen["template"], today))
        _event(result, ResultEvent.Kind.REQUESTED, user, dossier=dossier.code)
    enqueue(result)
    return result


def _new_result(dossier: Dossier, user: User, chosen: dict, today: date, until: date | None,
                body: str) -> Result:
    agency = dossier.agency
    sequence = next_sequence(agency.pk, today.year)
    approver = _approver(dossier)
    id_number = dossier.applicant_id_number or ""
    number = format_number(agency, today.year, sequence)
    return Result.objects.create(
        number=number, token=secrets.token_hex(16), year=today.year, sequence=sequence,
        agency=agency, dossier=dossier, title=chosen["name"] or DEFAULT_TITLE,
        document_type=chosen["document_type"], body=body,
        holder_account=dossier.applicant, holder_name=dossier.applicant_name,
        holder_id_hash=verifier.id_hash(number, id_number).hex() if id_number else "",
        signer=approver or user, **_signer_fields(approver or user, agency),
        **registers.entry_fields(agency.pk, today.year, chosen.get("register", "")),
        issue_date=today, valid_until=until, created_by=user)


def signer_block(user: User, agency: Agency) -> signature.SignatureBlock:
    """The signature block of ``user`` signing for ``agency``: the position they hold there
    (``Membership.position``; a leader's or the head's first) and their full name — never
    the login name, which is an account detail, not a person's name."""
    from dichvucong.accounts.models import Membership

    held = dict(Membership.objects.filter(user=user, agency=agency).exclude(position="")
                .values_list("role", "position"))
    position = next((held[role] for role in (*MANAGING_ROLES[::-1], *held) if role in held), "")
    name = user.full_name or user.get_full_name()
    if not name:
        logger.warning("results: signer %s has no full name; the result shows none", user.pk)
    return signature.signature_block(agency_kind=agency.kind, agency_name=agency.name,
                                     position=position, full_name=name)


def _signer_fields(user: User, agency: Agency) -> dict[str, str]:
    block = signer_block(user, agency)
    return {"signer_name": block.name, "signer_title": block.title}


def can_retry(user: User, result: Result) -> bool:
    return result.signing_state == SigningState.FAILED and _holds(
        user, result.agency_id, ISSUING_ROLES + MANAGING_ROLES)


def retry(result: Result, user: User) -> Result:
    """Queue a result whose signing failed again (same number; it was never published)."""
    with transaction.atomic():
        result = Result.objects.select_for_update().get(pk=result.pk)
        if not can_retry(user, result):
            raise ResultError("Chỉ ký lại được kết quả ký không thành công, bởi cán bộ của cơ "
                              "quan cấp.")
        previous = result.signing_error
        result.signing_state = SigningState.QUEUED
        result.signing_error = ""
        result.save(update_fields=["signing_state", "signing_error"])
        _event(result, ResultEvent.Kind.RETRIED, user, previous)
    enqueue(result)
    return result


def enqueue(result: Result) -> None:
    from .tasks import sign_result_task

    transaction.on_commit(lambda: sign_result_task(result.pk))


# --- keys and the trust list -------------------------------------------------------------------


def trust_root_files() -> list[Path]:
    if settings.RESULTS_TRUST_ROOTS:
        return [Path(p) for p in settings.RESULTS_TRUST_ROOTS]
    demo = Path(settings.RESULTS_PKI_DIR) / pki.CA_FILE
    return [demo] if demo.is_file() else []


def trust_roots_pem() -> list[str]:
    return [path.read_text() for path in trust_root_files() if path.is_file()]


def ensure_demo_keys(agencies=None) -> int:
    """A local demo CA and a PKCS#12 certificate for each agency that has none, published in the
    trust list. Returns how many certificates were made. Not for production."""
    folder = Path(settings.RESULTS_PKI_DIR)
    authority = pki.load_authority(folder)
    if authority is None:
        authority = pki.create_authority()
        pki.save_authority(authority, folder)
    passphrase = signing.pkcs12_passphrase()
    made, published = 0, False
    for agency in agencies if agencies is not None else Agency.objects.filter(is_active=True):
        path = signing.pkcs12_path(agency.code)
        if path.is_file():  # made before: make sure it is published
            from cryptography.hazmat.primitives.serialization import pkcs12

            loaded = pkcs12.load_pkcs12(path.read_bytes(), passphrase)
            if loaded.cert is not None:
                published |= register_key(agency, pki.pem(loaded.cert.certificate), "pkcs12",
                                          publish=False)[1]
            continue
        certificate, key = pki.issue_certificate(authority, agency.name, agency.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pki.pkcs12_bytes(certificate, key, [authority.certificate], passphrase,
                                          agency.code))
        path.chmod(0o600)
        register_key(agency, pki.pem(certificate), "pkcs12", publish=False)
        made += 1
        published = True
    trust_list_signer_files()
    if published:  # one new issue of the trust list for all the new keys
        trust_list_changed("key_registered")
    return made


def register_key(agency: Agency, certificate_pem: str, backend: str, *,
                 publish: bool = True) -> tuple[IssuerKey, bool]:
    """Publish a signing certificate of ``agency`` (idempotent): (the key, whether it is new).
    A new key is published in a new issue of the trust list unless ``publish`` is false (the
    caller publishes once for many)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    certificate = x509.load_pem_x509_certificate(certificate_pem.encode())
    der = certificate.public_bytes(serialization.Encoding.DER)
    kid = pki.key_id(der).hex()
    from asn1crypto import x509 as asn1_x509

    algorithm = signing.algorithm_of(asn1_x509.Certificate.load(der))
    key, created = IssuerKey.objects.get_or_create(kid=kid, defaults={
        "agency": agency, "algorithm": algorithm, "backend": backend,
        "certificate": certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        "subject": certificate.subject.rfc4514_string()[:400],
        "not_before": certificate.not_valid_before_utc,
        "not_after": certificate.not_valid_after_utc})
    if created and publish:
        trust_list_changed("key_registered")
    return key, created


def revoke_key(kid: str, reason: str, *, actor: User | None = None,
               now: datetime | None = None) -> IssuerKey:
    """Mark an agency's signing key revoked (a lost token, a compromised key): it stays in the
    trust list, marked, so every verifier stops trusting what it signed once it has the new
    list; a new issue of the list is published at once. Raises ResultError."""
    reason = (reason or "").strip()
    if not reason:
        raise ResultError("Cần ghi lý do thu hồi khóa.", "reason")
    with transaction.atomic():
        key = IssuerKey.objects.select_for_update().filter(kid=kid.strip().lower()).first()
        if key is None:
            raise ResultError(f"Không có khóa {kid} trong danh sách tin cậy.", "kid")
        if key.revoked_at is not None:
            raise ResultError(f"Khóa {key.kid} đã bị thu hồi từ trước.", "kid")
        key.revoked_at = now or timezone.now()
        key.revocation_reason = reason
        key.revoked_by = actor
        key.save(update_fields=["revoked_at", "revocation_reason", "revoked_by"])
        logger.info("issuer key %s revoked", key.kid)
        trust_list_changed("key_revoked")
    return key


def trust_list_signer_files() -> tuple[Path, Path]:
    """(private key, certificate) PEM files of the trust-list signer. Outside production a demo
    signer is made beside the demo CA when there is none."""
    folder = Path(settings.RESULTS_PKI_DIR)
    key_file = Path(settings.RESULTS_TRUST_LIST_KEY or folder / pki.TRUST_LIST_KEY_FILE)
    cert_file = Path(settings.RESULTS_TRUST_LIST_CERT or folder / pki.TRUST_LIST_CERT_FILE)
    if not (key_file.is_file() and cert_file.is_file()):
        if settings.MODE == "production" or settings.RESULTS_TRUST_LIST_KEY:
            raise ResultError("Chưa cấu hình khóa ký danh sách tin cậy "
                              "(DICHVUCONG_RESULTS_TRUST_LIST_KEY, …_CERT).")
        authority = pki.load_authority(folder)
        if authority is None:
            authority = pki.create_authority()
            pki.save_authority(authority, folder)
        pki.save_trust_list_signer(authority, folder)
    return key_file, cert_file


def trust_list_anchors() -> list[str]:
    """The fingerprints of the trust-list certificates accepted here."""
    if settings.RESULTS_TRUST_LIST_ANCHORS:
        return list(settings.RESULTS_TRUST_LIST_ANCHORS)
    try:
        _key, cert_file = trust_list_signer_files()
    except ResultError:
        return []
    return [pki.fingerprint_pem(cert_file.read_bytes())]


def trust_list(*, now: datetime | None = None, sequence: int = 0) -> dict:
    """The trust list's content: the issuer keys (kid → certificate, agency, validity, status),
    the revoked or replaced results still within their validity, the trust roots, and the
    issue's sequence, issue time and next update (sequence 0: not an issue, not for offline
    use)."""
    now = now or timezone.now()
    keys = IssuerKey.objects.select_related("agency").order_by("agency__code", "not_before")
    today = timezone.localdate(now)
    withdrawn = (Result.objects.filter(status__in=[Status.REVOKED, Status.REPLACED],
                                       signing_state=SigningState.DONE)
                 .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
                 .order_by("number").values_list("number", "kid", "status", "status_changed_at"))
    return {
        "format": verifier.TRUST_LIST_FORMAT,
        "publisher": settings.SITE_URL,
        "generated_at": _utc(now),
        "sequence": sequence,
        "issued_at": _utc(now),
        "next_update": _utc(now + trust_list_validity()),
        "keys": [{"kid": k.kid, "alg": k.algorithm, "agency_code": k.agency.code,
                  "agency_name": k.agency.name, "certificate": k.certificate,
                  "not_before": k.not_before.astimezone(UTC).isoformat(),
                  "not_after": k.not_after.astimezone(UTC).isoformat(),
                  "status": "revoked" if k.revoked_at else "valid",
                  **({"revoked_at": _utc(k.revoked_at)} if k.revoked_at else {})}
                 for k in keys],
        "revoked_results": [{"number": number, "kid": kid, "status": status,
                             "since": _utc(since) if since else ""}
                            for number, kid, status, since in withdrawn],
        "roots": trust_roots_pem(),
    }


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


# The signed issues for offline verifiers, and the parsed list online verification uses: both
# cached so that a verification neither signs nor reads the keys; dropped when they change.
PUBLISHED_CACHE_KEY = "results:trust-list:published"
ONLINE_CACHE_KEY = "results:trust-list:online"
KEEP_ISSUES = 20


def trust_list_validity() -> timedelta:
    return timedelta(hours=settings.RESULTS_TRUST_LIST_VALID_HOURS)


def trust_list_grace() -> timedelta:
    return timedelta(hours=settings.RESULTS_TRUST_LIST_GRACE_HOURS)


def refresh_at(issue: TrustListIssue) -> datetime:
    """When an issue is re-issued: half-way to its next update, so a verifier that fetches it
    late still gets at least half the validity (and the grace) before it must fetch again."""
    return issue.issued_at + (issue.next_update - issue.issued_at) / 2


def issue_trust_list(reason: str, *, now: datetime | None = None) -> TrustListIssue:
    """Sign and store a new issue of the trust list under the next sequence number: the only
    place the trust list is signed. Raises ResultError when no trust-list key is configured."""
    now = now or timezone.now()
    key_file, cert_file = trust_list_signer_files()
    key_pem, cert_pem = key_file.read_bytes(), cert_file.read_bytes()
    for attempt in range(5):
        try:
            with transaction.atomic():
                last = TrustListIssue.objects.aggregate(last=Max("sequence"))["last"] or 0
                data = trust_list(now=now, sequence=last + 1)
                issue = TrustListIssue.objects.create(
                    sequence=last + 1, issued_at=now, reason=reason,
                    next_update=now + trust_list_validity(),
                    document=verifier.sign_trust_list(data, key_pem, cert_pem))
            break
        except IntegrityError:  # another server took that number meanwhile: take the next
            if attempt == 4:
                raise
    old = TrustListIssue.objects.order_by("-sequence").values_list("pk", flat=True)[KEEP_ISSUES:]
    TrustListIssue.objects.filter(pk__in=list(old)).delete()
    cache.delete_many([PUBLISHED_CACHE_KEY, ONLINE_CACHE_KEY])
    logger.info("trust list %s issued (%s)", issue.sequence, reason)
    return issue


def current_trust_list_issue(now: datetime | None = None) -> TrustListIssue:
    """The issue to publish: from the cache; else the newest stored one; a new one only when
    there is none or the newest is due for refresh (the periodic task normally does that)."""
    now = now or timezone.now()
    issue = cache.get(PUBLISHED_CACHE_KEY)
    if issue is None or refresh_at(issue) <= now:
        issue = TrustListIssue.objects.order_by("-sequence").first()
        if issue is None or refresh_at(issue) <= now:
            issue = issue_trust_list("scheduled" if issue else "first", now=now)
        elif not _signed_by_current_signer(issue):
            issue = issue_trust_list("signer_changed", now=now)
        seconds = min(settings.RESULTS_TRUST_LIST_CACHE_SECONDS,
                      int((refresh_at(issue) - now).total_seconds()))
        cache.set(PUBLISHED_CACHE_KEY, issue, max(seconds, 1))
    return issue


def _signed_by_current_signer(issue: TrustListIssue) -> bool:
    """Whether a stored issue carries the configured trust-list certificate (after the operator
    rotates that key, verifiers pin the new one: the old issue must go)."""
    import base64
    import json

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    _key_file, cert_file = trust_list_signer_files()
    der = x509.load_pem_x509_certificate(cert_file.read_bytes()).public_bytes(
        serialization.Encoding.DER)
    try:
        header = json.loads(verifier.b64url_decode(issue.document["protected"]))
        return header["x5c"][0] == base64.b64encode(der).decode("ascii")
    except (KeyError, IndexError, TypeError, ValueError):
        return False


def refresh_trust_list(now: datetime | None = None) -> TrustListIssue | None:
    """The periodic task's work: re-issue the list when the newest issue is due (half-way to its
    next update) or there is none. Returns the new issue, or None when nothing was due."""
    now = now or timezone.now()
    newest = TrustListIssue.objects.order_by("-sequence").first()
    if newest is not None and refresh_at(newest) > now:
        return None
    return issue_trust_list("scheduled" if newest else "first", now=now)


def signed_trust_list() -> dict:
    """The trust list as published for offline verifiers: the current signed issue."""
    return current_trust_list_issue().document


def current_trust_list_payload() -> dict:
    """What the current signed issue says (its payload, read back without re-checking: it is
    our own)."""
    return verifier.unverified_payload(signed_trust_list())


def online_trust_list() -> verifier.TrustList:
    """The parsed list online verification checks QR codes against, from the database (not
    the signed issue: the server trusts its own data), cached."""
    trust = cache.get(ONLINE_CACHE_KEY)
    if trust is None:
        trust = verifier.load_trust_list(trust_list())
        cache.set(ONLINE_CACHE_KEY, trust, settings.RESULTS_TRUST_LIST_CACHE_SECONDS)
    return trust


def trust_list_changed(reason: str) -> None:
    """A key or a result's status changed: drop the cached lists now (this server's next
    verification reads the change) and, once the change is committed, publish a new issue
    (dropping again what a concurrent request may have cached meanwhile)."""
    cache.delete_many([PUBLISHED_CACHE_KEY, ONLINE_CACHE_KEY])

    def publish() -> None:
        cache.delete_many([PUBLISHED_CACHE_KEY, ONLINE_CACHE_KEY])
        try:
            issue_trust_list(reason)
        except ResultError:
            # No trust-list key here: the published endpoint answers 503 until there is one.
            logger.warning("trust list not re-issued after %s: no trust-list key", reason)

    transaction.on_commit(publish)


# --- rendering and signing (the background task) ----------------------------------------------


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
    import segno
    from PIL import Image

    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=6, border=4)
    buffer.seek(0)
    return Image.open(buffer).convert("L")


async def _sign_document(backend: signing.Backend, result: Result, content: bytes,
                         box: render.QrBox, issued_at: datetime) -> tuple[bytes, str, str]:
    from pyhanko.pdf_utils.images import PdfImage
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.layout import BoxConstraints
    from pyhanko.sign import fields, signers
    from pyhanko.stamp import StaticStampStyle

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
        from asn1crypto import pem as asn1_pem

        certificate_pem = asn1_pem.armor("CERTIFICATE", signer.signing_cert.dump()).decode()
        return output.getvalue(), payload, certificate_pem


def run_async(coroutine_function, *args):
    """Run pyHanko's async API from sync code, also when this thread already runs an event loop
    (then in a short-lived thread of its own)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine_function(*args))
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(coroutine_function(*args))).result()


def sign_result(result_id: int, *, now: datetime | None = None) -> Result:
    """Render, sign and store a queued result, then mark the dossier's result ready. A failure
    is recorded on the result (and shown to the officer); nothing else changes."""
    now = now or timezone.now()
    result = Result.objects.select_related("agency", "dossier").get(pk=result_id)
    if result.signing_state == SigningState.DONE:
        return result
    Result.objects.filter(pk=result.pk).update(signing_state=SigningState.RENDERING)
    backend = signing.backend()
    try:
        replaces = Result.objects.filter(replaced_by=result).values_list("number", flat=True)
        document = render.Document(
            heading=_heading(result), number=result.number, title=result.title,
            document_type=result.document_type, holder_name=result.holder_name,
            holder_id_masked=mask(result.dossier.applicant_id_number)
            if result.dossier_id and result.dossier.applicant_id_number else "",
            paragraphs=render.paragraphs(result.body),
            issue_date=result.issue_date, valid_until=result.valid_until,
            signer_title=result.signer_title, signer_name=result.signer_name,
            dossier_code=result.dossier.code if result.dossier_id else "",
            replaces=next(iter(replaces), ""),
            register=entry.line if (entry := registers.entry_of(result)) else "")
        content, box = render.render(document)
        Result.objects.filter(pk=result.pk).update(signing_state=SigningState.SIGNING)
        signed, payload, certificate_pem = run_async(
            _sign_document, backend, result, content, box, now)
        if _revoked_certificate(certificate_pem):
            raise signing.SigningUnavailable(
                "Khóa ký của cơ quan đã bị thu hồi; cần cấp chứng thư số mới trước khi ký.")
    except Exception as exc:  # the officer sees it; the worker goes on with other work
        message = exc.message if isinstance(exc, signing.SigningUnavailable) else (
            "Lỗi khi tạo hoặc ký tệp kết quả; hãy thử lại hoặc báo quản trị hệ thống.")
        Result.objects.filter(pk=result.pk).update(signing_state=SigningState.FAILED,
                                                   signing_error=message)
        _event(result, ResultEvent.Kind.FAILED, None, message, error=type(exc).__name__)
        result.refresh_from_db()
        return result
    with transaction.atomic():
        key, _new = register_key(result.agency, certificate_pem, backend.name)
        result.pdf.save(f"{result.token}.pdf", ContentFile(signed), save=False)
        result.pdf_sha256 = hashlib.sha256(signed).hexdigest()
        result.content_sha256 = hashlib.sha256(content).hexdigest()
        result.qr_payload = payload
        result.kid = key.kid
        result.backend = backend.name
        result.signing_state = SigningState.DONE
        result.signing_error = ""
        result.signed_at = now
        result.save()
        _event(result, ResultEvent.Kind.SIGNED, None, kid=key.kid, backend=backend.name,
               sha256=result.pdf_sha256)
        for old in Result.objects.select_for_update().filter(replaced_by=result):
            old.status = Status.REPLACED
            old.status_changed_at = now
            old.save(update_fields=["status", "status_changed_at"])
            trust_list_changed("result_replaced")
        dossier = result.dossier
        if dossier is not None and dossier.state == State.approved.value:
            from dichvucong.dossiers.actions import perform

            perform(dossier.pk, Action.issue_result, None, lifecycle.LifecycleRole.system,
                    data={"result": result.number, "result_token": result.token})
    return result


def _revoked_certificate(certificate_pem: str) -> bool:
    """Whether the certificate that just signed belongs to a revoked key (nothing it signs is
    trusted any more, so the result must not be issued with it)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    der = x509.load_pem_x509_certificate(certificate_pem.encode()).public_bytes(
        serialization.Encoding.DER)
    return IssuerKey.objects.filter(kid=pki.key_id(der).hex(), revoked_at__isnull=False).exists()


def _heading(result: Result):
    from dichvucong.slips.data import heading

    agency = Agency.objects.select_related("parent", "administrative_unit").get(
        pk=result.agency_id)
    return heading(agency, result.issue_date)


# --- revoke, replace, reprint ------------------------------------------------------------------


def revoke(result: Result, user: User, reason: str, *, now: datetime | None = None) -> Result:
    reason = (reason or "").strip()
    if not can_manage(user, result):
        raise ResultError("Chỉ lãnh đạo của cơ quan cấp được thu hồi kết quả.")
    if not reason:
        raise ResultError("Cần ghi lý do thu hồi.", "reason")
    with transaction.atomic():
        result = Result.objects.select_for_update().get(pk=result.pk)
        if result.status != Status.VALID:
            raise ResultError("Chỉ thu hồi được kết quả còn hiệu lực.")
        result.status = Status.REVOKED
        result.status_reason = reason
        result.status_changed_by = user
        result.status_changed_at = now or timezone.now()
        result.save(update_fields=["status", "status_reason", "status_changed_by",
                                   "status_changed_at"])
        _event(result, ResultEvent.Kind.REVOKED, user, reason)
        trust_list_changed("result_revoked")
    return result


def replace(result: Result, user: User, reason: str, *, correction: str = "",
            valid_until: date | None = None, today: date | None = None) -> Result:
    """Issue a new result in place of ``result`` (a correction): it gets a new number; the old one
    turns «replaced», linking to it, once the new one is signed."""
    reason = (reason or "").strip()
    today = today or timezone.localdate()
    if not can_manage(user, result):
        raise ResultError("Chỉ lãnh đạo của cơ quan cấp được thay thế kết quả.")
    if not reason:
        raise ResultError("Cần ghi lý do thay thế.", "reason")
    with transaction.atomic():
        old = (Result.objects.select_for_update(of=("self",))
               .select_related("agency", "dossier").get(pk=result.pk))
        if old.status != Status.VALID or old.replaced_by_id is not None:
            raise ResultError("Chỉ thay thế được kết quả còn hiệu lực.")
        if not old.is_ready:
            raise ResultError("Kết quả chưa ký xong.")
        body = old.body + (f"\n{correction.strip()}" if correction.strip() else "")
        sequence = next_sequence(old.agency_id, today.year)
        number = format_number(old.agency, today.year, sequence)
        new = Result.objects.create(
            number=number, token=secrets.token_hex(16), year=today.year, sequence=sequence,
            agency=old.agency, dossier=old.dossier, title=old.title,
            document_type=old.document_type, body=body, holder_account=old.holder_account,
            holder_name=old.holder_name,
            holder_id_hash=_rehash(old, number), signer=user, **_signer_fields(user, old.agency),
            # A correction is the same registration: the register's entry stays.
            register=old.register, register_book=old.register_book,
            register_entry=old.register_entry,
            issue_date=today, valid_until=valid_until or old.valid_until, created_by=user)
        old.replaced_by = new
        old.status_reason = reason
        old.status_changed_by = user
        old.save(update_fields=["replaced_by", "status_reason", "status_changed_by"])
        _event(old, ResultEvent.Kind.REPLACED, user, reason, replacement=new.number)
        _event(new, ResultEvent.Kind.REQUESTED, user, reason, replaces=old.number)
    enqueue(new)
    return new


def _rehash(old: Result, number: str) -> str:
    """The ID hash is salted with the number; the number itself is not kept, so a replacement
    takes it from the dossier."""
    id_number = old.dossier.applicant_id_number if old.dossier_id else ""
    return verifier.id_hash(number, id_number).hex() if id_number else ""


def pdf_bytes(result: Result) -> bytes:
    with result.pdf.open("rb") as handle:
        return handle.read()


def record_download(result: Result, user: User | None) -> None:
    _event(result, ResultEvent.Kind.DOWNLOADED, user)


# --- verification ------------------------------------------------------------------------------


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


def validate_signature(data: bytes) -> tuple[bool, str]:
    """pyHanko's validator: the last signature intact, valid, trusted (the platform's trust
    roots, no network) and covering the whole file. Returns (ok, signer's name)."""
    from asn1crypto import pem as asn1_pem
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    roots = []
    for text in trust_roots_pem():
        _type, _headers, der = asn1_pem.unarmor(text.encode())
        roots.append(asn1_x509.Certificate.load(der))
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    if not reader.embedded_signatures:
        return False, ""
    signature = reader.embedded_signatures[-1]
    context = ValidationContext(trust_roots=roots, allow_fetching=False)
    status = run_async(async_validate_pdf_signature, signature, context)
    name = status.signing_cert.subject.native.get("common_name", "")
    ok = bool(status.bottom_line and status.coverage == SignatureCoverageLevel.ENTIRE_FILE)
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
