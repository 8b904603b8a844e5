"""The fee follows the dossier's lifecycle: kept when the dossier is submitted (or entered at the
counter), asked for at the moment the procedure names. Receivers of ``DossierEvent`` saves run
inside the transaction that wrote the event, so the fee and its event commit with it or not at
all."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from dichvucong.dossiers.models import DossierEvent
from dichvucong.payments import services
from dichvucong.payments.fees import Due
from dichvucong.payments.services import RECORD_AT, REQUEST_AT


@receiver(post_save, sender=DossierEvent, dispatch_uid="payments.fee_follows_dossier")
def fee_follows_dossier(sender, instance: DossierEvent, created: bool, raw=False, **kwargs):
    if not created or raw or instance.action not in REQUEST_AT:
        return
    dossier = instance.dossier
    if instance.action in RECORD_AT:
        fee = services.record_fee(dossier)
    else:
        fee = dossier.fee if hasattr(dossier, "fee") else services.record_fee(dossier)
    if fee.amount and Due(fee.due) in REQUEST_AT[instance.action]:
        services.request_fee(dossier, instance.actor, instance.actor_role or "system")
