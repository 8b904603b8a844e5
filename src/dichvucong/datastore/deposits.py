"""Third-party issuers deposit signed documents into a consenting citizen's store, and citizens
give and take back that consent. The checks are ``issuers``' rules; this module reads the
database, writes the document and its record, and writes nothing when a check fails.

Consent, one condition each (``consent_for``): a standing consent for the issuer's kind, not
revoked; or a one-time consent for this issuer, not revoked and not yet used (its deposit uses
it). An issuer reads nothing back: the deposit's answer is the new document's id and dates.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, time

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dichvucong.accounts.models import User
from dichvucong.apiclients.models import IssuerType, MachineClient
from dichvucong.apiclients.scopes import DOCUMENTS_ISSUE
from dichvucong.core.text import NAME_MAX
from dichvucong.datastore import documents as rules
from dichvucong.datastore import issuers
from dichvucong.datastore.issuers import DepositRefused
from dichvucong.datastore.models import Access, IssuerConsent, Kind, StoredDocument
from dichvucong.datastore.services import StoreError, record
from dichvucong.results.verification import validate_signature

# One answer for an unknown number and a citizen who has not consented: an issuer must not
# learn who holds an account here.
NOT_ACCEPTED = "not_accepted"


def registered_issuers() -> list[MachineClient]:
    """Systems that may deposit: registered with the scope, a kind and a certificate."""
    return [c for c in MachineClient.objects.select_related("application")
            .exclude(issuer_type="").exclude(issuer_certificate="")
            .order_by("application__name") if DOCUMENTS_ISSUE in c.scope_list]


def active_consents(owner: User) -> list[IssuerConsent]:
    return list(IssuerConsent.objects.filter(owner=owner, revoked_at__isnull=True,
                                             used_at__isnull=True)
                .select_related("issuer__application").order_by("created_at"))


def consent_for(owner_id: int, client: MachineClient, *, lock: bool = False
                ) -> IssuerConsent | None:
    """The consent that lets ``client`` deposit for the citizen now: standing before one-time
    (a standing consent is not used up)."""
    qs = IssuerConsent.objects.filter(owner_id=owner_id, revoked_at__isnull=True,
                                      used_at__isnull=True).filter(
        Q(issuer_type=client.issuer_type, issuer__isnull=True) | Q(issuer=client))
    if lock:
        qs = qs.select_for_update()
    return qs.order_by("issuer_id", "created_at").first()  # NULL issuer (standing) first


def allow_types(owner: User, issuer_types: set[str]) -> None:
    """The citizen's standing consents are exactly ``issuer_types``."""
    wanted = issuer_types & set(IssuerType.values)
    now = timezone.now()
    with transaction.atomic():
        current = {c.issuer_type: c for c in IssuerConsent.objects.select_for_update().filter(
            owner=owner, issuer__isnull=True, revoked_at__isnull=True)}
        for kind, consent in current.items():
            if kind not in wanted:
                consent.revoked_at = now
                consent.save(update_fields=["revoked_at"])
        for kind in wanted - set(current):
            IssuerConsent.objects.create(owner=owner, issuer_type=kind)
        if wanted != set(current):
            record(owner, Access.ISSUER_CONSENT, owner,
                   types=sorted(str(IssuerType(k).label) for k in wanted))


def allow_once(owner: User, client_id) -> IssuerConsent:
    """Let one registered issuer deposit one document."""
    client = next((c for c in registered_issuers() if str(c.pk) == str(client_id)), None)
    if client is None:
        raise StoreError(_("Cần chọn một tổ chức cấp giấy tờ đã đăng ký."))
    with transaction.atomic():
        consent = IssuerConsent.objects.create(owner=owner, issuer=client)
        record(owner, Access.ISSUER_CONSENT, owner, once=client.application.name)
    return consent


def revoke_consent(owner: User, consent_id) -> IssuerConsent:
    try:
        consent = IssuerConsent.objects.select_related("issuer__application").get(
            pk=int(consent_id), owner=owner, revoked_at__isnull=True, used_at__isnull=True)
    except (IssuerConsent.DoesNotExist, TypeError, ValueError):
        raise StoreError(_("Không tìm thấy quyền gửi giấy tờ này.")) from None
    consent.revoked_at = timezone.now()
    consent.save(update_fields=["revoked_at"])
    what = (consent.issuer.application.name if consent.issuer_id
            else str(IssuerType(consent.issuer_type).label))
    record(owner, Access.ISSUER_CONSENT, owner, revoked=what)
    return consent


def deposit(client: MachineClient, *, id_number: str, document_type: str, fields: dict,
            pdf: bytes, now: datetime | None = None) -> tuple[StoredDocument, bool]:
    """Store a signed document ``client`` issued to the citizen with ``id_number``. Returns it,
    and False when the very same file was already deposited for them (a retried call).
    Raises DepositRefused; nothing is stored then."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if not client.issuer_type or not client.issuer_certificate:
        raise DepositRefused("not_issuer", _("Hệ thống chưa được đăng ký là tổ chức cấp giấy "
                                             "tờ (loại tổ chức và chứng thư số)."), 403)
    refused = DepositRefused(NOT_ACCEPTED, _("Không gửi được: không có công dân mang số định "
                                             "danh này đồng ý nhận giấy tờ từ tổ chức của "
                                             "bạn."), 403)
    # Only a verified number (the identity provider's): anyone may type any number on a
    # self-registered account, and must not receive another person's papers by it.
    owner = (User.objects.filter(id_number=str(id_number)[:12], id_number_verified=True,
                                 is_active=True).first()
             if str(id_number).isdigit() and len(str(id_number)) == 12 else None)
    if owner is None or consent_for(owner.pk, client) is None:
        raise refused
    spec = issuers.spec_for(document_type)
    if spec is None or client.issuer_type not in spec.issuer_types:
        raise DepositRefused("type_not_allowed", _("Tổ chức của bạn không cấp loại giấy tờ "
                                                   "«%(type)s» qua kho dữ liệu.")
                             % {"type": str(document_type)[:100]})
    checked = issuers.check_fields(spec, fields, id_number=owner.id_number,
                                   holder_name=owner.full_name, today=today)
    if len(pdf) > issuers.MAX_PDF_BYTES or not issuers.is_pdf(pdf):
        raise DepositRefused("invalid_file", _("Tệp phải là PDF, tối đa 10 MB."))
    roots, pinned = issuers.trust_of(client.issuer_certificate)
    try:
        ok, signer = validate_signature(pdf, roots, pinned)
    except Exception:  # a damaged file or a foreign signature: pyHanko raises many kinds
        ok, signer = False, ""
    if not ok:
        raise DepositRefused("bad_signature", _("Chữ ký số trên tệp không hợp lệ, tệp đã bị sửa "
                                                "sau khi ký, hoặc không do chứng thư số đã đăng "
                                                "ký của tổ chức ký."))
    digest = hashlib.sha256(pdf).hexdigest()
    same = StoredDocument.objects.filter(owner=owner, kind=Kind.ISSUED, issuer=client,
                                         sha256=digest, removed_at__isnull=True).first()
    if same is not None:
        return same, False
    name = default_storage.save(f"store/issued/{owner.pk}/{secrets.token_hex(16)}.pdf",
                                ContentFile(pdf))
    try:
        with transaction.atomic():
            consent = consent_for(owner.pk, client, lock=True)
            if consent is None:  # revoked while the signature was being checked
                raise refused
            if consent.one_time:
                consent.used_at = now
                consent.save(update_fields=["used_at"])
            issuer_name = client.application.name[:NAME_MAX]
            doc = StoredDocument.objects.create(
                owner=owner, kind=Kind.ISSUED, document_type=spec.name,
                type_key=rules.type_key(spec.name), title=spec.name, file=name,
                original_name=f"{rules.type_key(spec.name).replace(' ', '-')}.pdf",
                content_type="application/pdf", size=len(pdf), sha256=digest,
                issuer=client, issuer_name=issuer_name, signer_name=signer[:NAME_MAX],
                verified_at=now, fields=checked.fields, valid_until=checked.valid_until,
                dated_at=timezone.make_aware(datetime.combine(checked.dated, time(12))))
            record(owner, Access.ISSUER_DEPOSIT, document=doc, issuer=issuer_name,
                   consent="once" if consent.one_time else "standing")
    except BaseException:
        default_storage.delete(name)
        raise
    return doc, True

