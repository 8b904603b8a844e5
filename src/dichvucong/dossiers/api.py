"""Dossier endpoints of the JSON API (/api/v1/dossiers…): the citizen's operations.

Authentication is the portal's session (with its CSRF token) — the same rules as the pages: a
citizen sees and acts only on their own dossiers.
"""

from __future__ import annotations

import json
from datetime import datetime

from django.db import transaction
from django.shortcuts import get_object_or_404
from ninja import File, Form, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile
from ninja.security import django_auth

from dichvucong.catalog import queries as catalog_queries
from dichvucong.catalog.formengine import validate
from dichvucong.datastore import hooks as store_hooks
from dichvucong.dossiers import access, actions, submission
from dichvucong.dossiers.lifecycle import Action, Role, TransitionError
from dichvucong.dossiers.models import Delivery, Dossier
from dichvucong.dossiers.uploads import UploadError

router = Router(tags=["dossiers"], auth=django_auth)


class EventOut(Schema):
    action: str
    label: str
    to_state: str
    at: datetime
    note: str


class DossierOut(Schema):
    id: int
    code: str
    procedure_code: str
    procedure_name: str
    agency: str
    state: str
    state_label: str
    national_status: int | None
    submitted_at: datetime | None
    received_at: datetime | None
    due_at: datetime | None
    fee_amount: int


class DossierDetailOut(DossierOut):
    form_data: dict
    events: list[EventOut]


class Problem(Schema):
    detail: str
    errors: dict[str, list[str]] = {}


def _out(dossier: Dossier) -> dict:
    return {
        "id": dossier.pk, "code": dossier.code, "procedure_code": dossier.procedure.code,
        "procedure_name": dossier.procedure.name, "agency": dossier.agency.name,
        "state": dossier.state, "state_label": dossier.state_label,
        "national_status": dossier.national_status, "submitted_at": dossier.submitted_at,
        "received_at": dossier.received_at, "due_at": dossier.due_at,
        "fee_amount": dossier.fee_amount,
    }


@router.post("", response={201: DossierOut, 400: Problem, 404: Problem},
             summary="File a dossier: the form data as JSON and one file per required document")
def create_dossier(request, procedure: Form[str], agency: Form[int], form: Form[str] = "{}",
                   delivery: Form[str] = "online", files: File[list[UploadedFile]] = None,
                   documents: Form[str] = "[]", from_store: Form[str] = "[]"):
    """``form`` is the form data as JSON (see /catalog/procedures/{code}/form-schema);
    ``documents`` a JSON list giving, for each uploaded file in order, the index of the required
    document it is for; ``from_store`` a JSON list of {"document": index, "stored": id} taking
    required documents from the citizen's personal data store (/store/documents) instead of an
    upload. All or nothing: any error leaves no dossier and no file."""
    proc = get_object_or_404(catalog_queries.active_procedures().select_related(
        "current_version"), code=procedure)
    if proc.online_mode == proc.OnlineMode.NONE:
        raise HttpError(400, "Thủ tục này không nộp trực tuyến.")
    target = submission.receiving_agencies(proc).filter(pk=agency).first()
    if target is None:
        return Status(400, {"detail": "Cơ quan tiếp nhận không nhận hồ sơ của thủ tục này."})
    if delivery not in Delivery.values:
        return Status(400, {"detail": "Cách nhận kết quả không hợp lệ."})
    try:
        raw = json.loads(form)
        indexes = [int(i) for i in json.loads(documents)]
    except (ValueError, TypeError):
        return Status(400, {"detail": "form và documents phải là JSON hợp lệ."})
    definition = proc.current_version.parsed()
    result = validate(definition.form, raw if isinstance(raw, dict) else {})
    if not result.is_valid:
        return Status(400, {"detail": "Tờ khai chưa hợp lệ.", "errors": result.errors})
    files = files or []
    if len(indexes) != len(files) or any(i < 0 or i >= len(definition.documents)
                                         for i in indexes):
        return Status(400, {"detail": "Mỗi tệp cần chỉ số thành phần hồ sơ hợp lệ "
                                      "(documents)."})
    stored = []
    try:
        with transaction.atomic():
            draft = submission.start_draft(proc, request.user, target)
            for index, upload in zip(indexes, files, strict=True):
                stored.append(submission.attach(draft, definition.documents[index].name,
                                                upload, request.user))
            store_hooks.apply_api(draft, definition, from_store, request.user)
            missing = submission.missing_documents(draft)
            if missing:
                raise UploadError("Thiếu: " + "; ".join(missing))
            dossier = submission.submit(draft, request.user, result.cleaned, delivery)
    except UploadError as exc:
        for attachment in stored:  # the rows are rolled back; the files go too
            attachment.file.delete(save=False)
        return Status(400, {"detail": str(exc)})
    dossier = Dossier.objects.select_related("procedure", "agency").get(pk=dossier.pk)
    return Status(201, _out(dossier))


@router.get("", response=list[DossierOut], summary="My dossiers, newest first")
def list_dossiers(request, before: int | None = None, limit: int = 20):
    """Keyset pagination (no COUNT over the table): ``before`` is the ``id`` of the last dossier
    of the previous page."""
    limit = max(1, min(limit, 100))
    qs = (access.own_dossiers(request.user).exclude(state="draft")
          .select_related("procedure", "agency").order_by("-id"))
    if before is not None:
        qs = qs.filter(id__lt=before)
    return [_out(d) for d in qs[:limit]]


def _mine(request, code: str) -> Dossier:
    return get_object_or_404(access.own_dossiers(request.user).select_related(
        "procedure", "agency"), code=code)


@router.get("/{code}", response=DossierDetailOut, summary="A dossier with its events")
def get_dossier(request, code: str):
    dossier = _mine(request, code)
    events = [{"action": e.action, "label": e.get_action_label(), "to_state": e.to_state,
               "at": e.created_at, "note": e.note} for e in dossier.events.all()]
    return {**_out(dossier), "form_data": dossier.form_data, "events": events}


class NoteIn(Schema):
    note: str = ""
    revision: int | None = None


@router.post("/{code}/withdraw", response={200: DossierOut, 409: Problem},
             summary="Withdraw a dossier")
def withdraw(request, code: str, payload: NoteIn):
    dossier = _mine(request, code)
    try:
        outcome = actions.perform(dossier.pk, Action.withdraw, request.user, Role.applicant,
                                  payload.note, expected_revision=payload.revision)
    except (TransitionError, actions.StaleDossier) as exc:
        return Status(409, {"detail": getattr(exc, "message", str(exc))})
    outcome.dossier.procedure, outcome.dossier.agency = dossier.procedure, dossier.agency
    return Status(200, _out(outcome.dossier))
