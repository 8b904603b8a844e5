from __future__ import annotations

from operator import attrgetter
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from dichvucong.accounts.conf import oidc_configured
from dichvucong.catalog import queries as catalog_queries
from dichvucong.catalog.formengine import form_defaults, read_submission
from dichvucong.catalog.formrender import bind, flat_errors
from dichvucong.catalog.formviews import (
    check_values,
    form_context,
    page_of_errors,
    places,
    read_form,
)
from dichvucong.catalog.presenters import format_vnd
from dichvucong.core.pagecache import public_page
from dichvucong.core.ratelimit import allow, client_key
from dichvucong.core.text import NAME_MAX, sorted_vietnamese
from dichvucong.datastore import hooks as store_hooks
from dichvucong.dossiers import (
    access,
    actions,
    agents,
    citizen_view,
    exchange,
    journey,
    paperreading,
    prefill,
    reads,
    resumable,
    submission,
)
from dichvucong.dossiers.lifecycle import (
    SUPPLEMENT_STATES,
    Action,
    LifecycleRole,
    TransitionError,
    allowed_actions,
)
from dichvucong.dossiers.models import Attachment, Delivery, Dossier, DossierChannel
from dichvucong.dossiers.uploads import UploadError
from dichvucong.ratings.services import rating_context
from dichvucong.results import declaration_signing
from dichvucong.results.queries import (
    citizen_results_of_dossier,
    dossiers_with_result_available,
    result_available,
    result_available_column,
)
from dichvucong.slips.data import available_slips

CHECK_AGAIN = "kiem-tra"


@login_required
@require_http_methods(["GET", "POST"])
def submit_dossier(request: HttpRequest, code: str) -> HttpResponse:
    procedure = get_object_or_404(
        catalog_queries.active_procedures().select_related("current_version", "field"), code=code)
    if procedure.online_mode == procedure.OnlineMode.NONE:
        raise Http404
    definition = procedure.current_version.parsed()
    agencies = sorted_vietnamese(submission.receiving_agencies(procedure), attrgetter("name"))
    draft = None
    storage_down = False  # the file storage unreachable: the form kept, answered with 503
    draft_id = request.POST.get("draft") or request.GET.get("draft")
    if draft_id:
        followed = access.followed_dossiers(request.user).filter(procedure=procedure)
        draft = followed.filter(state="draft", pk=_number(draft_id)).first()
        if draft is None:
            # «Nộp hồ sơ» pressed twice: the first press filed it.
            filed = followed.exclude(state="draft").filter(pk=_number(draft_id)).first()
            if filed is not None and request.POST.get("action") == "confirm":
                return redirect("dossiers:detail", code=filed.code)
            raise Http404
    # Filing on behalf: the citizen who consented is the applicant (agent_views, agents.py).
    consent, refused = _consent(request, procedure, draft)
    if refused is not None:
        return refused
    if consent is not None and draft is None and consent.dossier_id is not None:
        return redirect(reverse("dossiers:submit", args=[procedure.code])
                        + f"?draft={consent.dossier_id}")
    applicant = consent.citizen if consent is not None else request.user
    refusal = submission.identity_refusal(definition, applicant)
    if refusal:
        return render(request, "dossiers/identity_required.html",
                      {"procedure": procedure, "refusal": refusal,
                       "oidc_configured": oidc_configured()}, status=403)
    errors: dict[str, list[str]] = {}
    document_errors: dict[int, str] = {}
    other_errors: dict[str, str] = {}
    # The fields' defaults, then the applicant's profile: the citizen's, also when an agent
    # files for them.
    values = {**form_defaults(definition.form),
              **prefill.profile_values(definition.form, applicant, prefill.place_name)}
    # A form in sections is filled one section a page (``ProcedureDefinition.form_pages``): the
    # first page also asks where to file, the last one for the documents and the delivery.
    pages = definition.form_pages()
    page_index = min(_number(request.POST.get("page") or request.GET.get("page") or ""),
                     len(pages) - 1)
    action = request.POST.get("action", "")
    extra_rows: dict[str, int] = {}
    delivery = Delivery.ONLINE.value
    # One agency: that one; a ward-level procedure: the applicant's own ward, if known.
    agency_id = (str(agencies[0].pk) if len(agencies) == 1
                 else prefill.home_agency_id(agencies, applicant))
    address_values: dict = {"delivery_address": getattr(applicant, "address", None) or {}}
    address_errors: dict[str, list[str]] = {}
    if draft is not None:
        values = draft.form_data or values
        agency_id = str(draft.agency_id)
        delivery = draft.delivery
        address_values = {"delivery_address": draft.delivery_address or {}}

    if request.method == "POST" and request.POST.get("action") == "confirm":
        # «Nộp hồ sơ» on the check page: file the draft as kept, checked again.
        if draft is None:
            return redirect("dossiers:submit", code=procedure.code)
        result = check_values(definition.form, draft.form_data or {})
        check = _check_draft(procedure, definition, draft, result, agencies)
        page_index = _page_with_errors(pages, check.errors, page_index)
        if not check.errors:
            dossier = submission.submit(draft, request.user, result.cleaned, check.delivery,
                                        check.delivery_address)
            request.session[journey.JUST_FILED] = dossier.code
            return redirect("dossiers:detail", code=dossier.code)
        # Something changed since the check (a rule, a withdrawn consent …): back to the form.
        found = check.errors
        errors, address_errors, document_errors = (found.form, found.delivery_address,
                                                   found.documents)
        other_errors = {key: message for key, message in
                        (("agency", found.agency), ("delivery", found.delivery)) if message}
    elif request.method == "GET" and draft is not None and request.GET.get(CHECK_AGAIN):
        # The check page again, by GET, while the draft still passes: back from «Ký số tờ
        # khai», or reloaded to see what the worker has read on the papers since.
        result = check_values(definition.form, draft.form_data or {})
        check = _check_draft(procedure, definition, draft, result, agencies)
        if not check.errors or _sign_on_check_page(check.errors):
            return _check_answers(request, procedure, definition, draft, result.cleaned, check,
                                  consent)
    elif request.method == "POST":
        agency_id = request.POST.get("agency", agency_id)
        delivery = request.POST.get("delivery", delivery)
        # The draft is kept with an agency the procedure allows, whatever was posted;
        # check_filing below says what is wrong with the one posted.
        agency = (submission.receiving_agency(procedure, agency_id, agencies)
                  or (agencies[0] if agencies else None))
        if draft is None and agency is not None and consent is not None:
            with transaction.atomic():
                draft = submission.start_draft(procedure, applicant, agency,
                                               submitted_by=request.user)
                agents.link_dossier(consent, draft, request.user)
        elif draft is None and agency is not None:
            draft = submission.start_draft(procedure, request.user, agency)
        elif draft is not None and agency is not None and draft.agency_id != agency.pk:
            draft.agency = agency
            draft.save(update_fields=["agency", "updated_at"])
        # Every file chosen is kept on the draft, whatever else is wrong with the form.
        for index, document in enumerate(definition.documents):
            upload = request.FILES.get(f"doc-{index}")
            try:
                if not upload and request.POST.get(f"doc-{index}-upload"):
                    # Sent beforehand in pieces (uploads.js, resumable.py).
                    upload = resumable.take(request.user, request.POST[f"doc-{index}-upload"])
                if not upload:
                    continue
                draft.attachments.filter(requirement=document.name[:NAME_MAX]).delete()
                submission.attach(draft, document.name, upload, request.user)
            except UploadError as exc:
                document_errors[index] = str(exc)
                storage_down = storage_down or exc.status == 503
        # A required document taken from the citizen's personal data store, with no upload.
        document_errors.update(store_hooks.apply_form(request, draft, definition))
        posted = read_form(request, pages[page_index].fields)
        # This page's answers over those kept from the other pages (of this form's fields).
        values = {f.key: v for f in definition.form
                  if (v := posted.raw.get(f.key, values.get(f.key))) is not None}
        extra_rows = posted.extra_rows
        last = page_index == len(pages) - 1
        if last:  # the delivery is asked on the last page only
            address_values = read_submission([submission.POST_ADDRESS], request.POST)
            draft.delivery = delivery if delivery in Delivery.values else Delivery.ONLINE.value
            draft.delivery_address = address_values["delivery_address"]
        delivery = draft.delivery
        answers = submission.to_json(values)
        if answers != draft.form_data:  # a signed declaration is of the answers it signed
            submission.drop_declaration(draft)
        draft.form_data = answers
        draft.save(update_fields=["form_data", "delivery", "delivery_address", "updated_at"])
        page_url = reverse("dossiers:submit", args=[procedure.code]) + f"?draft={draft.pk}&page="
        if posted.result is not None and action == "back" and page_index > 0:
            return redirect(page_url + str(page_index - 1))  # kept as typed, checked later
        if posted.result is not None and len(pages) > 1 and not (last and action == "submit"):
            # «Tiếp tục» (or «Lưu nháp») checks this page's answers only.
            errors = posted.result.errors
            if page_index == 0 and submission.receiving_agency(
                    procedure, agency_id, agencies) is None:
                other_errors["agency"] = submission.AGENCY_MISSING
            if not errors and not other_errors and action == "next":
                return redirect(page_url + str(page_index + 1))
        elif posted.result is not None:  # a submission, not "add a row" or "refresh"
            form_result = (check_values(definition.form, values) if len(pages) > 1
                           else posted.result)
            check = submission.check_filing(
                procedure, definition, agency_id=agency_id,
                delivery=request.POST.get("delivery", delivery), form=form_result,
                documents=draft.attachments.values_list("requirement", flat=True),
                document_errors=document_errors, address_values=address_values,
                agencies=agencies)
            found = check.errors
            errors, address_errors, document_errors = (found.form, found.delivery_address,
                                                       found.documents)
            other_errors = {key: message for key, message in
                            (("agency", found.agency), ("delivery", found.delivery)) if message}
            if (not found or _sign_on_check_page(found)) and action == "submit":
                return _check_answers(request, procedure, definition, draft,
                                      form_result.cleaned, check, consent)
            page_index = _page_with_errors(pages, found, page_index)
        elif submission.receiving_agency(procedure, agency_id, agencies) is None:
            other_errors["agency"] = submission.AGENCY_MISSING

    attached = {}
    if draft is not None:
        attached = {a.requirement: a for a in draft.attachments.all()}
    documents = [
        # A document required only for some answers is marked for the answers given so far.
        {"index": i, "name": d.name, "mandatory": submission.document_needed(d, values),
         "condition": d.condition, "template": d.template, "error": document_errors.get(i),
         "attached": attached.get(d.name[:NAME_MAX])}
        for i, d in enumerate(definition.documents)
    ]
    page = pages[page_index]
    context = form_context(page.fields, values, errors, extra_rows)
    address_fields = bind([submission.POST_ADDRESS], address_values, address_errors,
                          places=places())
    # The error summary in the page's order: agency, the form, documents, delivery, address.
    agency_error = [("f-agency", "", other_errors["agency"])] if "agency" in other_errors else []
    delivery_error = ([("f-delivery", "", other_errors["delivery"])]
                      if "delivery" in other_errors else [])
    last = page_index == len(pages) - 1
    context["form_errors"] = (  # only what this page shows
        (agency_error if page_index == 0 else []) + context["form_errors"]
        + ([(f"doc-{i}", "", message) for i, message in sorted(document_errors.items())]
           + delivery_error + flat_errors(address_fields) if last else []))
    response = render(request, "dossiers/submit.html", {
        **context, "procedure": procedure, "definition": definition, "agencies": agencies,
        "agency_id": agency_id, "documents": documents, "draft": draft,
        "delivery": delivery, "deliveries": Delivery.choices, "other_errors": other_errors,
        "address_fields": address_fields, "consent": consent,
        "page": page, "page_index": page_index, "page_count": len(pages),
        "first_page": page_index == 0, "last_page": page_index == len(pages) - 1,
    }, status=503 if storage_down else 200)
    if storage_down:
        response["Retry-After"] = "30"
    return response


def _sign_on_check_page(errors: submission.FilingErrors) -> bool:
    """Only the declaration's signature is missing, and the check page can have it signed."""
    return errors.only_signature() and declaration_signing.available()


def _page_with_errors(pages, errors, current: int) -> int:
    """The page a filing's errors send the citizen back to: where to file is asked on the
    first; then the first page with a wrong answer; else the current one."""
    if errors.agency:
        return 0
    found = page_of_errors(pages, errors.form)
    return current if found is None else found


def _check_draft(procedure, definition, draft: Dossier, result, agencies):
    return submission.check_filing(
        procedure, definition, agency_id=draft.agency_id, delivery=draft.delivery, form=result,
        documents=draft.attachments.values_list("requirement", flat=True),
        address_values={submission.POST_ADDRESS.key: draft.delivery_address or {}},
        agencies=agencies)


def _check_answers(request: HttpRequest, procedure, definition, draft: Dossier, cleaned: dict,
                   check: submission.FilingCheck, consent) -> HttpResponse:
    """«Kiểm tra lại thông tin»: every answer read back before filing; the draft keeps them."""
    delivery, address = journey.delivery_text(check.delivery, check.delivery_address,
                                              submission.POST_ADDRESS)
    signing = None
    if declaration_signing.available() and definition.form \
            and draft.applicant_id == request.user.pk:
        # Of the answers as kept (before they are cleaned in memory below).
        signing = {"signature": declaration_signing.current(draft),
                   "needed": definition.declaration.signed,
                   "url": reverse("results:sign_declaration", args=[draft.pk])}
    # The fee as filing will price it, on the draft in memory (nothing is saved here).
    draft.form_data = submission.to_json(cleaned)
    quote = submission.quote_fee(draft)
    edit = reverse("dossiers:submit", args=[procedure.code]) + f"?draft={draft.pk}"
    attachments = list(draft.attachments.all())
    readings = paperreading.findings(draft, attachments)
    return render(request, "dossiers/check.html", {
        "procedure": procedure, "draft": draft, "agency": check.agency, "edit": edit,
        # Documents and the delivery are asked on the form's last page.
        "edit_last": edit + (f"&page={last}" if (last := len(definition.form_pages()) - 1)
                             else ""),
        "answers": journey.answers(definition, draft.form_data),
        "documents": journey.documents(definition, attachments),
        # What the worker read on the papers, against the answers above: warnings only.
        "readings": readings,
        "reload": edit + f"&{CHECK_AGAIN}=1" if any(
            r.status == paperreading.PENDING for r in readings) else "",
        "delivery": delivery, "address": address, "consent": consent, "signing": signing,
        "signature_needed": check.errors.only_signature(),
        "fee": None if quote is None else format_vnd(quote.total) if quote.total else "",
        "fee_due": getattr(quote, "due_label", ""),
    })


def _consent(request: HttpRequest, procedure, draft):
    """(the consent this filing is made under or None, a refusal page or None)."""
    if draft is not None:
        if draft.applicant_id == request.user.pk:
            return None, None
        return getattr(draft, "consent", None), None  # followed_dossiers checked it stands
    consent_id = request.POST.get("consent") or request.GET.get("consent")
    if not consent_id:
        return None, None
    try:
        return submission.filing_consent(request.user, consent_id, procedure), None
    except agents.ConsentError as exc:
        if exc.field == "procedure":  # this procedure's page knows no such consent
            raise Http404 from None
        return None, render(request, "dossiers/agent_refused.html", {"message": exc.message},
                            status=exc.status)


MY_DOSSIERS_PAGE = 20
# What a row of «Hồ sơ của tôi» shows (dossiers/my_dossiers.html, ``_listed``), read as values:
# the ORM's cost grows with the columns it reads and the instances it makes (three a row).
MY_DOSSIERS_VALUES = ("id", "code", "state", "channel", "due_at", "procedure__name",
                      "submitted_by_id", "submitted_by__full_name", "submitted_by__username",
                      "result_available")


@login_required
def my_dossiers(request: HttpRequest) -> HttpResponse:
    """The citizen's dossiers, newest first, a page at a time by key (``?truoc=<id>``: older than
    that dossier; no COUNT, so a business with thousands of dossiers costs what a person does)."""
    before = request.GET.get("truoc", "")
    rows = reads.own_values_with_result_flag(MY_DOSSIERS_VALUES, MY_DOSSIERS_PAGE + 1,
                                             before.isdigit(), result_available_column)
    page = _listed(reads.own_rows(rows, request.user.pk,
                                  int(before) if before.isdigit() else None))
    older = page[MY_DOSSIERS_PAGE - 1]["pk"] if len(page) > MY_DOSSIERS_PAGE else None
    drafts = [] if before else reads.DRAFTS.objects(request.user.pk)
    return render(request, "dossiers/my_dossiers.html", {
        "dossiers": page[:MY_DOSSIERS_PAGE], "drafts": drafts,
        "older": older, "paged": before.isdigit(), "draft_days": settings.DRAFT_RETENTION_DAYS})


def _listed(rows) -> list[dict]:
    """Each row (``MY_DOSSIERS_VALUES``) as the list shows it: the status written for the
    citizen (``citizen_view.status``), the page's address, and the agent who filed it for a
    dossier filed by a service agent (named as ``User.__str__`` names them)."""
    page_url = _page_urls()
    return [{"pk": pk, "code": code, "page_url": page_url(code), "procedure_name": procedure,
             "citizen_status": citizen_view.status(state, result_available=available),
             "filer": (full_name or username) if filer_id
             and channel == DossierChannel.SERVICE_AGENT else "",
             "due_at": due_at}
            for (pk, code, state, channel, due_at, procedure, filer_id, full_name, username,
                 available) in rows]


def citizen_statuses(dossiers) -> list:
    """The dossiers, each with ``citizen_status``: the status written for the citizen
    (``citizen_view.status``), one query for which have a result to download unless the rows
    say it already (``result_available_column``); and ``page_url``, the address of the dossier's
    page."""
    dossiers = list(dossiers)
    asked = all(hasattr(d, "result_available") for d in dossiers)
    available = set() if asked else dossiers_with_result_available([d.pk for d in dossiers])
    page_url = _page_urls()
    for dossier in dossiers:
        dossier.citizen_status = citizen_view.status(
            dossier.state, result_available=dossier.result_available if asked
            else dossier.pk in available)
        dossier.page_url = page_url(dossier.code)
    return dossiers


_CODE_SLOT = "__code__"
# What ``reverse`` leaves unquoted in an argument (django.urls.resolvers, RFC 3986's
# sub-delimiters and the path's own characters).
_URL_SAFE = "!$&'()*+,;=/~:@"


def _page_urls():
    """A dossier's page address from its code: ``reverse`` once for a list, the code quoted as
    ``reverse`` quotes it put in its place (a ``{% url %}`` per row was a fifth of the list's
    rendering)."""
    prefix, _slot, suffix = reverse("dossiers:detail", args=[_CODE_SLOT]).partition(_CODE_SLOT)
    return lambda code: f"{prefix}{quote(code, safe=_URL_SAFE)}{suffix}"


@login_required
@require_http_methods(["GET", "POST"])
def dossier_detail(request: HttpRequest, code: str) -> HttpResponse:
    # The applicant's own first (one indexed condition); an agent's consented dossiers (a join
    # and a subquery, costly to build) only when that finds none. The fee and the rating (one
    # row each or none) come joined: the fee parts and the rating prompt read them from the
    # dossier instead of a query each.
    own = reads.OWN_PAGE_DOSSIER.objects(request.user.pk, code)
    dossier = own[0] if own else get_object_or_404(
        access.followed_dossiers(request.user).select_related(*reads.PAGE_RELATED), code=code)
    is_applicant = dossier.applicant_id == request.user.pk
    error = ""
    # One query for the events: the timeline, the supplement asked and the slips list read it.
    # Without their actors: the citizen's timeline names no official, and the slips list needs
    # none. Read before a POST is handled: a POST that changes the dossier redirects, one that
    # fails changed nothing.
    events = reads.EVENTS.objects(dossier.pk)
    request_event = None
    if dossier.state in SUPPLEMENT_STATES:
        request_event = next((e for e in reversed(events)
                              if e.action == Action.request_supplement.value), None)
    items = [line.strip(" -•\t") for line in (request_event.note if request_event else "")
             .splitlines() if line.strip(" -•\t")]
    if request.method == "POST":
        what = request.POST.get("action")
        try:
            if what == "supplement" and dossier.state in SUPPLEMENT_STATES:
                uploads = [(items[i] if i < len(items) else "Bổ sung", f)
                           for i in range(max(len(items), 1))
                           if (f := request.FILES.get(f"supplement-{i}"))]
                note = request.POST.get("note", "").strip()
                if not uploads and not note:
                    raise UploadError("Cần đính kèm giấy tờ được yêu cầu hoặc ghi nội dung "
                                      "bổ sung.")
                with transaction.atomic():
                    for requirement, upload in uploads:
                        submission.attach(dossier, f"Bổ sung: {requirement}", upload,
                                          request.user)
                    actions.perform(dossier.pk, Action.provide_supplement, request.user,
                                    LifecycleRole.applicant, note,
                                    expected_revision=_revision(request),
                                    data={"files": [a for a, _ in uploads],
                                          **submission.on_behalf(request.user, dossier)})
                return redirect("dossiers:detail", code=dossier.code)
            if what == "withdraw" and is_applicant:  # withdrawing stays with the citizen
                actions.perform(dossier.pk, Action.withdraw, request.user, LifecycleRole.applicant,
                                request.POST.get("note", ""),
                                expected_revision=_revision(request))
                return redirect("dossiers:detail", code=dossier.code)
        except (UploadError, TransitionError, actions.StaleDossier) as exc:
            error = getattr(exc, "message", None) or str(exc)
    # The columns the list shows: not the papers' reading (JSON, parsed for nothing).
    attachments: list[Attachment] = reads.ATTACHMENTS.objects(dossier.pk)
    # Read once: the status and the results panel (results/_citizen_dossier.html) share them.
    results = citizen_results_of_dossier(dossier)
    available = result_available(results)
    # A combined procedure's other agencies (liên thông): read only for a dossier ever
    # transferred. Their result files go to the citizen with the dossier's own result.
    handovers = list(dossier.handovers.select_related("to_agency", "result")) \
        if any(e.action == Action.transfer.value for e in events) else []
    results_out = dossier.state in citizen_view.RESULT_STATES
    agency_results = [h.result for h in handovers
                      if h.result_id and results_out and dossier.applicant_id]
    attachments = [a for a in attachments
                   if not a.requirement.startswith(exchange.RESULT_REQUIREMENT)]
    # The confirmation panel, once, on the page the filing led to (``JUST_FILED``).
    just_filed = (request.method == "GET"
                  and request.session.get(journey.JUST_FILED) == dossier.code)
    if just_filed:
        del request.session[journey.JUST_FILED]

    return render(request, "dossiers/detail.html", {
        "dossier": dossier, "timeline": citizen_view.timeline(events),
        "parts": citizen_view.parts(handovers), "agency_results": agency_results,
        "status": citizen_view.status(dossier.state, result_available=available),
        "status_link": available and dossier.state in citizen_view.RESULT_STATES,
        "attachments": attachments, "error": error, "dossier_results": results,
        "slips": available_slips(dossier, events),
        "supplement_items": items if request_event else None, "request_event": request_event,
        "just_filed": just_filed,
        "time_limit": journey.time_limit_text(dossier) if just_filed else "",
        "todos": journey.todos(dossier, supplement_items=items if request_event else None,
                               requested_at=request_event.created_at if request_event else None,
                               result_available=available),
        "can_withdraw": is_applicant and Action.withdraw in allowed_actions(dossier.state,
                                                                            [LifecycleRole.applicant]),
        # Rating the service is the citizen's own say, not the agent's.
        **(rating_context(dossier) if is_applicant else {}),
    }, status=400 if error else 200)


def _number(text: str) -> int:
    return int(text) if text.isdigit() else 0


def _revision(request: HttpRequest) -> int | None:
    try:
        return int(request.POST.get("revision", ""))
    except ValueError:
        return None


LOOKUP_LIMIT = 10  # attempts per address per 10 minutes: enough for typos, too few to guess


# The empty form only (no code in the address): an answer is never cached.
@public_page(None)
def public_lookup(request: HttpRequest) -> HttpResponse:
    """Follow a dossier without logging in: its code plus the applicant's phone number or ID
    number. Shows the progress only, no personal data."""
    code = (request.POST.get("ma") or request.GET.get("ma") or "").strip()
    dossier, error, status, retry_after = None, "", 200, 0
    if request.method == "POST":
        secret = "".join(ch for ch in request.POST.get("xac_minh", "") if ch.isdigit())
        decision = allow("lookup", client_key(request), LOOKUP_LIMIT, 600)
        if not decision:
            minutes = -(-decision.retry_after // 60)
            error, status = f"Bạn đã tra cứu quá nhiều lần. Hãy thử lại sau {minutes} phút.", 429
            retry_after = decision.retry_after
        elif not code or not secret:
            error = "Cần nhập mã hồ sơ và số điện thoại hoặc số căn cước công dân."
        else:
            candidate = (Dossier.objects.select_related("procedure", "agency")
                         .exclude(state="draft").filter(code=code).first())
            if candidate and secret in {candidate.applicant_id_number,
                                        _digits(candidate.applicant_phone)} - {""}:
                dossier = candidate
            else:
                # One message for both cases: it must not tell whether the code exists.
                error = "Không tìm thấy hồ sơ khớp mã và thông tin xác minh."
    events = list(dossier.events.only("action", "to_state", "created_at")) if dossier else []
    response = render(request, "dossiers/lookup.html", {
        "code": code, "dossier": dossier, "events": events, "error": error,
    }, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def _digits(text: str) -> str:
    return "".join(ch for ch in text or "" if ch.isdigit())


# --- resumable uploads (tus 1.0.0, resumable.py) ---------------------------------------------


def _tus(response: HttpResponse) -> HttpResponse:
    response["Tus-Resumable"] = resumable.VERSION
    response["Cache-Control"] = "no-store"
    return response


def _tus_refusal(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return _tus(HttpResponse("Cần đăng nhập.", status=403))
    if request.method != "OPTIONS" and request.headers.get("Tus-Resumable") != resumable.VERSION:
        response = _tus(HttpResponse(status=412))
        response["Tus-Version"] = resumable.VERSION
        return response
    return None


@require_http_methods(["OPTIONS", "POST"])
def resumable_uploads(request: HttpRequest) -> HttpResponse:
    """``POST`` begins an upload (``Upload-Length``, ``Upload-Metadata``); ``OPTIONS`` says
    what this server speaks."""
    refused = _tus_refusal(request)
    if refused is not None:
        return refused
    if request.method == "OPTIONS":
        response = _tus(HttpResponse(status=204))
        response["Tus-Version"] = resumable.VERSION
        response["Tus-Extension"] = resumable.EXTENSIONS
        response["Tus-Max-Size"] = str(resumable.MAX_BYTES)
        return response
    try:
        length = int(request.headers.get("Upload-Length", ""))
        upload = resumable.create(request.user, length,
                                  resumable.file_name(request.headers.get("Upload-Metadata", "")))
    except ValueError as exc:  # UploadError is a ValueError too
        status = 413 if str(exc) == resumable.TOO_LARGE else 400
        return _tus(HttpResponse(str(exc) if isinstance(exc, UploadError) else
                                 "Upload-Length?", status=status))
    response = _tus(HttpResponse(status=201))
    response["Location"] = reverse("dossiers:resumable_upload", args=[upload.token])
    return response


@require_http_methods(["HEAD", "PATCH", "DELETE"])
def resumable_upload(request: HttpRequest, token: str) -> HttpResponse:
    """``HEAD``: where the upload stands; ``PATCH``: the next piece; ``DELETE``: give it up."""
    refused = _tus_refusal(request)
    if refused is not None:
        return refused
    upload = resumable.find(request.user, token)
    if upload is None:
        return _tus(HttpResponse(status=404))
    if request.method == "DELETE":
        resumable.remove(upload)
        return _tus(HttpResponse(status=204))
    if request.method == "PATCH":
        if request.content_type != "application/offset+octet-stream":
            return _tus(HttpResponse(status=415))
        try:
            upload = resumable.append(upload, int(request.headers.get("Upload-Offset", "")),
                                      request.body)
        except resumable.Conflict:
            return _tus(HttpResponse(status=409))
        except ValueError as exc:
            return _tus(HttpResponse(str(exc), status=413 if isinstance(exc, UploadError)
                                     else 400))
        response = _tus(HttpResponse(status=204))
    else:
        response = _tus(HttpResponse(status=200))
        response["Upload-Length"] = str(upload.length)
    response["Upload-Offset"] = str(upload.offset)
    return response
