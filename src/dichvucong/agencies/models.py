from django.db import models
from django.utils.translation import gettext_lazy as _


class Agency(models.Model):
    """An agency (cơ quan, đơn vị) that receives or processes dossiers.

    ``code`` is the unit identifier of QCVN 102:2016/BTTTT (``NNN.NN.NN.Hxx``); it begins every
    dossier code the agency receives.
    """

    class Kind(models.TextChoices):
        PEOPLES_COMMITTEE = "peoples_committee", _("Ủy ban nhân dân thành phố")
        DEPARTMENT = "department", _("Sở, ban, ngành")
        SECTOR = "sector", _("Cơ quan ngành dọc")
        COMMUNE_COMMITTEE = "commune_committee", _("Ủy ban nhân dân xã, phường")
        COMMUNE_POLICE = "commune_police", _("Công an xã, phường")

    class Level(models.TextChoices):
        PROVINCE = "province", _("Cấp tỉnh")
        COMMUNE = "commune", _("Cấp xã")

    code = models.CharField(_("mã định danh"), max_length=20, unique=True)
    name = models.CharField(_("tên"), max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    kind = models.CharField(_("loại"), max_length=30, choices=Kind.choices)
    level = models.CharField(_("cấp"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children",
        verbose_name=_("cơ quan cấp trên"),
    )
    administrative_unit = models.ForeignKey(
        "adminunits.AdministrativeUnit", on_delete=models.PROTECT, null=True, blank=True,
        verbose_name=_("địa bàn"),
    )
    address = models.CharField(_("địa chỉ"), max_length=255, blank=True)
    phone = models.CharField(_("điện thoại"), max_length=30, blank=True)
    is_active = models.BooleanField(_("đang hoạt động"), default=True)

    class Meta:
        verbose_name = _("cơ quan")
        verbose_name_plural = _("cơ quan")
        ordering = ["level", "name"]

    def __str__(self) -> str:
        return self.name
