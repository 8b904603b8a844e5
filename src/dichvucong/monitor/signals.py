"""The facts move with the events: every saved ``DossierEvent`` (a change of state, an apology,
a confirmed payment, an issued result) and every saved rating refreshes its dossier's fact in the
same transaction, so a rolled-back action leaves the facts as they were."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from dichvucong.dossiers.models import DossierEvent
from dichvucong.monitor import facts
from dichvucong.ratings.models import Rating


@receiver(post_save, sender=DossierEvent, dispatch_uid="monitor_event_facts")
def _event_saved(sender, instance: DossierEvent, raw: bool = False, **kwargs) -> None:
    if not raw:  # loaddata: the rebuild command recomputes instead
        facts.refresh_dossier(instance.dossier_id)


@receiver(post_save, sender=Rating, dispatch_uid="monitor_rating_facts")
@receiver(post_delete, sender=Rating, dispatch_uid="monitor_rating_deleted_facts")
def _rating_changed(sender, instance: Rating, raw: bool = False, **kwargs) -> None:
    if not raw:
        facts.refresh_dossier(instance.dossier_id)
