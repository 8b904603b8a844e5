from django.db import models
from django.utils.translation import gettext_lazy as _


class AdministrativeUnit(models.Model):
    """A province or a commune-level unit (phường, xã, đặc khu) of the 2025 two-level structure.

    Codes are the official statistics-office codes, as the ``vietnam-provinces`` package carries
    them (Đà Nẵng = 48).
    """

    class Level(models.TextChoices):
        PROVINCE = "province", _("Tỉnh, thành phố")
        COMMUNE = "commune", _("Xã, phường, đặc khu")

    code = models.CharField(_("mã"), max_length=10)
    name = models.CharField(_("tên"), max_length=120)
    division_type = models.CharField(_("loại"), max_length=40)
    level = models.CharField(_("cấp"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children",
        verbose_name=_("trực thuộc"),
    )
    codename = models.SlugField(max_length=120)

    class Meta:
        verbose_name = _("đơn vị hành chính")
        verbose_name_plural = _("đơn vị hành chính")
        ordering = ["code"]
        # Province and commune codes are separate series that overlap (4 is both).
        constraints = [models.UniqueConstraint(fields=["level", "code"], name="unique_unit_code")]
        indexes = [models.Index(fields=["parent", "name"])]

    def __str__(self) -> str:
        return self.name
