"""Signed webhooks: a registered system's subscription, and one ``Delivery`` per event sent.

A ``Delivery`` is written in the transaction that records the dossier event (``outbox.py``),
holding the JSON it will POST, so every attempt and a resend carry the same body and ``key``
(the receiver recognises a repeat by its ``id``). The worker (``worker.py``) sends a
subscription's deliveries of one dossier in ``id`` order, signing each attempt afresh
(``signing.py``), and records the answer on the row: the delivery log.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Subscription(models.Model):
    """A registered system's address for dossier events. The secret signs every delivery
    (HMAC-SHA256): the platform must keep it readable, so it is shown once, at creation and
    rotation, and never listed."""

    client = models.ForeignKey("apiclients.MachineClient", on_delete=models.CASCADE,
                               related_name="webhook_subscriptions",
                               verbose_name=_("hệ thống kết nối"))
    url = models.URLField(_("địa chỉ nhận"), max_length=500)
    # Space-separated event types (``events.EventType``); empty: every type.
    events = models.CharField(_("loại sự kiện"), max_length=200, blank=True)
    secret = models.CharField(max_length=64)
    active = models.BooleanField(_("đang hoạt động"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("đăng ký webhook")
        verbose_name_plural = _("đăng ký webhook")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.client} → {self.url}"

    @property
    def event_list(self) -> list[str]:
        return self.events.split()


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Chờ gửi")
    SENDING = "sending", _("Đang gửi")
    DELIVERED = "delivered", _("Đã gửi")
    FAILED = "failed", _("Gửi lỗi")


class Delivery(models.Model):
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE,
                                     related_name="deliveries", verbose_name=_("đăng ký"))
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.CASCADE, related_name="+",
                                verbose_name=_("hồ sơ"))
    event = models.ForeignKey("dossiers.DossierEvent", on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")
    event_type = models.CharField(_("loại sự kiện"), max_length=30)
    payload = models.JSONField(_("nội dung"))
    # The body's ``id`` and the X-DVC-Delivery header: the same on every attempt.
    key = models.CharField(max_length=80, unique=True)
    state = models.CharField(_("tình trạng"), max_length=10, choices=DeliveryState.choices,
                             default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(_("số lần gửi"), default=0)
    next_attempt_at = models.DateTimeField(_("lần gửi tới"), null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(_("mã trả lời"), null=True, blank=True)
    last_error = models.CharField(_("lỗi gần nhất"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("thời điểm tạo"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("thời điểm gửi được"), null=True, blank=True)

    class Meta:
        verbose_name = _("lượt gửi webhook")
        verbose_name_plural = _("nhật ký gửi webhook")
        ordering = ["id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"]),
                   models.Index(fields=["subscription", "dossier", "state"])]

    def __str__(self) -> str:
        return f"{self.event_type} {self.key}: {self.state}"
