"""Files enter the store as the dossier's events happen: uploads when the dossier is submitted
(online or at the counter, and supplements), a result when the results app has signed it (or
the result file an officer attaches on issuing). In the same transaction as the action, inside
a savepoint: a failure here is logged and never undoes the dossier's action."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from dichvucong.core import audit
from dichvucong.dossiers.lifecycle import Action
from dichvucong.dossiers.models import Attachment, Dossier, DossierEvent
from dichvucong.results.models import Result

from . import services
from .models import AccessRecord
from .services import RESULT_REQUIREMENT

COLLECTING = {Action.submit.value, Action.enter_walk_in.value, Action.provide_supplement.value}


def _collect(dossier_id: int) -> None:
    try:
        with transaction.atomic():
            dossier = Dossier.objects.select_related("procedure_version", "procedure").get(
                pk=dossier_id)
            services.collect_dossier(dossier)
    except Exception:
        services.log_failure(dossier_id)


@receiver(post_save, sender=DossierEvent, dispatch_uid="datastore-collect-event")
def collect_on_event(sender, instance: DossierEvent, created: bool, **kwargs) -> None:
    if created and instance.action in COLLECTING:
        _collect(instance.dossier_id)


@receiver(post_save, sender=Attachment, dispatch_uid="datastore-collect-result")
def collect_result_file(sender, instance: Attachment, created: bool, **kwargs) -> None:
    if created and instance.requirement == RESULT_REQUIREMENT:
        _collect(instance.dossier_id)


@receiver(post_save, sender=Result, dispatch_uid="datastore-collect-signed-result")
def collect_signed_result(sender, instance, **kwargs) -> None:
    if not instance.is_ready:
        return
    try:
        with transaction.atomic():
            services.collect_result(instance)
    except Exception:
        services.log_failure(instance.dossier_id or 0)


@receiver(post_save, sender=AccessRecord, dispatch_uid="datastore-audit-access")
def audit_access(sender, instance: AccessRecord, created: bool, **kwargs) -> None:
    """Each entry of the store's history also goes into the audit chain (core/audit.py)."""
    if created:
        audit.record(source="datastore", action=f"datastore.{instance.action}",
                     object_type="stored_document" if instance.document_id else "datastore",
                     object_id=instance.document_id or "", actor_id=instance.actor_id,
                     subject_id=instance.owner_id,
                     data={"access_record": instance.pk, "agency": instance.agency_id,
                           "share": instance.share_id})
