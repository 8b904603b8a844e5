"""Dossier endpoints of the JSON API (/api/v1/dossiers…, /api/v1/consents…): the citizen's
operations, and the same for an agent filing on a citizen's behalf.

Authentication is the portal's session (with its CSRF token) — the same rules as the pages: a
citizen sees and acts only on their own dossiers; an agent only on the dossiers a citizen
consented to (``access.consented``), found or not found exactly as the pages do. The same
operations take an OAuth 2.0 access token (``apiclients.auth``): one a citizen gave an app acts
as that citizen; a registered system's own token reads its agency's dossiers
(``access.system_dossiers``) and never files or acts as an applicant.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import File, Form, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile
from ninja.security import django_auth
from pydantic import BaseModel, StringConstraints

from dichvucong.apiclients.auth import OAuth2, system_call
from dichvucong.apiclients.scopes import DOSSIERS_FILE, DOSSIERS_READ
from dichvucong.catalog import queries as catalog_queries
from dichvucong.catalog.formengine import validate
from dichvucong.core import storage
from dichvucong.core.apidoc import Problem
from dichvucong.datastore import hooks as store_hooks
from dichvucong.dossiers import access, actions, agents, citizen_view, reads, submission
from dichvucong.dossiers.agent_views import _may_send
from dichvucong.dossiers.lifecycle import SUPPLEMENT_STATES, Action, LifecycleRole, TransitionError
from dichvucong.dossiers.models import AgentConsent, Dossier, DossierChannel
from dichvucong.dossiers.uploads import UploadError
from dichvucong.notify.gateways import DeliveryError
from dichvucong.results.queries import result_available_column

router = Router(tags=["dossiers"], auth=django_auth)
consents_router = Router(tags=["consents"], auth=django_auth)
READ = [OAuth2(DOSSIERS_READ), django_auth]
FILE = [OAuth2(DOSSIERS_FILE, person=True), django_auth]
# A form field may be absent but not null: multipart has no null (``consent``, ``revision`` are
# plain integers with no default value); a procedure code is never empty.
Code = Annotated[str, StringConstraints(min_length=1)]


# The answers are plain pydantic models, not ninja's ``Schema``: the views give them dicts, and a
# ``Schema`` reads each field of each row through its getter for Django objects (0.5 ms for a
# page of 20 dossiers against 0.05 ms; issue #19). The OpenAPI document is the same.
class EventOut(BaseModel):
    action: str
    label: str
    to_state: str
    at: datetime
    note: str


class DossierOut(BaseModel):
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
    channel: str
    national_channel: int
    applicant_name: str
    submitted_by: str | None  # the agent who filed it for the applicant, if one did


class DossierDetailOut(DossierOut):
    form_data: dict
    events: list[EventOut]


# What ``_out`` reads: a list loads these columns alone, not the dossier's, its procedure's,
# agency's and filer's every column (their compiling and converting was most of a read's CPU).
OUT_FIELDS = ("code", "procedure__code", "procedure__name", "agency__name", "state",
              "national_status", "submitted_at", "received_at", "due_at", "fee_amount",
              "channel", "applicant_name", "submitted_by__full_name", "submitted_by__username")
OUT_RELATED = ("procedure", "agency", "submitted_by")


# The same as a row's values, in ``_answer``'s order: a citizen's list reads these, without
# making three model instances a row (a third of the list's CPU).
OUT_VALUES = ("id", "code", "procedure__code", "procedure__name", "agency__name", "state",
              "national_status", "submitted_at", "received_at", "due_at", "fee_amount",
              "channel", "applicant_name", "submitted_by_id", "submitted_by__full_name",
              "submitted_by__username", "result_available")


def _out(dossier: Dossier, result_available: bool = False) -> dict:
    filer = dossier.submitted_by if dossier.submitted_by_id else None
    return _answer(dossier.pk, dossier.code, dossier.procedure.code, dossier.procedure.name,
                   dossier.agency.name, dossier.state, dossier.national_status,
                   dossier.submitted_at, dossier.received_at, dossier.due_at,
                   dossier.fee_amount, dossier.channel, dossier.applicant_name,
                   dossier.submitted_by_id, filer and filer.full_name,
                   filer and filer.username, result_available)


def _answer(pk, code, procedure_code, procedure_name, agency, state, national_status,
            submitted_at, received_at, due_at, fee_amount, channel, applicant_name, filer_id,
            filer_full_name, filer_username, result_available) -> dict:
    """``state_label`` is the status written for the citizen (``citizen_view``); the filer is
    named (as ``User.__str__``) for a dossier filed by a service agent only."""
    return {
        "id": pk, "code": code, "procedure_code": procedure_code,
        "procedure_name": procedure_name, "agency": agency, "state": state,
        "state_label": citizen_view.status(state, result_available=result_available),
        "national_status": national_status, "submitted_at": submitted_at,
        "received_at": received_at, "due_at": due_at, "fee_amount": fee_amount,
        "channel": channel, "national_channel": DossierChannel(channel).national_code,
        "applicant_name": applicant_name,
        "submitted_by": ((filer_full_name or filer_username) if filer_id
                         and channel == DossierChannel.SERVICE_AGENT else None),
    }


@router.post("", response={201: DossierOut, 400: Problem, 403: Problem, 404: Problem,
                           409: Problem, 503: Problem}, auth=FILE,
             summary="File a dossier: the form data as JSON and one file per required document")
def create_dossier(request, procedure: Form[Code], agency: Form[int], form: Form[str] = "{}",
                   delivery: Form[str] = "online", files: File[list[UploadedFile]] = None,
                   documents: Form[str] = "[]", consent: Form[int] = None,
                   from_store: Form[str] = "[]", response: HttpResponse = None):
    """``form`` is the form data as JSON (see /catalog/procedures/{code}/form-schema);
    ``documents`` a JSON list giving, for each uploaded file in order, the index of the required
    document it is for; ``from_store`` a JSON list of {"document": index, "stored": id} taking
    required documents from the citizen's personal data store (/store/documents) instead of an
    upload. All or nothing: any error leaves no dossier and no file.

    An agent filing for a citizen passes ``consent``, the id of the consent the citizen gave
    (``POST /consents/requests`` then ``…/confirm``): the citizen is the applicant, the dossier's
    channel is ``agent`` and ``submitted_by`` names the agent."""
    proc = catalog_queries.filing_procedure(procedure)
    if proc is None:
        raise Http404
    given = None
    if consent is not None:
        try:
            given = submission.filing_consent(request.user, consent, proc)
        except agents.ConsentError as exc:
            return Status(exc.status, {"detail": exc.message})
        if given.dossier_id is not None:
            return Status(409, {"detail": "Sự đồng ý này đã được dùng cho một hồ sơ khác."})
    if proc.online_mode == proc.OnlineMode.NONE:
        raise HttpError(400, "Thủ tục này không nộp trực tuyến.")
    refusal = submission.identity_refusal(proc.current_version.parsed(),
                                          given.citizen if given else request.user)
    if refusal:
        return Status(403, {"detail": refusal})
    try:
        raw = json.loads(form)
        indexes = [int(i) for i in json.loads(documents)]
    except (ValueError, TypeError):
        return Status(400, {"detail": "form và documents phải là JSON hợp lệ."})
    definition = proc.current_version.parsed()
    files = files or []
    if len(indexes) != len(files) or any(i < 0 or i >= len(definition.documents)
                                         for i in indexes):
        return Status(400, {"detail": "Mỗi tệp cần chỉ số thành phần hồ sơ hợp lệ "
                                      "(documents)."})
    uploads = [(definition.documents[i].name, upload)
               for i, upload in zip(indexes, files, strict=True)]
    try:
        taken = store_hooks.taking(from_store, definition, request.user, uploads, given)
    except UploadError as exc:
        return Status(400, {"detail": str(exc)})
    result = validate(definition.form, raw if isinstance(raw, dict) else {},
                      timezone.localdate())
    check = submission.check_filing(
        proc, definition, agency_id=agency, delivery=delivery, form=result,
        documents=[name for name, _ in uploads] + (taken.names if taken else []))
    if check.errors:
        return Status(400, {"detail": check.errors.sentence(), "errors": check.errors.by_field()})
    try:
        dossier = submission.file_at_once(
            proc, given.citizen if given else request.user, check.agency, request.user,
            result.cleaned, check.delivery, uploads, consent=given, taken=taken)
    except (UploadError, agents.ConsentError) as exc:
        return _refused(exc, response)
    dossier.procedure, dossier.agency = proc, check.agency
    dossier.submitted_by = request.user if given else None
    return Status(201, _out(dossier))


def _refused(exc: UploadError | agents.ConsentError, response: HttpResponse) -> Status:
    """An upload or a consent refused: its status (400, 403 …), or 503 with Retry-After while
    the file storage is down (worth retrying)."""
    status = getattr(exc, "status", 400)
    if status == 503:
        response["Retry-After"] = str(storage.RETRY_AFTER_SECONDS)
    return Status(status, {"detail": getattr(exc, "message", str(exc))})


@router.get("", response=list[DossierOut], auth=READ, summary="My dossiers, newest first")
def list_dossiers(request, before: int | None = None, limit: int = 20):
    """Keyset pagination (no COUNT over the table): ``before`` is the ``id`` of the last dossier
    of the previous page. For an agent: also the dossiers they filed for citizens under a
    consent that stands."""
    limit = max(1, min(limit, 100))
    if _own_only(request):  # most callers: a citizen's own, read by a query composed once
        rows = reads.own_rows(reads.own_values_with_result_flag(OUT_VALUES, limit,
                                                                before is not None,
                                                                result_available_column),
                              request.user.pk, before)
        return [_answer(*row) for row in rows]
    qs = (_visible(request).exclude(state="draft")
          .select_related(*OUT_RELATED).only(*OUT_FIELDS)
          .annotate(result_available=result_available_column()).order_by("-id"))
    if before is not None:
        qs = qs.filter(id__lt=before)
    return [_out(d, d.result_available) for d in qs[:limit]]


def _own_only(request) -> bool:
    """The caller sees their own dossiers alone (``_visible`` is ``access.own_dossiers``)."""
    return system_call(request) is None and access.follows_own_only(request.user)


def _visible(request):
    """The dossiers the caller follows (their own, or consented to as agent), or for a
    registered system its agency's."""
    call = system_call(request)
    if call is not None:
        return access.system_dossiers(call.agency_id)
    return access.followed_dossiers(request.user)


def _mine(request, code: str, *only: str, **annotations) -> Dossier:
    """A dossier the caller may see (``_visible``); 404 for any other. ``only``: the columns a
    read needs, when it only reads."""
    dossiers = _visible(request).select_related("procedure", "agency", "submitted_by")
    dossiers = dossiers.only(*only) if only else dossiers
    return get_object_or_404(dossiers.annotate(**annotations) if annotations else dossiers,
                             code=code)


@router.get("/{code}", response=DossierDetailOut, auth=READ,
            summary="A dossier with its events")
def get_dossier(request, code: str):
    own = (reads.own_one_with_result_flag((*OUT_FIELDS, "form_data"), OUT_RELATED,
                                          result_available_column)
           .objects(request.user.pk, code) if _own_only(request) else None)
    if own == []:
        raise Http404
    dossier = own[0] if own else _mine(request, code, *OUT_FIELDS, "form_data",
                                       result_available=result_available_column())
    # The citizen's timeline: no internal steps, no officers' notes to each other.
    events = [{"action": e.kind, "label": e.label, "to_state": e.state, "at": e.at,
               "note": e.note} for e in citizen_view.timeline(reads.EVENTS.objects(dossier.pk))]
    return {**_out(dossier, dossier.result_available), "form_data": dossier.form_data,
            "events": events}


class NoteIn(Schema):
    note: str = ""
    revision: int | None = None


@router.post("/{code}/withdraw", response={200: DossierOut, 403: Problem, 409: Problem},
             auth=FILE,
             summary="Withdraw a dossier (the applicant only)")
def withdraw(request, code: str, payload: NoteIn):
    dossier = _mine(request, code)
    if dossier.applicant_id != request.user.pk:
        return Status(403, {"detail": "Chỉ công dân là chủ hồ sơ được rút hồ sơ."})
    try:
        outcome = actions.perform(dossier.pk, Action.withdraw, request.user,
                                  LifecycleRole.applicant, payload.note,
                                  expected_revision=payload.revision)
    except (TransitionError, actions.StaleDossier) as exc:
        return Status(409, {"detail": getattr(exc, "message", str(exc))})
    outcome.dossier.procedure, outcome.dossier.agency = dossier.procedure, dossier.agency
    return Status(200, _out(outcome.dossier))



@router.post("/{code}/supplement", response={200: DossierOut, 400: Problem, 409: Problem,
                                             503: Problem},
             auth=FILE,
             summary="Answer a supplement request: files and a note")
def supplement(request, code: str, note: Form[str] = "", revision: Form[int] = None,
               files: File[list[UploadedFile]] = None, response: HttpResponse = None):
    """The applicant, or the agent who filed it under consent, sends what was asked for. The
    files are named after the request's items in order."""
    dossier = _mine(request, code)
    if dossier.state not in SUPPLEMENT_STATES:
        return Status(409, {"detail": "Hồ sơ không ở trạng thái chờ bổ sung."})
    request_event = dossier.events.filter(action=Action.request_supplement).last()
    items = [line.strip(" -•\t") for line in (request_event.note if request_event else "")
             .splitlines() if line.strip(" -•\t")]
    files = files or []
    if not files and not note.strip():
        return Status(400, {"detail": "Cần đính kèm giấy tờ được yêu cầu hoặc ghi nội dung "
                                      "bổ sung."})
    stored = []
    try:
        with transaction.atomic():
            names = []
            for i, upload in enumerate(files):
                name = items[i] if i < len(items) else "Bổ sung"
                stored.append(submission.attach(dossier, f"Bổ sung: {name}", upload,
                                                request.user))
                names.append(name)
            outcome = actions.perform(dossier.pk, Action.provide_supplement, request.user,
                                      LifecycleRole.applicant, note, expected_revision=revision,
                                      data={"files": names,
                                            **submission.on_behalf(request.user, dossier)})
    except (UploadError, TransitionError, actions.StaleDossier) as exc:
        for attachment in stored:
            attachment.file.delete(save=False)
        if isinstance(exc, UploadError):
            return _refused(exc, response)
        return Status(409, {"detail": getattr(exc, "message", None) or str(exc)})
    outcome.dossier.procedure, outcome.dossier.agency = dossier.procedure, dossier.agency
    outcome.dossier.submitted_by = dossier.submitted_by
    return Status(200, _out(outcome.dossier))


# --- consents: filing on a citizen's behalf ---------------------------------------------------

class ConsentRequestIn(Schema):
    procedure: str
    citizen: str  # the citizen's phone number or CCCD number
    full_name: str = ""  # to register a citizen who has no account yet (by phone)


class ConsentRequestOut(Schema):
    request_id: int
    channel: str
    destination: str  # masked
    new_account: bool
    expires_at: datetime


class CodeIn(Schema):
    code: str


class ConsentOut(Schema):
    id: int
    agent: str
    agent_role: str
    citizen: str
    procedure_code: str
    procedure_name: str
    dossier_code: str | None
    given_at: datetime
    revoked_at: datetime | None


def _consent_out(consent: AgentConsent) -> dict:
    return {"id": consent.pk, "agent": str(consent.agent), "agent_role": consent.agent_role,
            "citizen": str(consent.citizen), "procedure_code": consent.procedure.code,
            "procedure_name": consent.procedure.name,
            "dossier_code": consent.dossier.code if consent.dossier_id else None,
            "given_at": consent.given_at, "revoked_at": consent.revoked_at}


@consents_router.post("/requests", response={202: ConsentRequestOut, 400: Problem,
                                             403: Problem, 404: Problem, 429: Problem,
                                             503: Problem},
                      summary="Agent: send a citizen the code that confirms their consent")
def request_consent(request, payload: ConsentRequestIn):
    """The code goes to the citizen's verified phone (or e-mail). A citizen without an account,
    named by phone number, is registered with that phone when the code is confirmed (give
    ``full_name``)."""
    proc = catalog_queries.active_procedures().filter(code=payload.procedure.strip()).first()
    if proc is None or proc.online_mode == proc.OnlineMode.NONE:
        return Status(404, {"detail": "Không có thủ tục nộp trực tuyến với mã này."})
    identifier = "".join(payload.citizen.split())
    if agents.agent_role(request.user) is None:
        return Status(403, {"detail": agents.NOT_AGENT})
    if not _may_send(request, identifier):
        return Status(429, {"detail": "Đã gửi quá nhiều mã trong ít phút. Vui lòng chờ 10 phút."})
    try:
        sent = agents.request_consent(request.user, proc, identifier, payload.full_name)
    except agents.ConsentError as exc:
        return Status(exc.status, {"detail": exc.message})
    except DeliveryError:
        return Status(503, {"detail": "Không gửi được mã xác nhận tới công dân lúc này."})
    return Status(202, {"request_id": sent.record.pk, "channel": sent.channel,
                        "destination": sent.destination, "new_account": sent.new_account,
                        "expires_at": sent.record.expires_at})


@consents_router.post("/requests/{request_id}/confirm",
                      response={201: ConsentOut, 400: Problem, 403: Problem},
                      summary="Agent: record the consent with the code the citizen received")
def confirm_consent(request, request_id: int, payload: CodeIn):
    try:
        consent = agents.confirm_consent(request.user, request_id, payload.code)
    except agents.ConsentError as exc:
        return Status(exc.status, {"detail": exc.message})
    consent = AgentConsent.objects.select_related("agent", "citizen", "procedure").get(
        pk=consent.pk)
    return Status(201, _consent_out(consent))


@consents_router.get("", response=list[ConsentOut],
                     summary="The consents I gave (citizen) or received (agent), newest first")
def list_consents(request):
    qs = (AgentConsent.objects.filter(Q(citizen=request.user) | Q(agent=request.user))
          .select_related("agent", "citizen", "procedure", "dossier").order_by("-given_at"))
    return [_consent_out(c) for c in qs[:100]]


@consents_router.post("/{consent_id}/revoke", response={200: ConsentOut, 404: Problem,
                                                        409: Problem},
                      summary="Citizen: revoke a consent; the agent loses access at once")
def revoke_consent(request, consent_id: int):
    try:
        consent = agents.revoke(request.user, consent_id)
    except agents.ConsentError as exc:
        return Status(exc.status, {"detail": exc.message})
    consent = AgentConsent.objects.select_related("agent", "citizen", "procedure",
                                                  "dossier").get(pk=consent.pk)
    return Status(200, _consent_out(consent))
