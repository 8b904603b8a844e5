"""The store's operations: the only place that writes the store, and records each change and
each look by someone else in its audit trail (AccessRecord).

Access rules, one condition each:
- a citizen reads and changes only documents whose ``owner`` is them (``own_documents``);
- anyone holding a live share link reads that one document (``open_share``);
- a reception officer who scanned the citizen's account QR reads, for COUNTER_MINUTES, the
  documents of the types the citizen consented to show at the counter (``counter_documents``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core import signing
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dichvucong.accounts.models import Role, User
from dichvucong.catalog.definition import RequiredDocument
from dichvucong.core.text import NAME_MAX
from dichvucong.datastore import documents as rules
from dichvucong.datastore import issuers
from dichvucong.datastore.models import (
    Access,
    AccessRecord,
    AttachmentOrigin,
    CounterConsent,
    CounterSession,
    Kind,
    ShareLink,
    StoredDocument,
)
from dichvucong.dossiers.exchange import RESULT_REQUIREMENT as HANDOVER_RESULT
from dichvucong.dossiers.models import Attachment, Dossier, Handover
from dichvucong.results.issuing import record_download as result_download

log = logging.getLogger(__name__)
SHARE_SALT = "dichvucong.datastore.share"
# The back office attaches an issued result under this requirement (backoffice.services).
RESULT_REQUIREMENT = "Kết quả giải quyết"


class StoreError(Exception):
    """A refused store operation; the message is Vietnamese, for the citizen."""


def record(owner: User | int, action: Access, actor: User | None = None, *,
           document: StoredDocument | None = None, share: ShareLink | None = None,
           agency_id: int | None = None, **data) -> AccessRecord:
    owner_id = owner if isinstance(owner, int) else owner.pk
    return AccessRecord.objects.create(
        owner_id=owner_id, actor=actor if actor and actor.is_authenticated else None,
        action=action, document=document, share=share, agency_id=agency_id, data=data)


# --- reading ------------------------------------------------------------------------------


def own_documents(user: User) -> QuerySet[StoredDocument]:
    return StoredDocument.objects.filter(owner=user, removed_at__isnull=True).select_related(
        "result")


def status_of(document: StoredDocument) -> tuple[str, str] | None:
    """A result's current status with its label (``StoredDocument.status``)."""
    return document.status


def is_usable(document: StoredDocument) -> bool:
    """A revoked or replaced result stands in for nothing."""
    status = status_of(document)
    return status is None or status[0] == "valid"


@dataclass
class TypeGroup:
    document_type: str
    type_key: str
    documents: list[StoredDocument]
    at_counter: bool


def grouped(user: User) -> list[TypeGroup]:
    """The citizen's store by document type (types in name order, newest document first)."""
    docs = list(own_documents(user).select_related("source_dossier", "source_agency")
                .order_by("type_key", "-dated_at", "-id"))
    consented = set(CounterConsent.objects.filter(owner=user).values_list("type_key",
                                                                          flat=True))
    groups: dict[str, TypeGroup] = {}
    for doc in docs:
        group = groups.get(doc.type_key)
        if group is None:
            group = groups[doc.type_key] = TypeGroup(doc.document_type, doc.type_key, [],
                                                     doc.type_key in consented)
        group.documents.append(doc)
    return list(groups.values())


def options_for(user: User, requirement: RequiredDocument) -> list[StoredDocument]:
    """The citizen's stored documents that can stand in for ``requirement``."""
    keys = rules.accepted_keys(requirement.name, requirement.store_document_types)
    docs = (own_documents(user).filter(type_key__in=keys)
            .select_related("source_dossier", "source_agency").order_by("-dated_at", "-id"))
    return [d for d in docs[:20] if is_usable(d)]


def expired_issued_note(user: User, requirement: RequiredDocument) -> str:
    """Why the newest issued document that would stand in for ``requirement`` cannot: it
    expired (empty when there is none)."""
    keys = rules.accepted_keys(requirement.name, requirement.store_document_types)
    doc = (own_documents(user).filter(kind=Kind.ISSUED, type_key__in=keys,
                                      valid_until__lt=timezone.localdate())
           .order_by("-valid_until").first())
    return issuers.expired_reason(doc.title, doc.valid_until) if doc else ""


# --- entering the store -------------------------------------------------------------------


def collect_dossier(dossier: Dossier) -> list[StoredDocument]:
    """Put into the applicant's store the files of ``dossier`` it does not hold yet: uploads
    (not those taken from the store) and the issued result. Referenced, not copied."""
    if not dossier.applicant_id:
        return []
    definition = dossier.procedure_version.parsed()
    result = definition.results[0] if definition.results else None
    added = []
    # Not the declaration the platform rendered: it is this dossier's, and would stand in for
    # the next dossier's declaration.
    pending = (dossier.attachments.filter(store_origin__isnull=True, stored_copies__isnull=True,
                                          declaration=False).order_by("id"))
    for attachment in pending:
        if attachment.requirement.startswith(HANDOVER_RESULT):
            continue  # another agency's result: it goes with the dossier's (collect_handovers)
        if attachment.requirement == RESULT_REQUIREMENT:
            kind = Kind.RESULT
            doc_type = rules.type_of_result(result.document_type, result.name) if result \
                else dossier.procedure.name
            title = result.name if result else doc_type
        else:
            kind = Kind.UPLOAD
            doc_type = title = rules.type_of_requirement(attachment.requirement)
        doc = _store_attachment(dossier, attachment, kind, doc_type, title)
        if doc is not None:
            added.append(doc)
    return added


def collect_handovers(dossier: Dossier) -> list[StoredDocument]:
    """The results the other agencies of a combined procedure (liên thông) handed back, into
    the applicant's store once the dossier's own result is ready: all results together, each
    under the agency that issued it. A refused part has no result and adds nothing."""
    if not dossier.applicant_id:
        return []
    added = []
    answered = (Handover.objects.filter(dossier=dossier, result__isnull=False,
                                        result__stored_copies__isnull=True)
                .select_related("result", "to_agency").order_by("answered_at", "id"))
    for handover in answered:
        title = f"{handover.step} ({handover.to_agency.name})"
        doc = _store_attachment(dossier, handover.result, Kind.RESULT, handover.step, title,
                                agency_id=handover.to_agency_id)
        if doc is not None:
            added.append(doc)
    return added


def collect_result(result) -> StoredDocument | None:
    """Put a signed result (results.Result) into its holder's store, once; the signed PDF is
    referenced, not copied."""
    owner_id = result.holder_account_id or (result.dossier.applicant_id if result.dossier_id
                                             else None)
    if not owner_id or not result.is_ready:
        return None
    existing = StoredDocument.objects.filter(result=result).first()
    if existing is not None:
        return None
    doc_type = rules.type_of_result(result.document_type, result.title)
    try:
        with transaction.atomic():
            doc = StoredDocument.objects.create(
                owner_id=owner_id, kind=Kind.RESULT, document_type=doc_type[:NAME_MAX],
                type_key=rules.type_key(doc_type), title=result.title[:NAME_MAX],
                file=result.pdf.name, original_name=_pdf_name(result.number),
                content_type="application/pdf", size=result.pdf.size,
                sha256=result.pdf_sha256, source_dossier_id=result.dossier_id,
                source_agency_id=result.agency_id, result=result,
                dated_at=result.signed_at or timezone.now())
    except IntegrityError:  # stored by a concurrent save of the same result
        return None
    record(owner_id, Access.ADD, document=doc, result=result.number)
    return doc


def _pdf_name(number: str) -> str:
    # Result numbers read like "12/2026/GCN-…": a file name without the slashes.
    return "ket-qua-" + "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in number)[:180] \
        + ".pdf"


def _store_attachment(dossier: Dossier, attachment: Attachment, kind: str, doc_type: str,
                      title: str, *, agency_id: int | None = None) -> StoredDocument | None:
    key = rules.type_key(doc_type)
    if kind == Kind.UPLOAD:
        same = StoredDocument.objects.filter(owner_id=dossier.applicant_id, kind=kind,
                                             type_key=key, sha256=attachment.sha256).first()
        if same is not None:
            if same.removed_at is not None:  # uploaded again: it is wanted after all
                same.removed_at = None
                same.save(update_fields=["removed_at"])
            return None
    try:
        with transaction.atomic():
            doc = StoredDocument.objects.create(
                owner_id=dossier.applicant_id, kind=kind, document_type=doc_type[:NAME_MAX],
                type_key=key, title=title[:NAME_MAX], file=attachment.file.name,
                original_name=attachment.original_name, content_type=attachment.content_type,
                size=attachment.size, sha256=attachment.sha256, source_dossier=dossier,
                source_attachment=attachment,
                source_agency_id=agency_id or dossier.agency_id,
                dated_at=attachment.created_at or timezone.now())
    except IntegrityError:  # the same upload entered from a concurrent submission
        return None
    record(dossier.applicant_id, Access.ADD, document=doc, dossier=dossier.code or "")
    return doc


def record_download(user: User, doc: StoredDocument) -> None:
    """The owner downloads or reprints: recorded here, and in the result's own trail."""
    record(user, Access.DOWNLOAD, user, document=doc)
    if doc.result_id:
        result_download(doc.result, user)


def remove(user: User, document_id: int) -> StoredDocument:
    """Hide a document from the store and end its share links. The file stays: dossiers that
    carry it are records."""
    with transaction.atomic():
        doc = _own(user, document_id, lock=True)
        now = timezone.now()
        doc.removed_at = now
        doc.save(update_fields=["removed_at"])
        doc.share_links.filter(revoked_at__isnull=True).update(revoked_at=now)
        record(user, Access.REMOVE, user, document=doc)
    return doc


def _own(user: User, document_id, lock: bool = False) -> StoredDocument:
    qs = own_documents(user)
    if lock:  # the row only: PostgreSQL refuses to lock the nullable side of a join
        qs = qs.select_for_update(of=("self",))
    try:
        return qs.get(pk=int(document_id))
    except (StoredDocument.DoesNotExist, TypeError, ValueError):
        raise StoreError(_("Không tìm thấy giấy tờ này trong kho dữ liệu của bạn.")) from None


def get_own(user: User, document_id) -> StoredDocument:
    return _own(user, document_id)


# --- reuse in a new dossier ---------------------------------------------------------------


def reuse(draft: Dossier, requirement: RequiredDocument, document_id, user: User) -> Attachment:
    """Attach a stored document to ``draft`` for ``requirement`` instead of an upload: a new
    attachment naming the same file, with a note of where it came from. Raises StoreError."""
    doc = check_reuse(user, requirement, document_id)
    note = origin_note(doc)
    with transaction.atomic():
        # Rows only: a replaced draft attachment's file may be another dossier's too.
        draft.attachments.filter(requirement=requirement.name[:NAME_MAX]).delete()
        attachment = Attachment(
            dossier=draft, requirement=requirement.name[:NAME_MAX], token=rules.new_secret()[:32],
            extension=_extension(doc), file=doc.file.name, original_name=doc.original_name,
            content_type=doc.content_type, size=doc.size, sha256=doc.sha256, uploaded_by=user)
        attachment.save()
        AttachmentOrigin.objects.create(attachment=attachment, document=doc, note=note[:1000])
        record(user, Access.REUSE, user, document=doc, requirement=requirement.name[:200])
    return attachment


def check_reuse(user: User, requirement: RequiredDocument, document_id) -> StoredDocument:
    """The citizen's stored document ``document_id`` if it can stand in for ``requirement``
    now; StoreError saying why not otherwise."""
    doc = _own(user, document_id)
    if not rules.can_stand_in(doc.document_type, requirement.name,
                              requirement.store_document_types):
        raise StoreError(_("Giấy tờ «%(title)s» không dùng thay được cho «%(name)s».")
                         % {"title": doc.title, "name": requirement.name})
    if not is_usable(doc):
        if doc.kind == Kind.ISSUED and doc.valid_until:
            raise StoreError(issuers.expired_reason(doc.title, doc.valid_until))
        raise StoreError(_("Giấy tờ «%(title)s» không còn hiệu lực.") % {"title": doc.title})
    if not default_storage.exists(doc.file.name):
        raise StoreError(_("Không đọc được tệp của giấy tờ «%(title)s»; hãy tải tệp lên.")
                         % {"title": doc.title})
    return doc


def origin_note(doc: StoredDocument) -> str:
    source = doc.source_dossier.code if doc.source_dossier_id and doc.source_dossier else ""
    parts = [f"Lấy từ kho dữ liệu cá nhân: {doc.title}"]
    if doc.kind == Kind.RESULT and doc.source_agency_id:
        parts.append(f"kết quả do {doc.source_agency.name} cấp")
    if doc.kind == Kind.ISSUED:
        parts.append(issued_note(doc))
    if source:
        parts.append(f"hồ sơ {source}")
    parts.append(f"ngày {timezone.localtime(doc.dated_at):%d/%m/%Y}")
    return "; ".join(parts)


def issued_note(doc: StoredDocument) -> str:
    """What an officer reads about an issued document taken from the store: who issued it, that
    its signature was verified on arrival, its validity and the fields it declared."""
    spec = issuers.spec_for(doc.document_type)
    parts = [_("do %(issuer)s cấp, chữ ký số (%(signer)s) đã được xác minh khi nhận vào kho "
               "ngày %(day)s") % {"issuer": doc.issuer_name, "signer": doc.signer_name,
                                  "day": f"{timezone.localtime(doc.verified_at):%d/%m/%Y}"}]
    if doc.valid_until:
        parts.append(_("có giá trị đến ngày %(day)s") % {"day": f"{doc.valid_until:%d/%m/%Y}"})
    for field in spec.fields if spec else ():
        value = (doc.fields or {}).get(field.key)
        if value in (None, "", []) or field.key in (issuers.ID_NUMBER.key, spec.valid_until):
            continue  # no CCCD in a note; validity said above
        if field.kind == "date":
            value = "/".join(reversed(str(value).split("-")))
        shown = ", ".join(value) if isinstance(value, list) else str(value)
        parts.append(f"{field.label}: {shown}")
    return "; ".join(parts)


def _extension(doc: StoredDocument) -> str:
    name = doc.file.name or ""
    return name[name.rfind("."):][:8] if "." in name else ""


def chosen_documents(draft: Dossier) -> dict[str, int]:
    """Requirement name → the stored document its attachment was taken from."""
    return dict(AttachmentOrigin.objects.filter(attachment__dossier=draft,
                                                document__isnull=False)
                .values_list("attachment__requirement", "document_id"))


# --- share links --------------------------------------------------------------------------


def share(user: User, document_id, duration: str, now: datetime | None = None
          ) -> tuple[ShareLink, str]:
    """A new link to one document; returns it with the token for its URL (shown once)."""
    if duration not in rules.SHARE_DURATIONS:
        raise StoreError(_("Cần chọn thời hạn của liên kết."))
    now = now or timezone.now()
    doc = _own(user, document_id)
    if not is_usable(doc):
        raise StoreError(_("Giấy tờ «%(title)s» không còn hiệu lực, không chia sẻ được.")
                         % {"title": doc.title})
    secret = rules.new_secret()
    link = ShareLink.objects.create(document=doc, secret_hash=rules.secret_hash(secret),
                                    created_by=user, expires_at=rules.share_expiry(duration, now))
    record(user, Access.SHARE, user, document=doc, share=link, duration=duration)
    return link, signing.Signer(salt=SHARE_SALT, sep=".").sign(secret)


def revoke(user: User, link_id) -> ShareLink:
    try:
        link = ShareLink.objects.select_related("document").get(
            pk=int(link_id), document__owner=user)
    except (ShareLink.DoesNotExist, TypeError, ValueError):
        raise StoreError(_("Không tìm thấy liên kết chia sẻ này.")) from None
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
        record(user, Access.REVOKE_SHARE, user, document=link.document, share=link)
    return link


def links_of(user: User, document: StoredDocument) -> list[ShareLink]:
    return list(ShareLink.objects.filter(document=document, document__owner=user)[:50])


def open_share(token: str, download: bool = False, now: datetime | None = None) -> ShareLink:
    """The live link ``token`` names, its opening recorded; StoreError for a forged, unknown,
    expired or revoked token (one message: it tells nothing about which)."""
    refused = StoreError(_("Liên kết không tồn tại, đã hết hạn hoặc đã bị thu hồi."))
    try:
        secret = signing.Signer(salt=SHARE_SALT, sep=".").unsign(str(token)[:200])
    except signing.BadSignature:
        raise refused from None
    now = now or timezone.now()
    with transaction.atomic():
        link = (ShareLink.objects.select_for_update().select_related("document")
                .filter(secret_hash=rules.secret_hash(secret)).first())
        if (link is None or link.revoked_at is not None or link.expires_at <= now
                or link.document.removed_at is not None):
            raise refused
        link.access_count += 1
        link.last_access_at = now
        link.save(update_fields=["access_count", "last_access_at"])
        record(link.document.owner_id, Access.SHARE_DOWNLOAD if download else Access.SHARE_VIEW,
               document=link.document, share=link)
    return link


# --- the counter --------------------------------------------------------------------------


def consented_types(user: User) -> set[str]:
    return set(CounterConsent.objects.filter(owner=user).values_list("type_key", flat=True))


def set_counter_consent(user: User, type_keys: set[str]) -> None:
    """The document types (of those in the store) a reception officer may see at the counter."""
    known = {g.type_key: g.document_type for g in grouped(user)}
    wanted = {k for k in type_keys if k in known}
    with transaction.atomic():
        before = consented_types(user)
        CounterConsent.objects.filter(owner=user).exclude(type_key__in=wanted).delete()
        for key in wanted - before:
            CounterConsent.objects.create(owner=user, type_key=key, document_type=known[key])
        if wanted != before:
            record(user, Access.CONSENT, user, types=sorted(known[k] for k in wanted))


def counter_agencies(official: User) -> list[int]:
    return official.agency_ids(Role.RECEPTION_OFFICER)


def open_counter(official: User, citizen: User, now: datetime | None = None) -> CounterSession:
    """An officer scanned ``citizen``'s account QR (resolved by the caller). Raises StoreError
    when the officer is not a reception officer."""
    agencies = counter_agencies(official)
    if not agencies:
        raise StoreError(_("Chỉ cán bộ một cửa xem được kho dữ liệu của công dân tại quầy."))
    now = now or timezone.now()
    return CounterSession.objects.create(
        official=official, citizen=citizen, agency_id=agencies[0],
        expires_at=now + timedelta(minutes=rules.COUNTER_MINUTES))


def counter_session(official: User, session_id, now: datetime | None = None) -> CounterSession:
    now = now or timezone.now()
    session = (CounterSession.objects.select_related("citizen", "agency")
               .filter(pk=session_id, official=official, expires_at__gt=now).first())
    if session is None:
        raise StoreError(_("Phiên xem đã hết hạn; hãy quét lại mã QR của công dân."))
    return session


def counter_documents(session: CounterSession, *, record_view: bool = True
                      ) -> list[StoredDocument]:
    """What the citizen consents to show, read afresh on each look; the look is recorded."""
    keys = consented_types(session.citizen)
    docs = list(own_documents(session.citizen).filter(type_key__in=keys)
                .select_related("source_dossier", "source_agency")
                .order_by("type_key", "-dated_at"))
    if record_view:
        record(session.citizen, Access.COUNTER_VIEW, session.official,
               agency_id=session.agency_id, documents=[d.pk for d in docs])
    return docs


def counter_document(session: CounterSession, document_id) -> StoredDocument:
    keys = consented_types(session.citizen)
    doc = own_documents(session.citizen).filter(pk=document_id, type_key__in=keys).first()
    if doc is None:
        raise StoreError(_("Công dân không cho phép xem giấy tờ này tại quầy."))
    record(session.citizen, Access.COUNTER_DOWNLOAD, session.official, document=doc,
           agency_id=session.agency_id)
    return doc


def history(user: User, limit: int = 30) -> list[AccessRecord]:
    """Looks at the citizen's store by others (share links, the counter), deposits by issuers,
    the consents given to them, the uses of stored documents in dossiers, and the *1022
    hotline's looks at their dossiers during a call, newest first."""
    others = (Access.SHARE_VIEW, Access.SHARE_DOWNLOAD, Access.COUNTER_VIEW,
              Access.COUNTER_DOWNLOAD, Access.ISSUER_DEPOSIT, Access.ISSUER_CONSENT,
              Access.REUSE, Access.HOTLINE_VIEW)
    return list(AccessRecord.objects.filter(owner=user, action__in=others)
                .select_related("actor", "agency", "document").order_by("-created_at")[:limit])


def log_failure(dossier_id: int) -> None:
    log.exception("datastore: could not collect the files of dossier %s", dossier_id)
