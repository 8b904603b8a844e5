"""A citizen's evaluation of how their dossier was handled: one row per dossier.

The nine Circular 01/2018 indicators are nine small columns (as the one-stop software keeps
``TraLoi1..9``), so the monitoring centre's per-agency averages are plain ``AVG`` aggregates.
The agency, procedure and dossier code are copied from the dossier when the rating is made: the
aggregates group by them without joining the dossier table, and the code is the key other
evaluation channels (kiosk, SMS, National Portal) use.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from dichvucong.ratings.indicators import INDICATORS, OVERALL_CHOICES, OVERALL_LABELS, POINTS

POINT_CHOICES = [(p, str(p)) for p in POINTS]


def _indicator_field(number: int) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(format_lazy("{} {}", _("chỉ số"), number),
                                            choices=POINT_CHOICES)


class Rating(models.Model):
    dossier = models.OneToOneField("dossiers.Dossier", on_delete=models.CASCADE,
                                   related_name="rating", verbose_name=_("hồ sơ"))
    dossier_code = models.CharField(_("mã hồ sơ"), max_length=40, unique=True)
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("cơ quan tiếp nhận"))
    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("thủ tục"))
    dossier_state = models.CharField(_("trạng thái hồ sơ khi đánh giá"), max_length=30)
    rated_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="+", verbose_name=_("người đánh giá"))
    indicator_1 = _indicator_field(1)
    indicator_2 = _indicator_field(2)
    indicator_3 = _indicator_field(3)
    indicator_4 = _indicator_field(4)
    indicator_5 = _indicator_field(5)
    indicator_6 = _indicator_field(6)
    indicator_7 = _indicator_field(7)
    indicator_8 = _indicator_field(8)
    indicator_9 = _indicator_field(9)
    overall = models.CharField(_("đánh giá chung"), max_length=20, choices=OVERALL_CHOICES)
    comment = models.TextField(_("ý kiến khác"), blank=True)
    created_at = models.DateTimeField(_("thời điểm đánh giá"), default=timezone.now)

    class Meta:
        verbose_name = _("đánh giá hài lòng")
        verbose_name_plural = _("đánh giá hài lòng")
        indexes = [
            models.Index(fields=["agency", "created_at"]),
            models.Index(fields=["procedure", "created_at"]),
        ]
        constraints = [
            *[
                models.CheckConstraint(condition=Q(**{f"{i.name}__in": POINTS}),
                                       name=f"rating_{i.name}_is_2_1_0")
                for i in INDICATORS
            ],
            models.CheckConstraint(condition=Q(overall__in=list(OVERALL_LABELS)),
                                   name="rating_overall_known"),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_code}: {self.total}/18, {self.get_overall_display()}"

    @property
    def answers(self) -> tuple[int, ...]:
        """The nine scores, indicator 1 first."""
        return tuple(getattr(self, i.name) for i in INDICATORS)

    @property
    def total(self) -> int:
        return sum(self.answers)

    @property
    def overall_label(self) -> str:
        return OVERALL_LABELS[self.overall]

    def rows(self) -> list[dict]:
        """For templates: each indicator with the level chosen."""
        return [{"indicator": i, "points": p, "label": i.label_for(p)}
                for i, p in zip(INDICATORS, self.answers, strict=True)]
