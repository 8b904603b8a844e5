"""Notifications: the transactional outbox, each user's channel choices, and the demo sandbox.

A ``Notification`` row is one message on one channel to one recipient. It is written in the same
database transaction as the change that causes it (``outbox.enqueue``), so a change that rolls
back leaves no message, and a message is never lost when the change commits. The worker
(``worker.py``) delivers it later, with retries and the provider's idempotency key.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationChannel(models.TextChoices):
    INAPP = "inapp", _("Hộp thư trên cổng")
    EMAIL = "email", _("Thư điện tử")
    SMS = "sms", _("Tin nhắn SMS")
    ZALO = "zalo", _("Zalo")


class Status(models.TextChoices):
    PENDING = "pending", _("Chờ gửi")
    SENDING = "sending", _("Đang gửi")
    SENT = "sent", _("Đã gửi")
    # The worker stopped after the whole message had been written to the provider's connection
    # and before its reply: the provider almost surely has it (see worker.py). Not sent again.
    UNCONFIRMED = "unconfirmed", _("Đã chuyển cho nhà cung cấp, chưa có xác nhận")
    FAILED = "failed", _("Không gửi được")
    FELL_BACK = "fell_back", _("Zalo từ chối, đã chuyển sang SMS")


class Notification(models.Model):
    """One message on one channel. ``dedupe_key`` + ``channel`` is unique: the same event
    enqueued twice gives one row."""

    dedupe_key = models.CharField(max_length=200)
    channel = models.CharField(_("kênh"), max_length=10, choices=NotificationChannel.choices)
    event = models.CharField(_("sự kiện"), max_length=60)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True,
                             blank=True, related_name="notifications")
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.CASCADE, null=True,
                                blank=True, related_name="notifications")
    # Phone (0xxxxxxxxx) or e-mail address; empty for the in-app inbox. Never logged.
    to = models.CharField(max_length=254, blank=True)
    language = models.CharField(max_length=8, default="vi")
    subject = models.CharField(_("tiêu đề"), max_length=300)
    body = models.TextField(_("nội dung"))
    short_text = models.TextField(blank=True)  # SMS text, within one or two segments
    link = models.CharField(max_length=300, blank=True)  # a path on the portal
    template_data = models.JSONField(default=dict, blank=True)  # Zalo ZNS template parameters
    status = models.CharField(_("tình trạng"), max_length=12, choices=Status.choices,
                              default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("số lần gửi"), default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # The claim: which worker run holds the row, until when.
    lease_token = models.CharField(max_length=32, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    # Set, and committed, just before the last byte of the message is written to the provider:
    # a worker that dies after this point leaves a message the provider has (see worker.py).
    handed_over_at = models.DateTimeField(null=True, blank=True)
    # Sent to the provider on every attempt: eSMS RequestId, ZNS tracking_id, e-mail Message-ID.
    idempotency_key = models.CharField(max_length=64, unique=True)
    provider_id = models.CharField(max_length=100, blank=True)
    last_error = models.CharField(_("lỗi gần nhất"), max_length=500, blank=True)
    error_code = models.CharField(max_length=20, blank=True)
    fallback_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="fallbacks")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("thông báo")
        verbose_name_plural = _("thông báo")
        constraints = [
            models.UniqueConstraint(fields=["dedupe_key", "channel"],
                                    name="notification_once_per_channel"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["user", "channel", "-id"]),
            models.Index(fields=["dossier", "id"]),
            # The header's unread count on every page (``inbox.unread_count``).
            models.Index(fields=["user"], name="notification_unread_inapp",
                         condition=models.Q(channel="inapp", read_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.event} · {self.channel} · {self.status}"


class Preference(models.Model):
    """A user's choice of channels and language for notifications. Without a row, the defaults
    of ``preferences.channels_for`` apply: the inbox always, SMS and e-mail when the account has
    a phone number or an address."""

    class Phone(models.TextChoices):
        SMS = "sms", _("Tin nhắn SMS")
        ZALO = "zalo", _("Zalo (SMS khi không gửi được qua Zalo)")
        NONE = "none", _("Không nhận qua điện thoại")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="notify_preference")
    email = models.BooleanField(_("nhận thư điện tử"), default=True)
    phone = models.CharField(_("tin nhắn điện thoại"), max_length=10, choices=Phone.choices,
                             default=Phone.SMS)
    language = models.CharField(_("ngôn ngữ của thông báo"), max_length=8,
                                choices=settings.LANGUAGES, default="vi")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("lựa chọn nhận thông báo")
        verbose_name_plural = _("lựa chọn nhận thông báo")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.phone}, email={self.email}"


class SandboxMessage(models.Model):
    """A message the demo's sandbox gateways received instead of a real phone or mailbox, shown
    at /hop-thu-thu-nghiem/ in demo mode so a tester can read one-time codes and notices."""

    channel = models.CharField(max_length=10, default="sms")
    phone = models.CharField(max_length=254)  # the phone number, or the e-mail address
    subject = models.CharField(max_length=300, blank=True)
    content = models.TextField()
    request_id = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tin nhắn thử nghiệm")
        verbose_name_plural = _("tin nhắn thử nghiệm")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.phone}: {self.content[:40]}"
