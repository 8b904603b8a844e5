from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarOverride(models.Model):
    """A day an administrator declares off (extra Tết days) or working (a substituted
    Saturday), on top of the public holidays the law fixes."""

    day = models.DateField(_("ngày"))
    agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.CASCADE, null=True, blank=True,
        verbose_name=_("cơ quan"),
        help_text=_("Để trống: áp dụng cho mọi cơ quan; chọn: chỉ cơ quan này (lịch riêng)"),
    )
    is_working = models.BooleanField(_("là ngày làm việc"),
                                     help_text=_("Bỏ chọn: ngày nghỉ; chọn: ngày làm bù"))
    reason = models.CharField(_("lý do"), max_length=200)
    legal_basis = models.CharField(
        _("căn cứ"), max_length=300, blank=True,
        help_text=_("Văn bản quyết định ngày này, ví dụ: Văn bản 12729/VPCP-KGVX ngày "
                    "25/12/2025 của Văn phòng Chính phủ"))
    source = models.URLField(_("nguồn"), max_length=300, blank=True,
                             help_text=_("Trang công bố văn bản, nếu có"))
    verified = models.BooleanField(
        _("đã đối chiếu văn bản"), default=True,
        help_text=_("Bỏ chọn khi chưa tìm được toàn văn văn bản quyết định ngày này"))

    class Meta:
        verbose_name = _("ngày nghỉ, ngày làm bù")
        verbose_name_plural = _("ngày nghỉ, ngày làm bù")
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["day"], condition=models.Q(agency__isnull=True),
                                    name="one_citywide_override_per_day"),
            models.UniqueConstraint(fields=["day", "agency"], name="one_override_per_agency_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day:%d/%m/%Y} — {self.reason}"
