"""The *1022 hotline's calls: one ticket per call (``services.py`` has the rules)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Reason(models.TextChoices):
    DOSSIER_STATUS = "dossier_status", _("Hỏi tình trạng hồ sơ")
    PROCEDURE = "procedure", _("Hỏi thủ tục, giấy tờ, phí")
    ACCOUNT = "account", _("Tài khoản, đăng nhập VNeID")
    PAYMENT = "payment", _("Thanh toán trực tuyến")
    COMPLAINT = "complaint", _("Phản ánh, kiến nghị")
    FILING_HELP = "filing_help", _("Nhờ nộp hồ sơ")
    OTHER = "other", _("Khác")


class Outcome(models.TextChoices):
    ANSWERED = "answered", _("Đã giải đáp")
    FEEDBACK = "feedback", _("Chuyển thành phản ánh, kiến nghị")
    ASSISTED = "assisted", _("Nộp hồ sơ thay (công dân đồng ý bằng mã)")
    FOLLOW_UP = "follow_up", _("Cần gọi lại, theo dõi tiếp")
    REFERRED = "referred", _("Hướng dẫn liên hệ cơ quan")


class WalkInMatch(models.TextChoices):
    """How a caller without an account was found: the walk-in dossiers bearing the same CCCD
    number or the same phone as ``CallTicket.dossier`` are theirs (the number itself is not
    copied into the ticket)."""

    ID_NUMBER = "id_number", _("số CCCD")
    PHONE = "phone", _("số điện thoại")


class CallTicket(models.Model):
    """One call: who took it, whom it was about, why, and what came of it."""

    operator = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(_("bắt đầu"))
    ended_at = models.DateTimeField(_("kết thúc"), null=True, blank=True)
    citizen = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+", verbose_name=_("công dân"))
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+", verbose_name=_("hồ sơ"))
    walk_in_match = models.CharField(_("tìm hồ sơ nộp trực tiếp theo"), max_length=10,
                                     choices=WalkInMatch.choices, blank=True)
    reason = models.CharField(_("lý do gọi"), max_length=20, choices=Reason.choices,
                              blank=True)
    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.SET_NULL, null=True,
                                  blank=True, related_name="+", verbose_name=_("thủ tục"))
    outcome = models.CharField(_("kết quả"), max_length=20, choices=Outcome.choices,
                               blank=True)
    follow_up = models.CharField(_("việc cần làm tiếp"), max_length=500, blank=True)
    note = models.TextField(_("ghi chú"), blank=True)
    feedback = models.ForeignKey("feedback.Feedback", on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="+")
    consent = models.ForeignKey("dossiers.AgentConsent", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+")

    class Meta:
        verbose_name = _("cuộc gọi *1022")
        verbose_name_plural = _("cuộc gọi *1022")
        indexes = [models.Index(fields=["-started_at"], name="call_by_time"),
                   models.Index(fields=["operator", "-started_at"], name="call_by_operator")]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None
