"""/quan-tri/: a system administrator subscribes a registered system to dossier events, sees
the signing secret once (at creation and rotation), and follows the delivery log with a
resend."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from dichvucong.apiclients.models import MachineClient
from dichvucong.core.admin import ReadOnlyAdmin
from dichvucong.webhooks import outbox, signing
from dichvucong.webhooks.events import LABELS
from dichvucong.webhooks.models import Delivery, DeliveryState, Subscription


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(label=_("Địa chỉ nhận"), max_length=500, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        label=_("Loại sự kiện"), choices=[(k.value, v) for k, v in LABELS.items()],
        required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("Không chọn: mọi loại. Chỉ gửi sự kiện của hồ sơ thuộc cơ quan của hệ "
                    "thống, khi hệ thống có phạm vi «dossiers:read»."))

    class Meta:
        model = Subscription
        fields = ["client", "url", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only systems of an agency see dossiers (``access.system_dossiers``).
        self.fields["client"].queryset = (MachineClient.objects.filter(agency__isnull=False)
                                          .select_related("application"))
        self.fields["event_types"].initial = self.instance.event_list

    def clean_url(self):
        url = self.cleaned_data["url"]
        if settings.MODE == "production" and not url.startswith("https://"):
            raise forms.ValidationError(_("Địa chỉ nhận phải dùng https."))
        return url

    def save(self, commit=True):
        self.instance.events = " ".join(self.cleaned_data["event_types"])
        return super().save(commit)


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    change_form_template = "admin/webhooks/subscription/change_form.html"
    list_display = ["client", "url", "events", "active", "log", "created_at"]
    list_filter = ["active"]
    list_select_related = ["client__application"]
    search_fields = ["client__application__name", "url"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            failed=Count("deliveries", filter=Q(deliveries__state=DeliveryState.FAILED)))

    @admin.display(description=_("nhật ký gửi"))
    def log(self, obj: Subscription):
        url = reverse("admin:webhooks_delivery_changelist") + f"?subscription__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("%(n)d lượt lỗi") % {"n": obj.failed})

    def get_urls(self):
        view = self.admin_site.admin_view
        return [path("<int:pk>/doi-khoa/", view(self.rotate_view), name="webhooks_rotate"),
                ] + super().get_urls()

    def save_model(self, request, obj, form, change):
        if not change:
            obj.secret = signing.new_secret()
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        return self._secret_page(request, obj)

    def _secret_page(self, request, subscription: Subscription):
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "title": _("Khóa ký webhook"), "subscription": subscription}
        response = TemplateResponse(request, "admin/webhooks/subscription/secret.html", context)
        response["Cache-Control"] = "no-store"
        return response

    def rotate_view(self, request, pk: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        subscription = get_object_or_404(Subscription, pk=pk)
        if not self.has_change_permission(request, subscription):
            raise PermissionDenied
        subscription.secret = signing.new_secret()
        subscription.secret_rotated_at = timezone.now()
        subscription.save(update_fields=["secret", "secret_rotated_at"])
        self.log_change(request, subscription, [{"changed": {"fields": ["secret"]}}])
        return self._secret_page(request, subscription)


class StateFilter(admin.SimpleListFilter):
    title = _("tình trạng")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return DeliveryState.choices

    def queryset(self, request, queryset):
        return queryset.filter(state=self.value()) if self.value() else queryset


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    """The delivery log: every POST's state, the receiver's status code, attempts and the next
    try, with a resend; read-only otherwise (the worker owns the rows)."""

    list_display = ["id", "subscription", "dossier_code", "event_type", "state",
                    "response_status", "attempts", "next_attempt_at", "last_error",
                    "created_at", "delivered_at"]
    list_filter = [StateFilter, "event_type", "subscription"]
    search_fields = ["dossier__code", "key"]
    readonly_fields = [f.name for f in Delivery._meta.fields if f.name != "lease_token"]
    exclude = ["lease_token"]
    list_select_related = ["dossier", "subscription__client__application"]
    actions = ["resend"]

    @admin.display(description=_("mã hồ sơ"), ordering="dossier__code")
    def dossier_code(self, obj: Delivery) -> str:
        return obj.dossier.code or ""

    @admin.action(description=_("Gửi lại các lượt đã chọn"), permissions=["resend"])
    def resend(self, request, queryset):
        count = outbox.resend(queryset.values_list("pk", flat=True))
        self.message_user(request, ngettext("Đã xếp %(n)d lượt để gửi lại.",
                                            "Đã xếp %(n)d lượt để gửi lại.", count)
                          % {"n": count}, messages.SUCCESS)

    def has_resend_permission(self, request) -> bool:
        return request.user.has_perm("webhooks.change_delivery")
