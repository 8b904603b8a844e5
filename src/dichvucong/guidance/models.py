"""Guidance: frequently asked questions and how-to guides, per procedure or per topic, with every
edit kept as a revision (``services.py``)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Kind(models.TextChoices):
    FAQ = "faq", _("Hỏi đáp")
    HOWTO = "howto", pgettext_lazy("guide kind", "Hướng dẫn")


class Topic(models.TextChoices):
    ACCOUNT = "account", _("Tạo tài khoản")
    VNEID = "vneid", _("Đăng nhập bằng VNeID")
    FILING = "filing", _("Nộp hồ sơ trực tuyến")
    SUPPLEMENT = "supplement", _("Bổ sung hồ sơ")
    PAYMENT = "payment", _("Thanh toán trực tuyến")
    DATASTORE = "datastore", _("Kho dữ liệu cá nhân")
    FEEDBACK = "feedback", _("Phản ánh, kiến nghị")
    OTHER = "other", _("Khác")


class Guide(models.Model):
    kind = models.CharField(_("loại"), max_length=10, choices=Kind.choices, default=Kind.FAQ)
    topic = models.CharField(_("chủ đề"), max_length=20, choices=Topic.choices,
                             default=Topic.OTHER)
    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.SET_NULL, null=True,
                                  blank=True, related_name="+", verbose_name=_("thủ tục"))
    slug = models.SlugField(_("đường dẫn"), max_length=120, unique=True, blank=True,
                            help_text=_("Để trống: tạo từ tiêu đề."))
    title = models.CharField(_("câu hỏi hoặc tiêu đề"), max_length=300)
    body = models.TextField(_("nội dung trả lời, hướng dẫn"))
    published = models.BooleanField(_("đang hiển thị"), default=True)
    revision = models.PositiveIntegerField(_("phiên bản"), default=0, editable=False)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        verbose_name = _("hướng dẫn, hỏi đáp")
        verbose_name_plural = _("hướng dẫn, hỏi đáp")
        ordering = ["topic", "title"]

    def __str__(self) -> str:
        return self.title


class GuideRevision(models.Model):
    """What a guide said after each edit, and who made it."""

    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    body = models.TextField()
    edited_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True,
                                  blank=True, related_name="+")
    edited_at = models.DateTimeField()

    class Meta:
        verbose_name = _("phiên bản hướng dẫn")
        verbose_name_plural = _("phiên bản hướng dẫn")
        ordering = ["guide", "-number"]
        constraints = [models.UniqueConstraint(fields=["guide", "number"],
                                               name="unique_guide_revision")]

    def __str__(self) -> str:
        return f"{self.guide_id} v{self.number}"
