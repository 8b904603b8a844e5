"""Feedback and complaints (phản ánh, kiến nghị) from citizens and businesses, and the agencies'
answers. The rules are in ``services.py``; the legal time in ``conf.py``."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Subject(models.TextChoices):
    PROCEDURE = "procedure", _("Quy định, thủ tục hành chính")
    DOSSIER = "dossier", _("Việc giải quyết một hồ sơ")
    CONDUCT = "conduct", _("Thái độ, hành vi của cán bộ, công chức")


class State(models.TextChoices):
    RECEIVED = "received", _("Đang xử lý")
    ANSWERED = "answered", _("Đã trả lời")


class Source(models.TextChoices):
    PORTAL = "portal", _("Cổng dịch vụ công")
    HOTLINE = "hotline", _("Tổng đài *1022")


class Feedback(models.Model):
    """One feedback or complaint, routed to the agency that must answer it."""

    reference = models.CharField(_("mã phản ánh"), max_length=20, unique=True)
    subject = models.CharField(_("nội dung phản ánh về"), max_length=20,
                               choices=Subject.choices)
    source = models.CharField(_("kênh tiếp nhận"), max_length=10, choices=Source.choices,
                              default=Source.PORTAL)
    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.SET_NULL, null=True,
                                  blank=True, related_name="+", verbose_name=_("thủ tục"))
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+", verbose_name=_("hồ sơ"))
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("cơ quan xử lý"))
    official = models.CharField(_("cán bộ được phản ánh"), max_length=150, blank=True)
    content = models.TextField(_("nội dung"))
    # The sender: an account, or a phone proved with a one-time code.
    sender = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True,
                               blank=True, related_name="+")
    sender_name = models.CharField(_("họ và tên"), max_length=150)
    sender_phone = models.CharField(_("số điện thoại"), max_length=20, blank=True)
    sender_email = models.EmailField(_("email"), blank=True)
    publish_consent = models.BooleanField(_("đồng ý công khai"), default=False)
    state = models.CharField(_("trạng thái"), max_length=10, choices=State.choices,
                             default=State.RECEIVED)
    received_at = models.DateTimeField(_("thời điểm tiếp nhận"))
    due_at = models.DateTimeField(_("hạn trả lời"))
    escalated_at = models.DateTimeField(_("thời điểm báo lãnh đạo"), null=True, blank=True)
    answer = models.TextField(_("nội dung trả lời"), blank=True)
    answered_at = models.DateTimeField(_("thời điểm trả lời"), null=True, blank=True)
    answered_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True,
                                    blank=True, related_name="+")
    # What is published (sender agreed): the question and answer with personal data removed.
    public_content = models.TextField(blank=True)
    public_answer = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # The sender's verdict on the answer (Decision 766, indicator 5.2): None until given.
    satisfied = models.BooleanField(null=True, blank=True)

    class Meta:
        verbose_name = _("phản ánh, kiến nghị")
        verbose_name_plural = _("phản ánh, kiến nghị")
        indexes = [
            models.Index(fields=["agency", "-received_at"], name="feedback_by_agency"),
            # The alert scan: open feedback by due time.
            models.Index(fields=["due_at"], condition=Q(state="received"),
                         name="feedback_open_by_due"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def on_time(self) -> bool | None:
        """Answered by its due time; None while open."""
        if self.answered_at is None:
            return None
        return self.answered_at <= self.due_at


def attachment_path(instance: FeedbackAttachment, filename: str) -> str:
    # Generated names only: the sender's file name is kept as data, never as a path.
    return f"feedback/{instance.feedback_id}/{instance.token}{instance.extension}"


class FeedbackAttachment(models.Model):
    """A file sent with the feedback, checked by content as dossier uploads are."""

    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="attachments")
    token = models.CharField(max_length=32, unique=True)
    extension = models.CharField(max_length=8)
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)

    def __str__(self) -> str:
        return self.original_name
