from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The users of DESIGN.md §1. A citizen needs no membership; every other role is held in an
    agency (or city-wide, for the IOC operator and inspector, in the city's People's Committee)."""

    SERVICE_AGENT = "service_agent", _("Đại lý dịch vụ công")
    DIGITAL_TEAM = "digital_team", _("Tổ công nghệ số cộng đồng")
    RECEPTION_OFFICER = "reception_officer", _("Cán bộ một cửa")
    SPECIALIST = "specialist", _("Chuyên viên")
    LEADER = "leader", _("Lãnh đạo")
    PROCEDURE_CONTROLLER = "procedure_controller", _("Cán bộ kiểm soát TTHC")
    AGENCY_HEAD = "agency_head", _("Thủ trưởng cơ quan")
    SERVICE_DESIGNER = "service_designer", _("Quản trị thủ tục")
    IOC_OPERATOR = "ioc_operator", _("Cán bộ Trung tâm giám sát (IOC)")
    INSPECTOR = "inspector", _("Cán bộ kiểm tra")


class User(AbstractUser):
    full_name = models.CharField(_("họ và tên"), max_length=150, blank=True)
    phone = models.CharField(_("số điện thoại"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("người dùng")
        verbose_name_plural = _("người dùng")

    def __str__(self) -> str:
        return self.full_name or self.username

    def agency_ids(self, *roles: str) -> list[int]:
        """The agencies where this user holds any of ``roles`` (any role if none given)."""
        memberships = self.memberships.all()
        if roles:
            memberships = memberships.filter(role__in=roles)
        return list(memberships.values_list("agency_id", flat=True))


class Membership(models.Model):
    """A role a user holds in an agency. Access checks filter by these in the query itself."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE,
                               related_name="memberships")
    role = models.CharField(_("vai trò"), max_length=30, choices=Role.choices)

    class Meta:
        verbose_name = _("vai trò tại cơ quan")
        verbose_name_plural = _("vai trò tại cơ quan")
        constraints = [
            models.UniqueConstraint(fields=["user", "agency", "role"], name="unique_membership")
        ]
        indexes = [models.Index(fields=["user", "role"])]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.agency}"
