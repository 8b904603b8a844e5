"""Every dossier event goes into the audit chain (``core/audit.py``) as it is written, in its
transaction: the change, who made it in which role, and the note given as its reason."""

from __future__ import annotations

from dichvucong.core import audit
from dichvucong.dossiers.models import Dossier, DossierEvent


def audit_event(sender, instance: DossierEvent, created: bool, **kwargs) -> None:
    if not created:
        return
    dossier = instance.dossier  # cached: the event is created with its dossier
    applicant = dossier.applicant_id if isinstance(dossier, Dossier) else None
    audit.record(source="dossier", action=f"dossier.{instance.action}", object_type="dossier",
                 object_id=dossier.code or dossier.pk, actor_id=instance.actor_id,
                 actor_role=instance.actor_role, subject_id=applicant, reason=instance.note,
                 data={"event": instance.pk, "from": instance.from_state,
                       "to": instance.to_state}, row=instance)
