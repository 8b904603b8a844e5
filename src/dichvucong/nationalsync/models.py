"""The outbox of the National Public Service Portal sync: one ``SyncRecord`` per record sent.

A row is written in the transaction that records a dossier event (``outbox.py``), holding the
record exactly as it will be sent (the dossier as ``DongBoHoSoMC``, or the step as
``CapNhatTienDoHoSoMC``), so a resend is byte for byte the same and carries the same ``key``.
The worker (``worker.py``) sends a dossier's rows one at a time in ``id`` order, and records the
portal's answer on the row: its sync state is the dossier's and the step's.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SyncState(models.TextChoices):
    PENDING = "pending", _("Chờ đồng bộ")
    SENDING = "sending", _("Đang gửi")
    SYNCED = "synced", _("Đã đồng bộ")
    FAILED = "failed", _("Đồng bộ lỗi")


class SyncRecord(models.Model):
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.CASCADE,
                                related_name="sync_records", verbose_name=_("hồ sơ"))
    event = models.ForeignKey("dossiers.DossierEvent", on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="sync_records")
    service = models.CharField(_("dịch vụ"), max_length=30)
    is_updating = models.BooleanField(default=False)
    payload = models.JSONField(_("bản ghi"))
    # Sent as the Idempotency-Key header on every attempt: the portal recognises a resend.
    key = models.CharField(max_length=80, unique=True)
    state = models.CharField(_("tình trạng"), max_length=10, choices=SyncState.choices,
                             default=SyncState.PENDING)
    attempts = models.PositiveSmallIntegerField(_("số lần gửi"), default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # When the last attempt got its answer (or gave up waiting): a retry's next_attempt_at is
    # this plus the backoff delay, so the schedule can be checked after the fact.
    last_attempt_at = models.DateTimeField(_("lần gửi gần nhất"), null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(_("lỗi gần nhất"), max_length=1000, blank=True)
    # The portal's last answer: {"http_status", "error_code", "message", …}.
    response = models.JSONField(_("trả lời của Cổng quốc gia"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    synced_at = models.DateTimeField(_("thời điểm đồng bộ"), null=True, blank=True)

    class Meta:
        verbose_name = _("bản ghi đồng bộ Cổng DVC quốc gia")
        verbose_name_plural = _("bản ghi đồng bộ Cổng DVC quốc gia")
        ordering = ["id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"]),
                   models.Index(fields=["dossier", "state"])]

    def __str__(self) -> str:
        return f"{self.service} {self.key}: {self.state}"


class IntakeRecord(models.Model):
    """One dossier the national portal handed over (``intake.py``), by the portal's sequence
    number: taken in (``dossier`` set) or refused (``errors``: the fields named, nothing else of
    it kept). The highest ``sequence`` is where the next pull starts."""

    sequence = models.PositiveBigIntegerField(_("số thứ tự trên Cổng quốc gia"), unique=True)
    national_code = models.CharField(_("mã hồ sơ quốc gia"), max_length=50)
    dossier = models.OneToOneField("dossiers.Dossier", on_delete=models.CASCADE, null=True,
                                   blank=True, related_name="intake", verbose_name=_("hồ sơ"))
    # TaiKhoanDuocXacThucVoiVNeID: the applicant's portal account was verified with VNeID.
    vneid_verified = models.BooleanField(_("tài khoản xác thực VNeID"), default=False)
    errors = models.JSONField(_("lỗi"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("hồ sơ nhận từ Cổng DVC quốc gia")
        verbose_name_plural = _("hồ sơ nhận từ Cổng DVC quốc gia")
        ordering = ["sequence"]
        constraints = [models.UniqueConstraint(
            fields=["national_code"], condition=models.Q(dossier__isnull=False),
            name="nationalsync_intake_one_dossier_per_national_code")]

    def __str__(self) -> str:
        return f"{self.national_code} #{self.sequence}"


class IntakeStatus(models.Model):
    """How the last pulls from the national portal went (one row, ``intake.record_pull``): the
    monitoring centre says so when the portal has not answered for a while, since dossiers
    filed there would otherwise wait unseen."""

    last_pull_at = models.DateTimeField(_("lần hỏi gần nhất"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("lần nhận được gần nhất"), null=True, blank=True)
    failing_since = models.DateTimeField(_("lỗi từ"), null=True, blank=True)
    failures = models.PositiveIntegerField(_("số lần lỗi liên tiếp"), default=0)
    # The kind of failure only (an exception's class, an HTTP status): never a payload.
    last_error = models.CharField(_("lỗi gần nhất"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("tình trạng nhận hồ sơ từ Cổng DVC quốc gia")
        verbose_name_plural = _("tình trạng nhận hồ sơ từ Cổng DVC quốc gia")

    def __str__(self) -> str:
        return f"intake: {self.failures} failure(s) since {self.failing_since}"
