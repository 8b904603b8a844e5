"""/quan-tri/: a system administrator registers a system or an app, sees its secret once,
rotates the secret, revokes its tokens, and reads the calls it made."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from oauth2_provider import models as oauth_models

from dichvucong.agencies.models import Agency
from dichvucong.apiclients import services
from dichvucong.apiclients.models import (
    DEFAULT_RATE_LIMIT,
    ClientCall,
    IssuerType,
    MachineClient,
)
from dichvucong.apiclients.scopes import DOCUMENTS_ISSUE, SCOPES
from dichvucong.apiclients.services import Kind
from dichvucong.core.admin import ReadOnlyAdmin

# One place to manage clients: django-oauth-toolkit's own admin pages would show applications
# without their agency and scopes, and let a secret be typed in.
for model in (oauth_models.get_application_model(), oauth_models.get_access_token_model(),
              oauth_models.get_refresh_token_model(), oauth_models.get_grant_model(),
              oauth_models.get_id_token_model(), oauth_models.DeviceGrant):
    if admin.site.is_registered(model):
        admin.site.unregister(model)

KINDS = [(Kind.SYSTEM.value, _("Hệ thống của cơ quan (client credentials, có khóa bí mật)")),
         (Kind.APP.value, _("Ứng dụng di động thay mặt công dân (authorization code + PKCE, "
                            "không có khóa bí mật)"))]


class ClientForm(forms.Form):
    name = forms.CharField(label=_("Tên hệ thống"), max_length=255)
    kind = forms.ChoiceField(label=_("Loại"), choices=KINDS, widget=forms.RadioSelect)
    agency = forms.ModelChoiceField(
        label=_("Cơ quan"), queryset=Agency.objects.order_by("name"), required=False,
        help_text=_("Hệ thống của cơ quan chỉ xem hồ sơ, kết quả và số liệu của cơ quan đó; để "
                    "trống: số liệu toàn thành phố, không xem hồ sơ. Ứng dụng di động: để "
                    "trống (nó thấy hồ sơ của công dân cho phép nó)."))
    scopes = forms.MultipleChoiceField(label=_("Phạm vi quyền"), choices=list(SCOPES.items()),
                                       widget=forms.CheckboxSelectMultiple)
    redirect_uris = forms.CharField(
        label=_("Địa chỉ chuyển hướng"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Chỉ cho ứng dụng di động: các địa chỉ https cách nhau bởi dấu cách."))
    rate_limit = forms.IntegerField(label=_("Giới hạn lượt gọi mỗi phút"), min_value=1,
                                    initial=DEFAULT_RATE_LIMIT)
    issuer_type = forms.ChoiceField(
        label=_("Loại tổ chức cấp giấy tờ"), required=False,
        choices=[("", _("— Không phải tổ chức cấp giấy tờ —")), *IssuerType.choices],
        help_text=_("Chỉ cho hệ thống có phạm vi «documents:issue» (bệnh viện, trường học, "
                    "ngân hàng gửi giấy tờ vào kho dữ liệu của công dân)."))
    issuer_certificate = forms.CharField(
        label=_("Chứng thư số tin cậy của tổ chức cấp (PEM)"), required=False,
        widget=forms.Textarea(attrs={"rows": 4}))

    def clean(self):
        data = super().clean()
        kind, uris = data.get("kind"), (data.get("redirect_uris") or "").split()
        if kind == Kind.APP and not uris:
            self.add_error("redirect_uris", _("Ứng dụng di động cần ít nhất một địa chỉ "
                                              "chuyển hướng."))
        if kind == Kind.SYSTEM and uris:
            self.add_error("redirect_uris", _("Hệ thống dùng client credentials không có địa "
                                              "chỉ chuyển hướng."))
        if kind == Kind.APP and data.get("agency"):
            self.add_error("agency", _("Ứng dụng di động thay mặt công dân, không thuộc cơ "
                                       "quan nào."))
        data["redirect_uris"] = " ".join(uris)
        if DOCUMENTS_ISSUE in (data.get("scopes") or []):
            if kind != Kind.SYSTEM:
                self.add_error("scopes", _("Chỉ hệ thống của tổ chức (client credentials) mới "
                                           "gửi giấy tờ vào kho."))
            if not data.get("issuer_type"):
                self.add_error("issuer_type", _("Tổ chức cấp giấy tờ cần có loại tổ chức."))
            problem = services.certificate_problem(data.get("issuer_certificate") or "")
            if problem:
                self.add_error("issuer_certificate", problem)
        return data


@admin.register(MachineClient)
class MachineClientAdmin(admin.ModelAdmin):
    list_display = ("name", "client_id", "kind", "agency", "scopes", "rate_limit", "created_at")
    list_select_related = ("application", "agency")
    search_fields = ("application__name", "application__client_id")

    @admin.display(description=_("tên"), ordering="application__name")
    def name(self, obj: MachineClient) -> str:
        return obj.application.name

    @admin.display(description="client_id")
    def client_id(self, obj: MachineClient) -> str:
        return obj.application.client_id

    @admin.display(description=_("loại"))
    def kind(self, obj: MachineClient) -> str:
        return dict(KINDS)[services.kind_of(obj).value]

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/doi-khoa/", view(self.rotate_view), name="apiclients_rotate"),
            path("<int:pk>/thu-hoi/", view(self.revoke_view), name="apiclients_revoke"),
        ] + super().get_urls()

    def _form_view(self, request, form, title, obj=None):
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "title": title, "form": form, "original": obj}
        return TemplateResponse(request, "admin/apiclients/machineclient/form.html", context)

    def _secret_page(self, request, client: MachineClient, secret: str):
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "title": _("Khóa bí mật của hệ thống"), "client": client, "secret": secret}
        response = TemplateResponse(request, "admin/apiclients/machineclient/secret.html",
                                    context)
        response["Cache-Control"] = "no-store"
        return response

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ClientForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                client, secret = services.register(
                    name=data["name"], kind=Kind(data["kind"]), scopes=data["scopes"],
                    agency=data["agency"], redirect_uris=data["redirect_uris"],
                    rate_limit=data["rate_limit"], by=request.user,
                    issuer_type=data["issuer_type"],
                    issuer_certificate=data["issuer_certificate"])
            except ValidationError as exc:
                form.add_error("redirect_uris" if "redirect_uris" in getattr(
                    exc, "error_dict", {}) else None, exc)
            else:
                self.log_addition(request, client, [{"added": {}}])
                if secret:
                    return self._secret_page(request, client, secret)
                messages.success(request, _("Đã đăng ký ứng dụng."))
                return redirect("admin:apiclients_machineclient_change", client.pk)
        return self._form_view(request, form, _("Đăng ký hệ thống kết nối"))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        client = self.get_object(request, object_id)
        if client is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, client):
            raise PermissionDenied
        app = client.application
        initial = {"name": app.name, "kind": services.kind_of(client).value,
                   "agency": client.agency, "scopes": client.scope_list,
                   "redirect_uris": app.redirect_uris, "rate_limit": client.rate_limit,
                   "issuer_type": client.issuer_type,
                   "issuer_certificate": client.issuer_certificate}
        form = ClientForm(request.POST or None, initial=initial)
        form.fields["kind"].disabled = True
        if (request.method == "POST" and self.has_change_permission(request, client)
                and form.is_valid()):
            data = form.cleaned_data
            with transaction.atomic():
                app.name, app.redirect_uris = data["name"], data["redirect_uris"]
                app.save(update_fields=["name", "redirect_uris", "updated"])
                client.agency, client.rate_limit = data["agency"], data["rate_limit"]
                client.scopes = " ".join(data["scopes"])
                client.issuer_type = data["issuer_type"]
                client.issuer_certificate = data["issuer_certificate"].strip()
                client.save(update_fields=["agency", "rate_limit", "scopes", "issuer_type",
                                           "issuer_certificate"])
            self.log_change(request, client, [{"changed": {"fields": list(form.changed_data)}}])
            messages.success(request, _("Đã lưu. Mã truy cập đã cấp giữ phạm vi cũ đến khi hết "
                                        "hạn; thu hồi chúng nếu cần áp dụng ngay."))
            return redirect("admin:apiclients_machineclient_change", client.pk)
        response = self._form_view(request, form, str(client), client)
        response.context_data["calls"] = client.calls.order_by("-at")[:20]
        response.context_data["is_system"] = services.kind_of(client) == Kind.SYSTEM
        return response

    def rotate_view(self, request, pk: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        client = get_object_or_404(MachineClient.objects.select_related("application"), pk=pk)
        if not self.has_change_permission(request, client) or \
                services.kind_of(client) != Kind.SYSTEM:
            raise PermissionDenied
        secret = services.rotate_secret(client)
        self.log_change(request, client, [{"changed": {"fields": ["client_secret"]}}])
        return self._secret_page(request, client, secret)

    def revoke_view(self, request, pk: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        client = get_object_or_404(MachineClient.objects.select_related("application"), pk=pk)
        if not self.has_change_permission(request, client):
            raise PermissionDenied
        count = services.revoke_tokens(client)
        messages.success(request, _("Đã thu hồi %(count)d mã truy cập.") % {"count": count})
        return redirect(reverse("admin:apiclients_machineclient_change", args=[client.pk]))


@admin.register(ClientCall)
class ClientCallAdmin(ReadOnlyAdmin):
    list_display = ("at", "client", "operation", "status", "error")
    list_filter = ("status", "error")
    list_select_related = ("client__application",)
    search_fields = ("client__application__name", "client__application__client_id", "operation")
    date_hierarchy = "at"
