"""Pages for filing on behalf (the rules are in ``agents.py``): the agent's list and the consent
steps; the citizen's list of consents with revocation."""

from __future__ import annotations

import hashlib

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from dichvucong.accounts import services
from dichvucong.accounts.forms import CodeForm
from dichvucong.accounts.identifiers import mask_contact
from dichvucong.accounts.models import OneTimeCode
from dichvucong.catalog import queries as catalog_queries
from dichvucong.core import ratelimit
from dichvucong.dossiers import access, agents
from dichvucong.dossiers.views import citizen_statuses
from dichvucong.notify.gateways import DeliveryError

SESSION_KEY = "dossiers.consent_request"
NOT_SENT = ("Không gửi được mã xác nhận tới công dân lúc này. Hãy kiểm tra lại số điện thoại, "
            "hoặc thử lại sau.")
TOO_MANY = "Đã gửi quá nhiều mã trong ít phút. Vui lòng chờ 10 phút rồi thử lại."


class ConsentStartForm(forms.Form):
    procedure = forms.CharField(label=_("Mã thủ tục"), max_length=40,
                                help_text=_("Ví dụ 1.001193; xem trên trang thủ tục."))
    citizen = forms.CharField(
        label=_("Số điện thoại hoặc số CCCD của công dân"), max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("Mã xác nhận được gửi tới điện thoại (hoặc email) của tài khoản công dân."))
    full_name = forms.CharField(
        label=_("Họ và tên công dân (nếu chưa có tài khoản)"), max_length=150, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_("Chỉ cần khi công dân chưa có tài khoản: tài khoản được tạo với số điện "
                    "thoại trên sau khi công dân đọc mã xác nhận."))

    def clean_procedure(self):
        code = self.cleaned_data["procedure"].strip()
        procedure = catalog_queries.active_procedures().filter(code=code).first()
        if procedure is None:
            raise forms.ValidationError(_("Không có thủ tục với mã này."))
        if procedure.online_mode == procedure.OnlineMode.NONE:
            raise forms.ValidationError(_("Thủ tục này không nộp trực tuyến."))
        return procedure


def _may_send(request: HttpRequest, identifier: str) -> bool:
    key = hashlib.sha256(identifier.encode()).hexdigest()[:32]
    return (ratelimit.allow("agents-code-to", key, 3, 600)
            and ratelimit.allow("agents-code-from", str(request.user.pk), 30, 3600))


@login_required
def agent_home(request: HttpRequest) -> HttpResponse:
    if agents.agent_role(request.user) is None:
        return render(request, "dossiers/agent_refused.html", {"message": agents.NOT_AGENT},
                      status=403)
    dossiers = (access.agent_dossiers(request.user).select_related("procedure", "applicant")
                .order_by("-created_at")[:100])
    return render(request, "dossiers/agent_home.html", {"dossiers": citizen_statuses(dossiers)})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def agent_start(request: HttpRequest) -> HttpResponse:
    if agents.agent_role(request.user) is None:
        return render(request, "dossiers/agent_refused.html", {"message": agents.NOT_AGENT},
                      status=403)
    form = ConsentStartForm(request.POST or None,
                            initial={"procedure": request.GET.get("thu_tuc", "")})
    if request.method == "POST" and form.is_valid():
        identifier = "".join(form.cleaned_data["citizen"].split())
        if not _may_send(request, identifier):
            form.add_error(None, TOO_MANY)
        else:
            try:
                sent = agents.request_consent(request.user, form.cleaned_data["procedure"],
                                              identifier, form.cleaned_data["full_name"])
            except agents.ConsentError as exc:
                form.add_error(exc.field, exc.message)
            except DeliveryError:
                form.add_error(None, NOT_SENT)
            else:
                request.session[SESSION_KEY] = sent.record.pk
                return redirect("dossiers:agent_confirm")
    return render(request, "dossiers/agent_start.html", {"form": form})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def agent_confirm(request: HttpRequest) -> HttpResponse:
    if agents.agent_role(request.user) is None:
        return render(request, "dossiers/agent_refused.html", {"message": agents.NOT_AGENT},
                      status=403)
    record_id = request.session.get(SESSION_KEY)
    record = (OneTimeCode.objects.filter(pk=record_id, purpose=agents.PURPOSE,
                                         data__agent=request.user.pk).first()
              if record_id else None)
    if record is None:
        messages.info(request, "Hãy nhập thông tin công dân để gửi mã xác nhận trước.")
        return redirect("dossiers:agent_start")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and "resend" in request.POST:
        if not _may_send(request, record.destination):
            messages.error(request, TOO_MANY)
        else:
            try:
                new = services.resend_code(record.pk, agents.PURPOSE)
            except DeliveryError:
                messages.error(request, NOT_SENT)
            else:
                request.session[SESSION_KEY] = new.pk
                messages.success(request, "Đã gửi mã mới. Mã cũ không còn dùng được.")
        return redirect(request.path)
    if request.method == "POST" and form.is_valid():
        try:
            consent = agents.confirm_consent(request.user, record.pk, form.cleaned_data["code"])
        except agents.ConsentError as exc:
            form.add_error("code", exc.message)
        else:
            request.session.pop(SESSION_KEY, None)
            messages.success(request, "Công dân đã đồng ý. Hãy điền và nộp hồ sơ cho công dân.")
            return redirect(reverse("dossiers:submit", args=[consent.procedure.code])
                            + f"?consent={consent.pk}")
    return render(request, "dossiers/agent_confirm.html", {
        "form": form, "destination": mask_contact(record.destination), "channel": record.channel,
        "new_account": record.user_id is None, "demo_mode": settings.DEMO,
    }, status=400 if form.errors else 200)


@login_required
def my_consents(request: HttpRequest) -> HttpResponse:
    return render(request, "dossiers/consents.html",
                  {"consents": agents.consents_of(request.user)})


@login_required
@require_POST
def revoke_consent(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        agents.revoke(request.user, pk)
    except agents.ConsentError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Đã thu hồi sự đồng ý. Người nộp thay không còn xem hay thao "
                                  "tác được trên hồ sơ này.")
    return redirect("dossiers:consents")
