"""The store's access history also feeds the audit chain (``core/audit.py``), in the
transaction of the access it records. The files themselves enter the store through the
pipeline's ``store`` step (``pipeline/steps.py``)."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from dichvucong.core import audit

from .models import AccessRecord


@receiver(post_save, sender=AccessRecord, dispatch_uid="datastore-audit-access")
def audit_access(sender, instance: AccessRecord, created: bool, **kwargs) -> None:
    """Each entry of the store's history also goes into the audit chain (core/audit.py)."""
    if created:
        audit.record(source="datastore", action=f"datastore.{instance.action}",
                     object_type="stored_document" if instance.document_id else "datastore",
                     object_id=instance.document_id or "", actor_id=instance.actor_id,
                     subject_id=instance.owner_id,
                     data={"access_record": instance.pk, "agency": instance.agency_id,
                           "share": instance.share_id}, row=instance)
