"""Systems registered to call the API (OAuth 2.0 clients) and the audit trail of their calls.

The OAuth client itself (client id, hashed secret, grant type, redirect URIs) is
django-oauth-toolkit's ``Application``; ``MachineClient`` is what the platform adds to it: the
agency it acts for, the scopes it was granted and its rate limit.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from oauth2_provider.settings import oauth2_settings

DEFAULT_RATE_LIMIT = 600  # calls a minute


class IssuerType(models.TextChoices):
    """What kind of organisation a third-party issuer is: a citizen's standing consent is given
    per kind («every clinic may send me its health certificates»)."""

    HEALTH = "health", _("Cơ sở khám bệnh, chữa bệnh")
    SCHOOL = "school", _("Cơ sở giáo dục")
    BANK = "bank", _("Ngân hàng")


class MachineClient(models.Model):
    application = models.OneToOneField(oauth2_settings.APPLICATION_MODEL,
                                       on_delete=models.CASCADE, related_name="machine_client")
    agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("cơ quan"),
        help_text=_("Hệ thống của cơ quan chỉ xem hồ sơ, kết quả và số liệu của cơ quan đó. "
                    "Để trống: hệ thống cấp thành phố (số liệu toàn thành phố, không xem hồ "
                    "sơ)."))
    scopes = models.CharField(_("phạm vi quyền"), max_length=200, blank=True,
                              help_text=_("Các phạm vi cách nhau bởi dấu cách."))
    rate_limit = models.PositiveIntegerField(
        _("giới hạn lượt gọi mỗi phút"), default=DEFAULT_RATE_LIMIT)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    # A third-party issuer (scope documents:issue): its kind, and the certificate (PEM: its
    # signing certificate or the CA that issues it) a deposited PDF's signature must chain to.
    issuer_type = models.CharField(_("loại tổ chức cấp giấy tờ"), max_length=20, blank=True,
                                   choices=IssuerType.choices)
    issuer_certificate = models.TextField(
        _("chứng thư số tin cậy của tổ chức cấp"), blank=True,
        help_text=_("PEM; chữ ký trên giấy tờ gửi vào kho phải kiểm tra được với chứng thư "
                    "này."))

    class Meta:
        verbose_name = _("hệ thống kết nối")
        verbose_name_plural = _("hệ thống kết nối")

    def __str__(self) -> str:
        return self.application.name

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()


class ClientCall(models.Model):
    """One call by a machine client: who (client, and the person a user token acts for), which
    operation (method and route pattern, never the path with its values or the query), and
    the outcome (status and OAuth error code). No request or response content."""

    client = models.ForeignKey(MachineClient, on_delete=models.CASCADE, related_name="calls")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="+")
    operation = models.CharField(max_length=120)
    status = models.PositiveSmallIntegerField()
    error = models.CharField(max_length=40, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["client", "-at"])]
        verbose_name = _("lượt gọi API")
        verbose_name_plural = _("lượt gọi API")

    def __str__(self) -> str:
        return f"{self.client_id} {self.operation} {self.status}"
