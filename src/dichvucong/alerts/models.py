"""Alerts raised by the deadline scan (``scan.py``); the rules are ``rules.py``."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dichvucong.alerts.rules import LABELS, Kind


class Alert(models.Model):
    """One alert about one dossier, for one cause. ``cause`` is unique over all alerts, open or
    cleared: the same cause is never raised twice."""

    kind = models.CharField(_("loại cảnh báo"), max_length=30,
                            choices=[(k.value, LABELS[k]) for k in Kind])
    cause = models.CharField(max_length=120, unique=True)
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.CASCADE,
                                related_name="+", verbose_name=_("hồ sơ"))
    # Copied from the dossier so that lists filter by agency without a join.
    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("cơ quan"))
    step = models.CharField(_("bước xử lý"), max_length=300, blank=True)
    due_at = models.DateTimeField(_("hạn"), null=True, blank=True)
    raised_at = models.DateTimeField(_("thời điểm cảnh báo"))
    cleared_at = models.DateTimeField(_("thời điểm hết cảnh báo"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("thời điểm xác nhận"), null=True, blank=True)
    acknowledged_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True,
                                        blank=True, related_name="+",
                                        verbose_name=_("người xác nhận"))

    class Meta:
        verbose_name = _("cảnh báo")
        verbose_name_plural = _("cảnh báo")
        indexes = [
            # The list: an agency's (or the city's) open alerts, newest first.
            models.Index(fields=["agency", "-raised_at"], condition=Q(cleared_at__isnull=True),
                         name="alert_open_by_agency"),
            models.Index(fields=["-raised_at"], condition=Q(cleared_at__isnull=True),
                         name="alert_open_by_time"),
            models.Index(fields=["agency", "-raised_at"], name="alert_by_agency"),
            models.Index(fields=["dossier"], name="alert_by_dossier"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.dossier_id}"

    @property
    def kind_label(self) -> str:
        return Kind(self.kind).label

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None


class StepSplit(models.Model):
    """A running dossier's step deadline as a scan computed it (``scan._steps``), kept so that a
    scan in a new process (the ``scan_alerts`` command) does not split every running dossier's
    time again. ``key`` holds what the split depends on (the dossier's state, reception and due
    times and procedure version, the calendar's fingerprint, the threshold): a row whose key
    differs is computed again. The scan deletes the rows of dossiers no longer running."""

    dossier = models.OneToOneField("dossiers.Dossier", on_delete=models.CASCADE,
                                   primary_key=True, related_name="+")
    key = models.CharField(max_length=200)
    step = models.SmallIntegerField(null=True)  # None: no step deadline to watch
    name = models.CharField(max_length=300, blank=True)
    due_at = models.DateTimeField(null=True)
    near_from = models.DateTimeField(null=True)  # the instant the step becomes near its deadline

    def __str__(self) -> str:
        return f"#{self.dossier_id} {self.step}"
