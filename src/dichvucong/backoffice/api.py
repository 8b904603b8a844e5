"""Handovers (liên thông) in the JSON API (/api/v1/handovers…), for the systems of the agencies
a dossier is handed to: a machine client registered for an agency, with the scope
``handovers:answer`` (client credentials), lists the handovers addressed to its agency, reads
what the step needs (the form fields and documents its step declares:
``exchange.shared_with``; never the applicant's contacts, fees or the
sender's events), and hands back a result or a refusal (``dossiers/exchange.py:answer``, the
same rules as the back office's «Liên thông đến»). A handover to any other agency is a 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.db.models import QuerySet
from django.urls import reverse
from ninja import File, Form, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from dichvucong.apiclients.auth import OAuth2, system_call
from dichvucong.apiclients.scopes import HANDOVERS
from dichvucong.backoffice.views import attachment_file
from dichvucong.core.apidoc import Problem
from dichvucong.dossiers import exchange
from dichvucong.dossiers.actions import StaleDossier
from dichvucong.dossiers.lifecycle import TransitionError
from dichvucong.dossiers.models import Handover
from dichvucong.dossiers.uploads import UploadError
from dichvucong.results import handovers as handover_results

router = Router(tags=["handovers"], auth=[OAuth2(HANDOVERS)])


class HandoverOut(Schema):
    id: int
    dossier: str
    procedure: str
    step: str
    from_agency: str
    request: str
    sent_at: datetime
    due_at: datetime | None
    answered_at: datetime | None
    outcome: str
    revision: int


class FileOut(Schema):
    requirement: str
    file_name: str
    size: int
    content_type: str
    url: str


class HandoverDetailOut(HandoverOut):
    applicant_name: str
    form: dict
    files: list[FileOut]


def _mine(request) -> QuerySet[Handover]:
    call = system_call(request)
    if call is None or call.agency_id is None:
        raise HttpError(403, "Chỉ hệ thống của một cơ quan (client credentials) nhận được hồ "
                             "sơ liên thông.")
    return Handover.objects.filter(to_agency_id=call.agency_id).select_related(
        "dossier__procedure", "dossier__procedure_version", "from_agency")


def _one(request, handover_id: int) -> Handover:
    found = _mine(request).filter(pk=handover_id).first()
    if found is None:
        raise HttpError(404, "Không tìm thấy hồ sơ liên thông.")
    return found


def _out(h: Handover) -> dict:
    return {"id": h.pk, "dossier": h.dossier.code or "", "procedure": h.dossier.procedure.name,
            "step": h.step, "from_agency": h.from_agency.name, "request": h.request,
            "sent_at": h.sent_at, "due_at": h.due_at, "answered_at": h.answered_at,
            "outcome": h.outcome, "revision": h.dossier.revision}


@router.get("", response={200: list[HandoverOut], 403: Problem},
            summary="The handovers addressed to my agency, open ones first by due time")
def list_handovers(request, status: Literal["open", "all"] = "open", limit: int = 50):
    mine = _mine(request)
    if status == "open":
        mine = mine.filter(answered_at__isnull=True)
    mine = mine.order_by("answered_at", "due_at", "id")[:max(1, min(limit, 200))]
    return [_out(h) for h in mine]


@router.get("/{handover_id}", response={200: HandoverDetailOut, 403: Problem, 404: Problem},
            summary="One handover: the step, the form and the documents it needs")
def get_handover(request, handover_id: int):
    h = _one(request, handover_id)
    shared = exchange.shared_with(h)  # only what the step needs
    files = [{"requirement": a.requirement, "file_name": a.original_name, "size": a.size,
              "content_type": a.content_type,
              "url": reverse("api-v1:handover_file", args=[h.pk, a.token])}
             for a in shared.attachments(h.dossier).order_by("id")]
    return {**_out(h), "applicant_name": h.dossier.applicant_name,
            "form": shared.form(h.dossier), "files": files}


@router.get("/{handover_id}/files/{token}", url_name="handover_file",
            summary="A document of the handed-over dossier",
            openapi_extra={"responses": {200: {"description": "the file"},
                                         404: {"description": "not found"}}})
def handover_file(request, handover_id: int, token: str):
    h = _one(request, handover_id)
    found = exchange.shared_with(h).attachments(h.dossier).filter(token=token).first()
    if found is None:
        raise HttpError(404, "Không tìm thấy tệp.")
    return attachment_file(found)


NOTE_MAX = 4000


@router.post("/{handover_id}/answer",
             response={200: HandoverOut, 400: Problem, 403: Problem, 404: Problem,
                       409: Problem},
             summary="Hand back a result (a note, maybe a file signed by the agency) or a "
                     "refusal")
def answer_handover(request, handover_id: int, outcome: Form[Literal["result", "refusal"]],
                    note: Form[str] = "", revision: Form[int] = None,
                    file: File[UploadedFile] = None):
    """``outcome`` ``result`` (with a ``note`` or a ``file``: a PDF signed with a published
    certificate of the agency, refused with 400 otherwise) or ``refusal`` (its reason in
    ``note``, shown to the citizen). ``revision`` (from the GET) refuses an answer to a dossier
    that changed meanwhile (409). Answered once: a second answer is 409."""
    if len(note) > NOTE_MAX:  # checked here: a constrained Form type lost its default ("")
        return Status(400, {"detail": f"Ghi chú dài quá {NOTE_MAX} ký tự."})
    h = _one(request, handover_id)
    call = system_call(request)
    try:
        # A file must come signed by the agency's published certificate (checked on deposit).
        handover_results.answer(h, None, outcome, note, expected_revision=revision,
                                upload=file,
                                system=(call.agency_id, call.client.application.name))
    except exchange.ExchangeError as exc:
        return Status(400 if exc.field else 403, {"detail": exc.message})
    except UploadError as exc:
        return Status(400, {"detail": str(getattr(exc, "message", exc))})
    except (StaleDossier, TransitionError) as exc:
        return Status(409, {"detail": getattr(exc, "message", "") or StaleDossier.message})
    return _out(_one(request, handover_id))
