"""The *1022 hotline console: calls, finding the caller, their dossiers, the FAQ, turning a call
into feedback or into a filing on the caller's behalf with their one-time-code consent, and the
call statistics. The rules are in ``services.py`` (and ``dossiers/agents.py`` for the consent)."""

from __future__ import annotations

import datetime as dt
import functools

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from dichvucong.accounts.forms import CodeForm
from dichvucong.accounts.identifiers import mask_contact
from dichvucong.accounts.models import OneTimeCode
from dichvucong.catalog import queries as catalog_queries
from dichvucong.dossiers import agents
from dichvucong.feedback import services as feedback
from dichvucong.feedback.forms import FeedbackForm
from dichvucong.feedback.models import Source
from dichvucong.guidance import services as guidance
from dichvucong.hotline import services
from dichvucong.hotline.models import CallTicket, Outcome, Reason
from dichvucong.notify.gateways import DeliveryError

CONSENT_KEY = "hotline.consent_request"  # {"ticket": …, "record": …}


class FindForm(forms.Form):
    identifier = forms.CharField(
        label=_("Số điện thoại, số CCCD hoặc mã hồ sơ của người gọi"), max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off"}))


class CloseForm(forms.Form):
    reason = forms.ChoiceField(label=_("Lý do gọi"), choices=[("", "—"), *Reason.choices])
    procedure_code = forms.CharField(label=_("Mã thủ tục (nếu có)"), max_length=40,
                                     required=False)
    outcome = forms.ChoiceField(label=pgettext_lazy("call", "Kết quả"),
                                choices=[("", "—"), *Outcome.choices])
    follow_up = forms.CharField(label=_("Việc cần làm tiếp"), max_length=500, required=False)
    note = forms.CharField(label=_("Ghi chú"), required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))


class AssistForm(forms.Form):
    procedure = forms.CharField(label=_("Mã thủ tục công dân muốn nộp"), max_length=40)


def _refuse(request: HttpRequest, error: services.HotlineError) -> HttpResponse:
    return render(request, "hotline/refused.html", {"message": error.message},
                  status=error.status)


def during_call(view):
    """The view runs for the operator's own open call, given as ``ticket``; else refused."""
    @login_required
    @functools.wraps(view)
    def wrapper(request: HttpRequest, pk: int, *args, **kwargs) -> HttpResponse:
        try:
            ticket = services.open_call(request.user, pk)
        except services.HotlineError as exc:
            return _refuse(request, exc)
        return view(request, ticket, *args, **kwargs)
    return wrapper


@login_required
def console(request: HttpRequest) -> HttpResponse:
    if not services.is_operator(request.user):
        return _refuse(request, services.HotlineError(services.NOT_OPERATOR, status=403))
    return render(request, "hotline/console.html",
                  {"calls": services.recent_calls(request.user)})


@login_required
@require_POST
def new_call(request: HttpRequest) -> HttpResponse:
    try:
        ticket = services.start_call(request.user)
    except services.HotlineError as exc:
        return _refuse(request, exc)
    return redirect("hotline:call", ticket.pk)


@never_cache
@require_http_methods(["GET", "POST"])
@during_call
def call(request: HttpRequest, ticket: CallTicket) -> HttpResponse:
    action = request.POST.get("action")
    find_form = FindForm(request.POST if action == "find" else None)
    close_form = CloseForm(request.POST if action == "close" else None,
                           initial={"procedure_code": request.GET.get("thu_tuc", "")})
    caller = None
    if action == "find" and find_form.is_valid():
        try:
            caller = services.find_caller(ticket, find_form.cleaned_data["identifier"])
        except services.HotlineError as exc:
            find_form.add_error("identifier", exc.message)
    elif action == "close" and close_form.is_valid():
        data = close_form.cleaned_data
        try:
            services.close_call(ticket, services.Closing(
                reason=data["reason"], outcome=data["outcome"],
                procedure_code=data["procedure_code"], follow_up=data["follow_up"],
                note=data["note"]))
        except services.HotlineError as exc:
            close_form.add_error(exc.field if exc.field in close_form.fields else None,
                                 exc.message)
        else:
            messages.success(request, "Đã lưu cuộc gọi.")
            return redirect("hotline:console")
    if caller is None:
        caller = services.caller_of(ticket)
    query = request.GET.get("hoi", "").strip()[:100]
    errors = find_form.errors or close_form.errors
    return render(request, "hotline/call.html", {
        "ticket": ticket, "find_form": find_form, "close_form": close_form, "caller": caller,
        "query": query, "answers": guidance.search(query, kind="faq")[:5] if query else [],
        "assist_form": AssistForm(),
    }, status=400 if errors else 200)


@during_call
def call_dossier(request: HttpRequest, ticket: CallTicket, code: str) -> HttpResponse:
    try:
        view = services.dossier_for_call(ticket, code)
    except services.HotlineError as exc:
        return _refuse(request, exc)
    return render(request, "hotline/dossier.html", {"ticket": ticket, "view": view})


@never_cache
@require_http_methods(["GET", "POST"])
@during_call
def call_feedback(request: HttpRequest, ticket: CallTicket) -> HttpResponse:
    """The call becomes a feedback: sent for the caller, who gets the answer."""
    citizen = ticket.citizen
    initial = {"name": citizen.full_name if citizen else "",
               "dossier_code": ticket.dossier.code if ticket.dossier else ""}
    form = FeedbackForm(request.POST or None, initial=initial)
    form.fields.pop("files")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        draft = form.draft()
        phone = citizen.phone if citizen and citizen.phone_verified else ""
        sender = feedback.Sender(user=citizen, name=data["name"], phone=phone,
                                 email=data["email"])
        try:
            sent = feedback.submit(draft, sender, source=Source.HOTLINE)
        except feedback.FeedbackError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            CallTicket.objects.filter(pk=ticket.pk).update(feedback=sent)
            messages.success(request, f"Đã gửi phản ánh {sent.reference} tới {sent.agency.name}.")
            return redirect("hotline:call", ticket.pk)
    return render(request, "hotline/feedback.html", {"ticket": ticket, "form": form},
                  status=400 if form.errors else 200)


@require_POST
@during_call
def assist_start(request: HttpRequest, ticket: CallTicket) -> HttpResponse:
    """Ask the caller's consent to file for them: a code to the caller's phone."""
    form = AssistForm(request.POST)
    procedure = None
    if form.is_valid():
        procedure = catalog_queries.active_procedures().filter(
            code=form.cleaned_data["procedure"].strip()).first()
    if procedure is None or ticket.citizen is None:
        messages.error(request, "Tìm người gọi (có tài khoản) và nhập đúng mã thủ tục trước.")
        return redirect("hotline:call", ticket.pk)
    identifier = ticket.citizen.phone or ticket.citizen.id_number
    try:
        sent = agents.request_consent(request.user, procedure, identifier)
    except agents.ConsentError as exc:
        messages.error(request, exc.message)
        return redirect("hotline:call", ticket.pk)
    except DeliveryError:
        messages.error(request, "Không gửi được mã xác nhận tới người gọi lúc này.")
        return redirect("hotline:call", ticket.pk)
    CallTicket.objects.filter(pk=ticket.pk).update(procedure=procedure)
    request.session[CONSENT_KEY] = {"ticket": ticket.pk, "record": sent.record.pk}
    return redirect("hotline:assist_confirm", ticket.pk)


@never_cache
@require_http_methods(["GET", "POST"])
@during_call
def assist_confirm(request: HttpRequest, ticket: CallTicket) -> HttpResponse:
    """The caller reads the code aloud; the consent is recorded and the filing starts."""
    pending = request.session.get(CONSENT_KEY) or {}
    record = (OneTimeCode.objects.filter(pk=pending.get("record"), purpose=agents.PURPOSE,
                                         data__agent=request.user.pk).first()
              if pending.get("ticket") == ticket.pk else None)
    if record is None:
        return redirect("hotline:call", ticket.pk)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            consent = agents.confirm_consent(request.user, record.pk, form.cleaned_data["code"])
        except agents.ConsentError as exc:
            form.add_error("code", exc.message)
        else:
            request.session.pop(CONSENT_KEY, None)
            CallTicket.objects.filter(pk=ticket.pk).update(consent=consent,
                                                           outcome=Outcome.ASSISTED)
            messages.success(request, "Người gọi đã đồng ý. Hãy điền và nộp hồ sơ cho họ.")
            return redirect(reverse("dossiers:submit", args=[consent.procedure.code])
                            + f"?consent={consent.pk}")
    return render(request, "hotline/assist_confirm.html", {
        "ticket": ticket, "form": form, "destination": mask_contact(record.destination),
        "channel": record.channel, "demo_mode": settings.DEMO,
    }, status=400 if form.errors else 200)


@login_required
def statistics(request: HttpRequest) -> HttpResponse:
    if not services.is_operator(request.user):
        return _refuse(request, services.HotlineError(services.NOT_OPERATOR, status=403))
    today = timezone.localdate()
    start = today - dt.timedelta(days=29)
    return render(request, "hotline/statistics.html", {
        "stats": services.statistics(start, today), "start": start, "end": today})
