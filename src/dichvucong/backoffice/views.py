"""The officials' one-stop back office (một cửa điện tử): queues, the dossier workspace, the
counter's walk-in intake. Server-rendered, no JavaScript needed.

Access: every view needs an official's role; every dossier query is scoped with
``access.agency_dossiers(user)`` in the query itself, so a dossier of another agency is a 404.
Actions are offered and accepted only as ``lifecycle.allowed_actions`` says for the roles the
user holds on the dossier, and go through ``actions.perform`` with the revision the form was
drawn from: of two officers acting at once, one wins and the other is told, nothing changed.
Personal data (ID numbers, addresses) only travel in POST bodies, never in addresses or logs.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import date
from functools import wraps
from operator import attrgetter, itemgetter
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.validators import validate_email
from django.db.models import F, Prefetch, prefetch_related_objects
from django.forms import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dichvucong.accounts.identifiers import InvalidIdentifier, normalise_phone
from dichvucong.accounts.models import Role, User
from dichvucong.accounts.services import resolve_citizen_token
from dichvucong.agencies.models import Agency
from dichvucong.catalog import queries as catalog_queries
from dichvucong.catalog.definition import FieldType
from dichvucong.catalog.formvalues import form_entries
from dichvucong.catalog.formviews import form_context, read_form
from dichvucong.core import audit, storage
from dichvucong.core.idnumber import InvalidIdNumber, check_birth_year, mask, parse_id_number
from dichvucong.core.text import sorted_vietnamese, vietnamese_key
from dichvucong.dossiers import access, exchange, lifecycle, paperreading
from dichvucong.dossiers.actions import StaleDossier
from dichvucong.dossiers.clock import calendar_for
from dichvucong.dossiers.lifecycle import Action, TransitionError
from dichvucong.dossiers.models import (
    ApplicantType,
    Attachment,
    Delivery,
    Dossier,
    DossierChannel,
    DossierEvent,
    Handover,
)
from dichvucong.dossiers.submission import document_needed
from dichvucong.dossiers.uploads import UploadError
from dichvucong.results import declaration_signing
from dichvucong.results import handovers as handover_results
from dichvucong.results.issuing import issues_digitally, signing_in_progress
from dichvucong.slips.data import available_slips

from . import presenters, queues, services
from .cccd import CccdError, parse_qr
from .forms import (
    DELIVERY_TO_METHOD,
    RETURN_METHODS,
    note_label,
    read_action,
    read_apology,
    upload_error,
)
from .timing import due_status, reception_clock

# Actions whose forms carry more than a note: the template draws their extra fields.
EXTRA_FIELDS = {Action.request_supplement, Action.assign, Action.transfer, Action.issue_result,
                Action.provide_supplement,
                Action.return_result}
# Actions that end or turn a dossier away: drawn as secondary buttons.
SECONDARY = {Action.reject, Action.refuse, Action.pause, Action.send_back,
             Action.request_supplement, Action.transfer}


def official_required(view):
    """Logged in and holding an official's role in some agency; the roles, read once, are kept
    on the request."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        held = queues.memberships(request.user)
        if not queues.is_official(held):
            raise PermissionDenied(_("Trang này dành cho cán bộ của cơ quan tiếp nhận hồ sơ."))
        request.held_roles = held
        return view(request, *args, **kwargs)

    return wrapped


def _nav(request: HttpRequest) -> dict:
    """What every back-office page needs. The flash messages are drawn by our own templates
    (base.html's list carries a role a list may not have), so base.html gets none."""
    held = request.held_roles
    return {"can_walk_in": any(role == Role.RECEPTION_OFFICER for _a, role in held),
            "flash": list(messages.get_messages(request)), "messages": ()}


# --- queues --------------------------------------------------------------------------------------


@official_required
@require_http_methods(["GET"])
def home(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    calendar = calendar_for(now)
    held = request.held_roles
    filters = queues.Filters.from_params(request.GET)
    reviewing = queues.queue_agencies(queues.BY_KEY[queues.REVIEW], held)
    # The kept counts (one query): the unfiltered counts, and where a dossier waits for review.
    waiting = queues.waiting(held) if reviewing or not filters.active else None
    visible = queues.visible_queues(held, queues.review_agencies(reviewing, waiting))
    counts = queues.counts(held, filters, calendar, now, waiting)
    chosen = queues.BY_KEY.get(request.GET.get("hang-doi", ""))
    if chosen not in visible:
        chosen = next((q for q in visible if counts.get(q.key)), visible[0])
    current = queues.page(request.user, held, chosen, filters, calendar, now,
                          cursor=request.GET.get("sau", ""))
    # The filters, encoded once for every queue's link: the queue goes last.
    params = request.GET.copy()
    for name in ("sau", "hang-doi"):
        params.pop(name, None)
    kept = f"?{params.urlencode()}&" if params else "?"
    links = [{"queue": queue, "count": counts.get(queue.key, 0),
              "url": f"{kept}hang-doi={queue.key}", "current": queue == chosen}
             for queue in visible]
    first_url = f"{kept}hang-doi={chosen.key}"
    next_url = ""
    if current.next_cursor:
        next_url = f"{first_url}&sau={quote(current.next_cursor)}"
    return render(request, "backoffice/home.html", {
        **_nav(request), "links": links, "page": current, "queue": chosen, "filters": filters,
        "rows": presenters.queue_rows(current.rows),
        "count": counts.get(chosen.key, 0), "next_url": next_url, "first_url": first_url,
        "channels": DossierChannel.choices,
        # The tracking register (Mẫu 07) of each agency the official works in.
        "registers": sorted_vietnamese(queues.registers(held), itemgetter(1)),
    })


# --- the dossier workspace ---------------------------------------------------------------------


@dataclass
class ActionForm:
    action: Action
    label: str
    note_label: str
    note_required: bool
    note: str = ""
    secondary: bool = False
    extra: bool = False
    errors: dict[str, str] = field(default_factory=dict)  # field name → message
    posted: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.action.value


def _dossier(request: HttpRequest, code: str) -> Dossier:
    return get_object_or_404(
        access.agency_dossiers(request.user).select_related(
            "procedure", "procedure_version", "agency", "assignee"),
        code=code)


def _specialists(dossier: Dossier) -> list[User]:
    return list(User.objects.filter(
        memberships__agency_id=dossier.agency_id,
        memberships__role=Role.SPECIALIST).order_by("full_name", "username").distinct())


def _transfer_targets(dossier: Dossier) -> list[Agency]:
    """Every other agency; those the procedure's routing hands the dossier to come first."""
    routed = exchange.routed_agencies(dossier)
    found = Agency.objects.filter(is_active=True).exclude(pk=dossier.agency_id).only(
        "id", "code", "name", "level")
    return sorted(found, key=lambda a: (a.code not in routed, a.level, vietnamese_key(a.name)))


def _workspace(request: HttpRequest, dossier: Dossier, *, errors: dict[str, str] | None = None,
               posted_action: str = "", posted=None, status: int = 200,
               top_message: str = "") -> HttpResponse:
    now = timezone.now()
    calendar = calendar_for(now, dossier.agency_id)
    held = services.official_roles(request.user, dossier)
    path = services.path_of(dossier)
    allowed = lifecycle.allowed_actions(dossier.state, held, path) if held else []
    # One query for the events, kept on the dossier so the slips list reuses it.
    prefetch_related_objects(
        [dossier], Prefetch("events", queryset=DossierEvent.objects.select_related("actor")))
    events = list(dossier.events.all())
    # With each file's origin in the store (shown beside it): one query, not one per file.
    attachments = list(dossier.attachments.select_related("store_origin"))
    definition = dossier.procedure_version.parsed()
    errors = errors or {}
    posted = posted if posted is not None else {}

    # Digital issuing (the results app: render, sign, QR) is the normal path; the upload stays
    # for results made outside the platform.
    digital_issue = Action.issue_result in allowed and issues_digitally(dossier)
    signing = digital_issue and signing_in_progress(dossier) is not None
    forms = []
    for action in allowed:
        if signing and action == Action.issue_result:
            continue  # the result being signed moves the dossier when done
        # The applicant's own actions are theirs; a supplement handed in at the counter is
        # the reception officer's to record.
        if action in (Action.withdraw, Action.submit, Action.enter_walk_in) or (
                action == Action.provide_supplement
                and lifecycle.LifecycleRole.reception_officer not in held):
            continue
        label, required = note_label(dossier.state, action)
        mine = posted_action == action.value
        outside = digital_issue and action == Action.issue_result
        forms.append(ActionForm(
            action=action,
            label=_("Ban hành kết quả làm ngoài hệ thống") if outside else action.label,
            note_label=label, note_required=required,
            note=posted.get("note", "") if mine else "",
            secondary=action in SECONDARY or outside, extra=action in EXTRA_FIELDS,
            errors=_errors_of(errors, action.value), posted=posted if mine else {}))
    specialists = _specialists(dossier) if Action.assign in allowed else []
    targets = _transfer_targets(dossier) if Action.transfer in allowed else []
    plan = services.steps(dossier, calendar, now, events)
    apology = services.apology_need(dossier, calendar, now, events, plan) if held \
        else services.ApologyNeed.none
    supplements_in_processing = sum(
        1 for e in events if e.action == Action.request_supplement.value
        and e.from_state == lifecycle.State.examining.value)
    form_values = {k: v for k, v in (dossier.form_data or {}).items() if not k.startswith("_")}
    walk_in = (dossier.form_data or {}).get(services.APPLICANT_KEY) or {}
    birth_date = ""
    if walk_in.get("birth_date"):
        birth_date = date.fromisoformat(walk_in["birth_date"]).strftime("%d/%m/%Y")
    summary = [(field_id, message) for field_id, message in errors.items()]
    return render(request, "backoffice/dossier.html", {
        **_nav(request),
        "dossier": dossier, "timeline": presenters.timeline(events), "attachments": attachments,
        "paper_findings": paperreading.findings(dossier, attachments),
        "due": due_status(calendar, now, dossier.due_at, dossier.paused_at),
        "clock": reception_clock(calendar, now, dossier.submitted_at)
        if dossier.state == lifecycle.State.submitted.value else None,
        "steps": plan,
        "form_entries": form_entries(definition.form, form_values),
        "masked_id": mask(dossier.applicant_id_number) if dossier.applicant_id_number else "",
        "walk_in": walk_in, "birth_date": birth_date,
        "forms": forms, "error_summary": summary, "top_message": top_message,
        "digital_issue": digital_issue,
        "declaration_signature": declaration_signing.latest(dossier),
        "specialists": specialists, "targets": targets,
        "documents": list(enumerate(definition.documents)),
        "return_methods": RETURN_METHODS,
        "default_method": DELIVERY_TO_METHOD.get(dossier.delivery, "counter"),
        "apology": apology,
        "apology_errors": _errors_of(errors, services.APOLOGY),
        "apology_posted": posted if posted_action == services.APOLOGY else {},
        "supplements_in_processing": supplements_in_processing,
        "held_roles": sorted(role.label for role in held),
        "slips": available_slips(dossier),
        # Read only for a dossier ever transferred (its events are loaded): no query otherwise.
        "handovers": list(dossier.handovers.select_related("to_agency"))
        if any(e.action == Action.transfer.value for e in events) else [],
    }, status=status)


def _errors_of(errors: dict[str, str], prefix: str) -> dict[str, str]:
    return {key.split("-", 1)[1]: message for key, message in errors.items()
            if key.startswith(f"{prefix}-")}


@official_required
@require_http_methods(["GET", "POST"])
def dossier_view(request: HttpRequest, code: str) -> HttpResponse:
    dossier = _dossier(request, code)
    if request.method == "GET":
        if dossier.applicant_id:  # the citizen sees it on «Dữ liệu của tôi»
            audit.record_look(request.user, dossier.applicant_id, what="dossier",
                              object_id=dossier.code, reason="Xử lý hồ sơ tại cơ quan")
        return _workspace(request, dossier)
    posted = {"note": str(request.POST.get("note", ""))[:4000],
              "reason": str(request.POST.get("reason", ""))[:4000],
              "new_due_date": str(request.POST.get("new_due_date", ""))[:10],
              "new_due_time": str(request.POST.get("new_due_time", ""))[:5],
              "documents": request.POST.getlist("documents"),
              "assignee": request.POST.get("assignee", ""),
              "target": request.POST.get("target", ""),
              "method": request.POST.get("method", ""),
              "tracking": str(request.POST.get("tracking", ""))[:60],
              "receiver": str(request.POST.get("receiver", ""))[:150]}
    name = str(request.POST.get("action", ""))
    try:
        revision = int(request.POST.get("revision", ""))
    except ValueError:
        revision = -1

    def refused(message: str, status: int, errors: dict[str, str] | None = None):
        fresh = _dossier(request, code)
        return _workspace(request, fresh, errors=errors or {}, posted_action=name,
                          posted=posted, status=status, top_message=message)

    if name == services.APOLOGY:
        return _apology(request, dossier, revision, posted, refused)
    try:
        action = Action(name)
    except ValueError:
        return refused(_("Không có thao tác này."), 400)
    held = services.official_roles(request.user, dossier)
    if not held:
        return refused(_("Bạn không có vai trò xử lý hồ sơ này."), 403)
    if revision != dossier.revision:
        return refused(StaleDossier.message, 409)
    path = services.path_of(dossier)
    role = services.acting_role(held, dossier.state, action, path)
    if action not in lifecycle.allowed_actions(dossier.state, held, path):
        try:
            lifecycle.check(dossier.state, action, role, "-", path)
        except TransitionError as exc:
            return refused(exc.message, 403)
    definition = dossier.procedure_version.parsed()
    specialists = _specialists(dossier) if action == Action.assign else []
    targets = _transfer_targets(dossier) if action == Action.transfer else []
    read = read_action(action, request.POST, request.FILES, dossier, definition, specialists,
                       targets)
    if read.errors:
        return _workspace(request, dossier, errors=read.errors, posted_action=name,
                          posted=posted, status=200)
    try:
        services.act(dossier.pk, action, request.user, role, read.note,
                     expected_revision=revision, data=read.data, assignee=read.assignee,
                     result_file=read.result_file, pending_result=signing_in_progress)
    except StaleDossier as exc:
        return refused(str(exc) or StaleDossier.message, 409)
    except TransitionError as exc:
        return refused(exc.message, 409)
    except services.BackofficeError as exc:
        field_id = f"{name}-{exc.field}" if exc.field else ""
        return refused(exc.message, 200, {field_id: exc.message} if field_id else None)
    except UploadError as exc:
        return refused(str(exc), 200, {f"{name}-result": str(exc)})
    messages.success(request, _("Đã «%(action)s» hồ sơ %(code)s.") % {
        "action": action.label, "code": dossier.code})
    return redirect("backoffice:dossier", code=dossier.code)


def _apology(request, dossier: Dossier, revision: int, posted, refused) -> HttpResponse:
    read = read_apology(request.POST)
    if read.errors:
        return _workspace(request, dossier, errors=read.errors, posted_action=services.APOLOGY,
                          posted=posted)
    try:
        services.apologise(dossier.pk, request.user, read.reason, read.new_due_at, revision)
    except StaleDossier as exc:
        return refused(str(exc) or StaleDossier.message, 409)
    except services.BackofficeError as exc:
        errors = {f"apology-{exc.field}": exc.message} if exc.field else None
        return refused(exc.message, 200 if exc.field else 409, errors)
    messages.success(request, _("Đã ghi văn bản xin lỗi và hẹn lại ngày trả kết quả."))
    return redirect("backoffice:dossier", code=dossier.code)


@official_required
@require_http_methods(["GET"])
def attachment(request: HttpRequest, code: str, token: str) -> HttpResponse:
    found = get_object_or_404(
        Attachment.objects.filter(dossier__in=access.agency_dossiers(request.user)),
        dossier__code=code, token=token)
    return attachment_file(found)


def attachment_file(found: Attachment) -> HttpResponse:
    """A dossier's file as a download, never cached (also the national portal's, behind its
    signed link: ``nationalsync/views.py``)."""
    return storage.download(found.file.name, found.sha256, filename=found.original_name,
                            content_type=found.content_type)


# --- inter-agency exchange (liên thông): the receiving agency's side ----------------------------


@official_required
@require_http_methods(["GET"])
def exchange_list(request: HttpRequest) -> HttpResponse:
    """The handovers to the official's agencies: open ones, earliest due first; then the last
    answered ones."""
    now = timezone.now()
    calendar = calendar_for(now)
    mine = access.agency_handovers(request.user).select_related(
        "dossier__procedure", "from_agency")
    open_ = [{"handover": h, "due": due_status(calendar, now, h.due_at)}
             for h in mine.filter(answered_at__isnull=True).order_by(
                 F("due_at").asc(nulls_last=True), "id")[:100]]
    answered = [{"handover": h, "due": None}
                for h in mine.filter(answered_at__isnull=False).order_by("-answered_at")[:20]]
    return render(request, "backoffice/exchange.html", {
        **_nav(request), "sections": [(_("Đang chờ cơ quan bạn"), open_),
                                      (_("Đã trả lời gần đây"), answered)]})


def _handover(request: HttpRequest, pk: int) -> Handover:
    return get_object_or_404(access.agency_handovers(request.user).select_related(
        "dossier__procedure", "dossier__procedure_version", "from_agency", "to_agency"), pk=pk)


@official_required
@require_http_methods(["GET", "POST"])
def handover_view(request: HttpRequest, pk: int) -> HttpResponse:
    """What the receiving agency needs of the dossier (the step, the form, the documents; not
    the applicant's contacts, fees or the sender's internal notes), and its answer."""
    handover = _handover(request, pk)
    dossier = handover.dossier
    errors: dict[str, str] = {}
    posted = {"outcome": request.POST.get("outcome", ""),
              "note": str(request.POST.get("note", ""))[:4000]}
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("result")
        if upload and (refused := upload_error(upload)):
            errors["result"] = refused
        try:
            revision = int(request.POST.get("revision", ""))
        except ValueError:
            revision = -1
        if not errors:
            try:
                # The result signed with the agency's key (results/handovers.py).
                handover_results.answer(handover, request.user, posted["outcome"],
                                        posted["note"], expected_revision=revision,
                                        upload=upload or None)
            except exchange.ExchangeError as exc:
                errors[exc.field] = exc.message
                status = 200 if exc.field else 403
            except (StaleDossier, TransitionError) as exc:
                errors[""] = getattr(exc, "message", "") or StaleDossier.message
                status = 409
            else:
                messages.success(request, _("Đã gửi trả lời hồ sơ liên thông %(code)s.") % {
                    "code": dossier.code})
                return redirect("backoffice:handover", pk=handover.pk)
        handover = _handover(request, pk)
        dossier = handover.dossier
    now = timezone.now()
    definition = dossier.procedure_version.parsed()
    shared = exchange.shared_with(handover)  # only what the step needs
    form_values = shared.form(dossier)
    return render(request, "backoffice/handover.html", {
        **_nav(request), "handover": handover, "dossier": dossier,
        "due": due_status(calendar_for(now, handover.to_agency_id), now, handover.due_at)
        if handover.is_open else None,
        "form_entries": form_entries([f for f in definition.form if f.key in form_values],
                                     form_values),
        "attachments": list(shared.attachments(dossier).select_related("store_origin")),
        "can_answer": handover.is_open and exchange.may_answer(request.user, handover),
        "errors": errors, "posted": posted,
        "error_summary": [(f"answer-{key}" if key else "", message)
                          for key, message in errors.items()],
    }, status=status)


@official_required
@require_http_methods(["GET"])
def handover_attachment(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    handover = _handover(request, pk)
    # A document outside what the step gets is as absent as one of another dossier.
    return attachment_file(get_object_or_404(
        exchange.shared_with(handover).attachments(handover.dossier), token=token))


# --- walk-in intake ----------------------------------------------------------------------------

PREFILL_NAME = {"ho_ten", "ho_va_ten", "full_name", "ten_nguoi_nop", "nguoi_nop"}
PREFILL_BIRTH = {"ngay_sinh", "birth_date"}
PREFILL_ADDRESS = {"dia_chi", "noi_thuong_tru", "dia_chi_thuong_tru", "address"}
GENDERS = ("Nam", "Nữ")


def _reception_agencies(request: HttpRequest) -> list[Agency]:
    ids = [agency for agency, role in request.held_roles
           if role == Role.RECEPTION_OFFICER]
    return sorted_vietnamese(Agency.objects.filter(pk__in=ids), attrgetter("name"))


def _prefill(fields, values: dict, card) -> dict:
    values = dict(values)
    for f in fields:
        if values.get(f.key) not in (None, ""):
            continue
        if f.type == FieldType.ID_NUMBER:
            values[f.key] = card.id_number
        elif f.key in PREFILL_NAME and f.type == FieldType.TEXT:
            values[f.key] = card.full_name
        elif f.key in PREFILL_BIRTH and f.type == FieldType.DATE:
            values[f.key] = card.birth_date.isoformat()
        elif f.key in PREFILL_ADDRESS and f.type in (FieldType.TEXT, FieldType.TEXTAREA):
            values[f.key] = card.address
    return values


@official_required
@require_http_methods(["GET", "POST"])
def walk_in(request: HttpRequest) -> HttpResponse:
    agencies = _reception_agencies(request)
    if not agencies:
        raise PermissionDenied(_("Chỉ cán bộ một cửa tiếp nhận hồ sơ trực tiếp."))

    def param(name: str) -> str:
        return str(request.POST.get(name) or request.GET.get(name) or "").strip()

    agency = next((a for a in agencies if str(a.pk) == param("co-quan")), agencies[0])
    code = param("thu-tuc")
    if not code:
        return _choose_procedure(request, agencies, agency)
    procedure = get_object_or_404(
        services.counter_procedures(agency).select_related("current_version"), code=code)
    definition = procedure.current_version.parsed()

    applicant = {"name": "", "id_number": "", "birth_date": "", "gender": "", "address": "",
                 "phone": "", "email": "", "type": ApplicantType.CITIZEN.value}
    values: dict = {}
    errors: dict[str, list[str]] = {}
    extra_rows: dict[str, int] = {}
    own_errors: dict[str, str] = {}  # field id → message (applicant, documents, QR)
    qr_text = ""
    delivery = Delivery.COUNTER.value
    note = ""
    filled_from_card = False
    if request.method == "POST":
        applicant = {
            "name": " ".join(str(request.POST.get("app-name", "")).split())[:150],
            "id_number": str(request.POST.get("app-id", "")).strip()[:20],
            "birth_date": str(request.POST.get("app-dob", "")).strip()[:10],
            "gender": request.POST.get("app-gender", "") if request.POST.get(
                "app-gender") in GENDERS else "",
            "address": " ".join(str(request.POST.get("app-address", "")).split())[:300],
            "phone": str(request.POST.get("app-phone", "")).strip()[:20],
            "email": str(request.POST.get("app-email", "")).strip()[:254],
            "type": request.POST.get("app-type", "") if request.POST.get(
                "app-type") in ApplicantType.values else ApplicantType.CITIZEN.value,
        }
        delivery = request.POST.get("delivery", delivery)
        if delivery not in Delivery.values:
            delivery = Delivery.COUNTER.value
        note = str(request.POST.get("note", "")).strip()[:2000]
        posted = read_form(request, definition.form)
        values, extra_rows = posted.raw, posted.extra_rows
        qr_text = str(request.POST.get("cccd-qr", ""))[:1000]
        # Text in the QR field is read first, whichever button was pressed: a scanner ends
        # with Enter, which presses the form's first button.
        account_token = str(request.POST.get("app-account", ""))[:200]
        if qr_text.strip() and "|" not in qr_text:
            # Not a card: the citizen's account QR (a signed, short-lived token).
            account = resolve_citizen_token(qr_text)
            if account is None:
                own_errors["cccd-qr"] = _("Mã QR tài khoản không hợp lệ hoặc đã hết hạn; "
                                          "đề nghị công dân mở lại mã trên điện thoại.")
            else:
                applicant.update(_account_applicant(account))
                account_token, qr_text, filled_from_card = qr_text.strip(), "", True
        elif "_read_qr" in request.POST or qr_text.strip():
            try:
                card = parse_qr(qr_text, today=timezone.localdate())
            except CccdError as exc:
                own_errors["cccd-qr"] = exc.message
            else:
                applicant.update(name=card.full_name, id_number=card.id_number,
                                 birth_date=card.birth_date.isoformat(), gender=card.gender,
                                 address=card.address)
                values = _prefill(definition.form, values, card)
                qr_text = ""
                filled_from_card = True
        elif posted.result is not None and request.POST.get("action") == "submit":
            errors = posted.result.errors
            checked = _check_applicant(applicant, own_errors)
            documents = _check_documents(request, definition, own_errors,
                                         posted.result.cleaned)
            account = resolve_citizen_token(account_token) if account_token else None
            if account_token and account is None:
                own_errors["cccd-qr"] = _("Mã QR tài khoản đã hết hạn; quét lại mã của công dân.")
            if not errors and not own_errors:
                dossier = services.enter_walk_in(
                    procedure=procedure, agency=agency, officer=request.user,
                    applicant=checked, form_data=posted.result.cleaned, delivery=delivery,
                    documents=documents, note=note, account=account)
                messages.success(request, _("Đã tiếp nhận hồ sơ %(code)s.") % {
                    "code": dossier.code})
                return redirect("backoffice:dossier", code=dossier.code)
    context = form_context(definition.form, values, errors, extra_rows)
    summary = [(field_id, "", message) for field_id, message in own_errors.items()]
    documents = [{"index": i, "name": d.name, "mandatory": d.mandatory, "condition": d.condition,
                  "error": own_errors.get(f"doc-{i}")} for i, d in enumerate(definition.documents)]
    return render(request, "backoffice/walk_in.html", {
        **_nav(request), **context, "form_errors": summary + context["form_errors"],
        "procedure": procedure, "definition": definition, "agency": agency,
        "agencies": agencies, "applicant": applicant,
        "own_errors": {key.replace("-", "_"): message for key, message in own_errors.items()},
        "qr_text": qr_text, "account_token": account_token if request.method == "POST" else "",
        "documents": documents, "delivery": delivery,
        "deliveries": Delivery.choices, "applicant_types": ApplicantType.choices,
        "genders": GENDERS, "note": note, "filled_from_card": filled_from_card,
        # Files are kept only by a completed intake: say so whenever chosen ones come back.
        "files_lost": request.method == "POST" and bool(request.FILES),
    })


def _account_applicant(user: User) -> dict:
    """The applicant's fields from the citizen's own account, shown to the officer."""
    address = user.address if isinstance(user.address, dict) else {}
    return {"name": user.full_name or user.username, "id_number": user.id_number or "",
            "birth_date": user.date_of_birth.isoformat() if user.date_of_birth else "",
            "gender": {"male": "Nam", "female": "Nữ"}.get(user.gender or "", ""),
            "address": str(address.get("street", "")), "phone": user.phone or "",
            "email": user.email or ""}


def _check_applicant(applicant: dict, errors: dict[str, str]) -> services.WalkInApplicant:
    if not applicant["name"]:
        errors["app-name"] = _("Cần ghi họ và tên người nộp.")
    number = ""
    try:
        parsed = parse_id_number(applicant["id_number"])
        number = parsed.number
    except InvalidIdNumber as exc:
        parsed = None
        errors["app-id"] = str(exc) if applicant["id_number"] else _(
            "Cần ghi số căn cước công dân của người nộp.")
    birth_date = None
    if applicant["birth_date"]:
        try:
            birth_date = date.fromisoformat(applicant["birth_date"])
        except ValueError:
            errors["app-dob"] = _("Ngày sinh không hợp lệ.")
        else:
            if birth_date > timezone.localdate():
                errors["app-dob"] = _("Ngày sinh ở tương lai.")
            elif parsed is not None:
                try:
                    check_birth_year(parsed, birth_date.year)
                except InvalidIdNumber as exc:
                    errors["app-dob"] = str(exc)
    phone = "".join(ch for ch in applicant["phone"] if ch.isdigit() or ch == "+")
    if applicant["phone"] and not 9 <= len(phone.lstrip("+")) <= 12:
        errors["app-phone"] = _("Số điện thoại không hợp lệ.")
    # A mobile number written as accounts write it, so the *1022 hotline finds it; a landline
    # or a foreign number is kept as its digits.
    with contextlib.suppress(InvalidIdentifier):
        phone = normalise_phone(phone)
    if applicant["email"]:
        try:
            validate_email(applicant["email"])
        except ValidationError:
            errors["app-email"] = _("Địa chỉ thư điện tử không hợp lệ.")
    return services.WalkInApplicant(
        name=applicant["name"], id_number=number, birth_date=birth_date,
        gender=applicant["gender"], address=applicant["address"], phone=phone,
        email=applicant["email"], applicant_type=applicant["type"])


def _check_documents(request: HttpRequest, definition, errors: dict[str, str],
                     answers: dict) -> list:
    documents = []
    for index, document in enumerate(definition.documents):
        upload = request.FILES.get(f"doc-{index}")
        if not upload:
            # A document required only for some answers (``required_when``) as online.
            if document_needed(document, answers):
                errors[f"doc-{index}"] = _("Cần đính kèm bản quét «%(name)s».") % {
                    "name": document.name}
            continue
        if refused := upload_error(upload):
            errors[f"doc-{index}"] = refused
        else:
            documents.append((document.name, upload))
    return documents


def _choose_procedure(request: HttpRequest, agencies: list[Agency], agency: Agency):
    query = " ".join(str(request.GET.get("q", "")).split())[:100]
    procedures = services.counter_procedures(agency)
    found = []
    if query:
        exact = list(procedures.filter(code=query)[:1])
        found = exact or catalog_queries.search(procedures, query, limit=50)[:30]
    return render(request, "backoffice/walk_in_choose.html", {
        **_nav(request), "agencies": agencies, "agency": agency, "query": query,
        "found": found, "popular": [] if query else list(
            procedures.order_by("-popularity", "name")[:10]),
    })

