"""The procedure catalog.

A ``Procedure`` is the stable identity (its code) with the columns lists and filters need; its
content lives in immutable ``ProcedureVersion`` rows, each holding a complete
``ProcedureDefinition`` document. A dossier keeps the version it was submitted under.
"""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dichvucong.catalog.definition import ProcedureDefinition
from dichvucong.core.text import NAME_MAX


class Field(models.Model):
    """A field of procedures (lĩnh vực)."""

    name = models.CharField(_("tên"), max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)

    class Meta:
        verbose_name = _("lĩnh vực")
        verbose_name_plural = _("lĩnh vực")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Procedure(models.Model):
    class OnlineMode(models.TextChoices):
        FULL = "full", _("Trực tuyến toàn trình")
        PARTIAL = "partial", _("Trực tuyến một phần")
        NONE = "none", _("Không trực tuyến")

    code = models.CharField(_("mã thủ tục"), max_length=40, unique=True)
    name = models.CharField(_("tên thủ tục"), max_length=NAME_MAX)
    field = models.ForeignKey(Field, on_delete=models.PROTECT, related_name="procedures",
                              verbose_name=_("lĩnh vực"))
    at_province = models.BooleanField(_("cấp tỉnh"), default=False)
    at_commune = models.BooleanField(_("cấp xã"), default=False)
    agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.PROTECT, null=True, blank=True,
        related_name="procedures", verbose_name=_("cơ quan thực hiện"),
        help_text=_("Cơ quan cấp tỉnh thực hiện; trống với thủ tục do mọi xã, phường thực hiện"),
    )
    owner = models.ForeignKey(
        "agencies.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("cơ quan quản lý thủ tục"),
        help_text=_("Quản trị thủ tục của cơ quan này được sửa và công bố thủ tục"),
    )
    commune_agency_kind = models.CharField(
        _("cơ quan cấp xã thực hiện"), max_length=30, blank=True,
        help_text=_("Ủy ban nhân dân hoặc Công an xã, phường, với thủ tục cấp xã"),
    )
    online_mode = models.CharField(_("mức độ trực tuyến"), max_length=10,
                                   choices=OnlineMode.choices, default=OnlineMode.NONE)
    popularity = models.PositiveIntegerField(
        _("mức độ phổ biến"), default=0,
        help_text=_("Thủ tục người dân hay dùng được xếp trước khi tìm kiếm"),
    )
    current_version = models.ForeignKey(
        "ProcedureVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("phiên bản đang áp dụng"),
    )
    is_active = models.BooleanField(_("đang áp dụng"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("thủ tục hành chính")
        verbose_name_plural = _("thủ tục hành chính")
        ordering = ["name"]
        indexes = [
            models.Index(fields=["field", "name"]),
            models.Index(fields=["agency", "name"]),
            models.Index(fields=["-popularity", "name"]),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("catalog:procedure", kwargs={"code": self.code})

    @property
    def levels_display(self) -> str:
        levels = []
        if self.at_province:
            levels.append(str(_("Cấp tỉnh")))
        if self.at_commune:
            levels.append(str(_("Cấp xã")))
        return ", ".join(levels)


class ProcedureVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Bản nháp")
        SUBMITTED = "submitted", _("Chờ phê duyệt")
        APPROVED = "approved", _("Đã phê duyệt, chờ hiệu lực")
        PUBLISHED = "published", _("Đã công bố")
        SUPERSEDED = "superseded", _("Đã thay thế")

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("phiên bản"))
    status = models.CharField(_("trạng thái"), max_length=12, choices=Status.choices,
                              default=Status.DRAFT)
    definition = models.JSONField(_("nội dung"))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True,
                                     blank=True, related_name="+")
    # The procedure controller who approved it, and the day it takes effect (citizens see and file
    # against it from that day; the version before stays in force until then).
    approved_at = models.DateTimeField(null=True, blank=True)
    effective_from = models.DateField(_("ngày có hiệu lực"), null=True, blank=True)
    # When it came into force, and who approved it (the national import: nobody).
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True,
                                     blank=True, related_name="+")

    class Meta:
        verbose_name = _("phiên bản thủ tục")
        verbose_name_plural = _("phiên bản thủ tục")
        ordering = ["procedure", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "number"], name="unique_version_number"),
            # One version being written or checked, one approved and waiting for its day and one
            # published version at a time; older ones are superseded.
            models.UniqueConstraint(fields=["procedure"],
                                    condition=models.Q(status__in=["draft", "submitted"]),
                                    name="one_draft_per_procedure"),
            models.UniqueConstraint(fields=["procedure"], condition=models.Q(status="approved"),
                                    name="one_approved_per_procedure"),
            models.UniqueConstraint(fields=["procedure"], condition=models.Q(status="published"),
                                    name="one_published_per_procedure"),
        ]

    def __str__(self) -> str:
        return f"{self.procedure.code} v{self.number}"

    def parsed(self) -> ProcedureDefinition:
        """The definition as a model. A published version never changes, so its parse is kept
        per process (every submission and page reads it several times)."""
        if self.status == self.Status.DRAFT or self.pk is None or self.published_at is None:
            return ProcedureDefinition.model_validate(self.definition)
        # The publication time is part of the key: a row id can come back after a rollback
        # (SQLite reuses them), a publication instant does not.
        key = (self.pk, self.published_at)
        parsed = _PARSED.get(key)
        if parsed is None:
            parsed = ProcedureDefinition.model_validate(self.definition)
            if len(_PARSED) > 4096:
                _PARSED.clear()
            _PARSED[key] = parsed
        return parsed


_PARSED: dict[tuple, ProcedureDefinition] = {}


class VersionEvent(models.Model):
    """The audit trail of procedure versions: who submitted, approved, refused, deleted a version
    and when one came into force. Keeps the code and number, so a deleted draft's trail stays."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("Gửi phê duyệt")
        APPROVED = "approved", _("Phê duyệt")
        REFUSED = "refused", _("Từ chối, trả về bản nháp")
        IN_FORCE = "in_force", _("Có hiệu lực")
        REPLACED = "replaced", _("Bị thay bằng phiên bản phê duyệt sau")
        DELETED = "deleted", _("Xóa bản nháp")

    procedure_code = models.CharField(_("mã thủ tục"), max_length=40)
    number = models.PositiveIntegerField(_("phiên bản"))
    version = models.ForeignKey(ProcedureVersion, on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="events")
    kind = models.CharField(_("việc"), max_length=12, choices=Kind.choices)
    actor = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    at = models.DateTimeField(_("lúc"), auto_now_add=True)
    effective_from = models.DateField(_("ngày có hiệu lực"), null=True, blank=True)
    reason = models.TextField(_("lý do"), blank=True)

    class Meta:
        verbose_name = _("sự kiện phiên bản thủ tục")
        verbose_name_plural = _("sự kiện phiên bản thủ tục")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["procedure_code", "-at"])]

    def __str__(self) -> str:
        return f"{self.procedure_code} v{self.number} {self.kind}"
