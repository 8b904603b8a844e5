"""The personal data store in the JSON API (/api/v1/store…): the citizen's own documents, the
ones that fit a procedure's required documents, and share links; and (/api/v1/issuers…) the
deposit of a signed document by a third-party issuer.

Authentication is the portal's session (with its CSRF token), as for /dossiers: a citizen reads
only their own store. A share link itself is opened without the API, at its /chia-se/ URL.
To use a stored document in a new dossier, pass it in ``from_store`` of POST /dossiers.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.security import django_auth
from pydantic import StringConstraints

from dichvucong.apiclients.auth import OAuth2, system_call
from dichvucong.apiclients.scopes import DOCUMENTS_ISSUE
from dichvucong.catalog import queries as catalog_queries
from dichvucong.core.apidoc import Problem
from dichvucong.datastore import deposits, issuers, services, views
from dichvucong.datastore import documents as rules
from dichvucong.datastore.models import ShareLink, StoredDocument
from dichvucong.datastore.services import StoreError

router = Router(tags=["personal data store"], auth=django_auth)


class DocumentOut(Schema):
    id: int
    kind: str
    kind_label: str
    document_type: str
    title: str
    source_dossier: str | None
    source_agency: str | None
    date: datetime
    size: int
    content_type: str
    file_name: str
    status: str | None
    status_label: str | None
    file_url: str


class MatchOut(Schema):
    document: int
    name: str
    mandatory: bool
    documents: list[DocumentOut]


class ShareIn(Schema):
    duration: str = rules.DEFAULT_DURATION


class ShareOut(Schema):
    id: int
    document: int
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    state: str
    access_count: int
    last_access_at: datetime | None


class ShareCreated(ShareOut):
    url: str



def _out(doc: StoredDocument) -> dict:
    status = services.status_of(doc)
    return {
        "id": doc.pk, "kind": doc.kind, "kind_label": str(doc.get_kind_display()),
        "document_type": doc.document_type, "title": doc.title,
        "source_dossier": doc.source_dossier.code if doc.source_dossier_id else None,
        "source_agency": doc.source_agency.name if doc.source_agency_id else None,
        "date": doc.dated_at, "size": doc.size, "content_type": doc.content_type,
        "file_name": doc.original_name, "status": status[0] if status else None,
        "status_label": str(status[1]) if status else None,
        "file_url": reverse("api-v1:store_document_file", args=[doc.pk]),
    }


def _share_out(link: ShareLink) -> dict:
    return {"id": link.pk, "document": link.document_id, "created_at": link.created_at,
            "expires_at": link.expires_at, "revoked_at": link.revoked_at, "state": link.state,
            "access_count": link.access_count, "last_access_at": link.last_access_at}


def _own(request, document_id: int) -> StoredDocument:
    try:
        return services.get_own(request.user, document_id)
    except StoreError:
        raise Http404 from None


@router.get("/documents", response=list[DocumentOut], summary="My stored documents")
def list_documents(request, type: str = "", kind: str = "", before: int | None = None,
                   limit: int = 50):
    """Newest first. ``type`` filters on the document type (case and spacing ignored);
    ``kind`` on upload or result; ``before`` is the ``id`` of the last document of the
    previous page (keyset pagination)."""
    limit = max(1, min(limit, 100))
    qs = (services.own_documents(request.user).select_related("source_dossier", "source_agency")
          .order_by("-id"))
    if type:
        qs = qs.filter(type_key=rules.type_key(type))
    if kind:
        qs = qs.filter(kind=kind)
    if before is not None:
        qs = qs.filter(id__lt=before)
    return [_out(d) for d in qs[:limit]]


@router.get("/documents/{document_id}", response=DocumentOut, summary="One stored document")
def get_document(request, document_id: int):
    return _out(_own(request, document_id))


@router.get("/documents/{document_id}/file", url_name="store_document_file",
            summary="The document's file (download or reprint)",
            openapi_extra={"responses": {200: {"description": "the file (PDF, JPEG or PNG)"}}})
def document_file(request, document_id: int):
    doc = _own(request, document_id)
    services.record_download(request.user, doc)
    return views._file(doc)


@router.get("/matches", response={200: list[MatchOut], 404: Problem},
            summary="For each required document of a procedure, my stored documents that can "
                    "stand in for it")
def matches(request, procedure: str):
    proc = get_object_or_404(catalog_queries.active_procedures().select_related(
        "current_version"), code=procedure)
    definition = proc.current_version.parsed()
    return [{"document": i, "name": d.name, "mandatory": d.mandatory,
             "documents": [_out(s) for s in services.options_for(request.user, d)]}
            for i, d in enumerate(definition.documents)]


@router.get("/documents/{document_id}/shares", response=list[ShareOut],
            summary="The share links made for a document")
def list_shares(request, document_id: int):
    doc = _own(request, document_id)
    return [_share_out(link) for link in services.links_of(request.user, doc)]


@router.post("/documents/{document_id}/shares", response={201: ShareCreated, 400: Problem},
             summary="Make a time-limited share link (the URL is returned only here)")
def create_share(request, document_id: int, payload: ShareIn):
    """``duration``: 1h, 1d, 7d or 30d. Anyone with the URL opens the document without logging
    in until it expires or is revoked; each opening is recorded."""
    _own(request, document_id)
    try:
        link, token = services.share(request.user, document_id, payload.duration)
    except StoreError as exc:
        return Status(400, {"detail": str(exc)})
    url = request.build_absolute_uri(reverse("datastore:shared", args=[token]))
    return Status(201, {**_share_out(link), "url": url})


@router.post("/shares/{share_id}/revoke", response=ShareOut, summary="Revoke a share link")
def revoke_share(request, share_id: int):
    try:
        return _share_out(services.revoke(request.user, share_id))
    except StoreError:
        raise Http404 from None


# --- third-party issuers (/api/v1/issuers) --------------------------------------------------

issuer_router = Router(tags=["issuers"])
ISSUE = [OAuth2(DOCUMENTS_ISSUE)]
# A blank multipart field reads as a missing one: the document says so.
Text = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class DepositOut(Schema):
    id: int
    document_type: str
    date: datetime
    valid_until: date | None
    created: bool


@issuer_router.post(
    "/documents", response={200: DepositOut, 201: DepositOut, 400: Problem, 403: Problem},
    auth=ISSUE, summary="Deposit a signed document into a consenting citizen's store")
def deposit(request, cccd: Form[Text], document_type: Form[Text], file: File[UploadedFile],
            fields: Form[str] = "{}"):
    """A registered issuer's system (client credentials, scope ``documents:issue``) sends a PDF
    signed with its registered certificate, the document type and its structured ``fields``
    (JSON). Stored only when the citizen with that CCCD consents to the issuer (standing, for
    its kind, or once) and every check passes; otherwise 403 ``not_accepted`` (unknown number
    or no consent: one answer), 400 ``bad_signature``, ``expired``, ``invalid_fields``,
    ``type_not_allowed`` or ``invalid_file``. Nothing can be read back."""
    call = system_call(request)
    if call is None:
        return Status(403, {"detail": "Chỉ hệ thống của tổ chức cấp giấy tờ (client "
                                      "credentials) gửi được giấy tờ.", "code": "not_issuer"})
    try:
        parsed = json.loads(fields or "{}")
    except ValueError:
        parsed = None
    try:
        if file.size > issuers.MAX_PDF_BYTES:
            raise issuers.DepositRefused("invalid_file", "Tệp phải là PDF, tối đa 10 MB.")
        doc, created = deposits.deposit(call.client, id_number=cccd.strip(),
                                        document_type=document_type, fields=parsed,
                                        pdf=file.read())
    except issuers.DepositRefused as exc:
        return Status(exc.status, {"detail": exc.detail, "code": exc.code})
    return Status(201 if created else 200, {
        "id": doc.pk, "document_type": doc.document_type, "date": doc.dated_at,
        "valid_until": doc.valid_until, "created": created})
