"""The register of assisted channels and what they did.

* :class:`DigitalTeam`: a community digital team (tổ công nghệ số cộng đồng) of one ward, one per
  residential group or village (tổ dân phố, thôn) it covers; :class:`ServicePoint`: a public
  service agent (đại lý dịch vụ công) or a post office (bưu cục, điểm Bưu điện văn hóa xã).
* :class:`Member`: a person of a team or a point, with a role; one who is a platform user links
  to the account, so the dossiers that account files with a citizen's consent
  (``Dossier.submitted_by``, checked by ``dossiers/submission.py:filing_consent``) count for the
  member's team and ward without being entered again.
* :class:`AccountHelp`: accounts a member helped create or verify, recorded by the ward (the
  accounts an agent registers while asking for a consent are counted from ``ConsentEvent``).
* :class:`OutreachEvent`: an event such as a weekend «ngày hội chuyển đổi số».

The counts per ward and month are in ``counts.py``.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def _ward() -> models.ForeignKey:
    """The ward (xã, phường) a team, a point or an event belongs to."""
    return models.ForeignKey("adminunits.AdministrativeUnit", on_delete=models.PROTECT,
                             related_name="+", limit_choices_to={"level": "commune"},
                             verbose_name=_("xã, phường"))


class DigitalTeam(models.Model):
    ward = _ward()
    name = models.CharField(_("tên tổ"), max_length=150)
    area = models.CharField(_("địa bàn phụ trách"), max_length=255, blank=True,
                            help_text=_("Tổ dân phố, thôn hoặc khu dân cư tổ phụ trách."))
    decision = models.CharField(_("quyết định thành lập"), max_length=120, blank=True)
    founded_on = models.DateField(_("ngày thành lập"), null=True, blank=True)
    dissolved_on = models.DateField(_("ngày giải thể"), null=True, blank=True)

    class Meta:
        verbose_name = _("tổ công nghệ số cộng đồng")
        verbose_name_plural = _("tổ công nghệ số cộng đồng")
        ordering = ["ward", "name"]
        indexes = [models.Index(fields=["ward", "name"])]

    def __str__(self) -> str:
        return self.name


class ServicePoint(models.Model):
    class Kind(models.TextChoices):
        SERVICE_AGENT = "service_agent", _("Đại lý dịch vụ công")
        POST_OFFICE = "post_office", _("Bưu cục, điểm Bưu điện văn hóa xã")

    kind = models.CharField(_("loại"), max_length=20, choices=Kind.choices)
    ward = _ward()
    name = models.CharField(_("tên điểm"), max_length=150)
    operator = models.CharField(_("đơn vị vận hành"), max_length=150, blank=True,
                                help_text=_("Ví dụ: Bưu điện thành phố Đà Nẵng (VNPost)."))
    address = models.CharField(_("địa chỉ"), max_length=255, blank=True)
    opened_on = models.DateField(_("ngày bắt đầu"), null=True, blank=True)
    closed_on = models.DateField(_("ngày ngừng"), null=True, blank=True)

    class Meta:
        verbose_name = _("đại lý, bưu điện")
        verbose_name_plural = _("đại lý, bưu điện")
        ordering = ["ward", "kind", "name"]

    def __str__(self) -> str:
        return self.name


class Member(models.Model):
    class Role(models.TextChoices):
        LEADER = "leader", _("Tổ trưởng")
        DEPUTY = "deputy", _("Tổ phó")
        MEMBER = "member", _("Thành viên")
        STAFF = "staff", _("Nhân viên đại lý, bưu điện")

    team = models.ForeignKey(DigitalTeam, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="members", verbose_name=_("tổ"))
    point = models.ForeignKey(ServicePoint, on_delete=models.CASCADE, null=True, blank=True,
                              related_name="members", verbose_name=_("đại lý, bưu điện"))
    full_name = models.CharField(_("họ và tên"), max_length=150)
    role = models.CharField(_("vai trò"), max_length=10, choices=Role.choices,
                            default=Role.MEMBER)
    position = models.CharField(_("chức danh, đơn vị"), max_length=150, blank=True,
                                help_text=_("Ví dụ: Tổ trưởng tổ dân phố, Bí thư Đoàn thanh "
                                            "niên, Công an khu vực."))
    # The member's platform account: what it files with a citizen's consent counts here.
    user = models.OneToOneField("accounts.User", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="assisted_member",
                                verbose_name=_("tài khoản trên hệ thống"))
    joined_on = models.DateField(_("ngày tham gia"), null=True, blank=True)
    left_on = models.DateField(_("ngày thôi tham gia"), null=True, blank=True)

    class Meta:
        verbose_name = _("thành viên")
        verbose_name_plural = _("thành viên")
        ordering = ["team", "point", "role", "full_name"]
        constraints = [models.CheckConstraint(
            condition=Q(team__isnull=False, point__isnull=True)
            | Q(team__isnull=True, point__isnull=False),
            name="assisted_member_of_one")]

    def __str__(self) -> str:
        return self.full_name


class AccountHelp(models.Model):
    class Kind(models.TextChoices):
        CREATE = "create", _("Hỗ trợ tạo tài khoản")
        VERIFY = "verify", _("Hỗ trợ xác thực tài khoản, định danh điện tử mức 2")

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="account_helps",
                               verbose_name=_("người hỗ trợ"))
    day = models.DateField(_("ngày"))
    kind = models.CharField(_("loại hỗ trợ"), max_length=10, choices=Kind.choices)
    # A count, not the citizens: the register needs no personal data of those helped.
    people = models.PositiveIntegerField(_("số người được hỗ trợ"), default=1)
    note = models.CharField(_("ghi chú"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("hỗ trợ tài khoản")
        verbose_name_plural = _("hỗ trợ tài khoản")
        indexes = [models.Index(fields=["day"])]

    def __str__(self) -> str:
        return f"{self.day} {self.member_id} {self.kind} ×{self.people}"


class OutreachEvent(models.Model):
    ward = _ward()
    title = models.CharField(_("tên sự kiện"), max_length=200,
                             default="Ngày hội chuyển đổi số")
    day = models.DateField(_("ngày"))
    place = models.CharField(_("địa điểm"), max_length=255)
    people_served = models.PositiveIntegerField(_("số người được phục vụ"), default=0)
    accounts_helped = models.PositiveIntegerField(_("số tài khoản được hỗ trợ"), default=0)
    dossiers_filed = models.PositiveIntegerField(
        _("số hồ sơ được nộp"), default=0,
        help_text=_("Theo báo cáo của ban tổ chức; hồ sơ nộp thay qua tài khoản thành viên "
                    "đã được đếm riêng."))
    teams = models.ManyToManyField(DigitalTeam, blank=True, related_name="events",
                                   verbose_name=_("các tổ tham gia"))

    class Meta:
        verbose_name = _("sự kiện hỗ trợ")
        verbose_name_plural = _("sự kiện hỗ trợ")
        ordering = ["-day"]
        indexes = [models.Index(fields=["day"])]

    def __str__(self) -> str:
        return f"{self.title} {self.day}"
