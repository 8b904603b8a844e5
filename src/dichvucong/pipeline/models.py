"""The pipeline's outbox: one row per dossier event (or stored file, signed result, rating),
written in the transaction that made it; the worker runs the derived steps from it."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class EntryKind(models.TextChoices):
    EVENT = "event", "event"
    ATTACHMENT = "attachment", "attachment"
    RESULT = "result", "result"
    RATING = "rating", "rating"


class PipelineEntry(models.Model):
    """What the worker still owes one change of a dossier. ``pending`` names the derived steps
    not done yet (each name between spaces: `` facts notify ``); a step done removes its name in
    the transaction that wrote its data, so a step runs exactly once however often the worker
    dies. The row is deleted when nothing is pending. ``failures`` keeps, per step, the
    attempts and the last error class; the other steps go on."""

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=16, choices=EntryKind.choices)
    dossier_id = models.BigIntegerField(null=True)  # no key: a purged dossier's entry is void
    event = models.ForeignKey("dossiers.DossierEvent", on_delete=models.CASCADE, null=True,
                              related_name="+")
    object_id = models.BigIntegerField(null=True)  # the attachment, result or rating
    created_at = models.DateTimeField(default=timezone.now)
    pending = models.CharField(max_length=200)
    failures = models.JSONField(default=dict, blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_token = models.CharField(max_length=32, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["next_attempt_at", "id"], name="pipeline_due")]

    def __str__(self) -> str:
        return f"{self.kind} {self.event_id or self.object_id}:{self.pending}"

    def steps(self) -> list[str]:
        return self.pending.split()

