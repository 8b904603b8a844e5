"""The only receivers of the saves that change a dossier (connected in ``apps.py``): the
in-transaction steps of ``steps.py`` in their order, and the worker's kick after the commit
(one queue write per change, a filing's declaration included)."""

from __future__ import annotations

from django.db import transaction

from dichvucong.dossiers.models import DossierEvent
from dichvucong.payments import services as payments
from dichvucong.pipeline.models import EntryKind
from dichvucong.pipeline.steps import owed_declaration, record
from dichvucong.pipeline.tasks import drain_follows, kick


def _record(kind: str, row, dossier_id: int | None) -> None:
    # A kick per entry, not one per transaction: a kick registered in a savepoint that rolls
    # back is dropped with it (the worker's run drains whatever is due, so two kicks cost one).
    if record(kind, row, dossier_id) is not None and not drain_follows():
        transaction.on_commit(kick)


def on_event(sender, instance: DossierEvent, created: bool, raw: bool = False, **kwargs) -> None:
    if not created or raw:  # loaddata: ``rebuild_facts`` recomputes instead
        return
    entry = record(EntryKind.EVENT, instance, instance.dossier_id)
    payments.follow_event(instance)  # step 3, after the entry: the fee's event comes later
    dossier_id = owed_declaration(instance)
    if entry is not None or dossier_id is not None:
        # One queue write for both: the worker's run renders the declaration, then drains.
        transaction.on_commit(lambda: kick(declaration=dossier_id))


def on_attachment(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        _record(EntryKind.ATTACHMENT, instance, instance.dossier_id)


def on_result(sender, instance, raw: bool = False, **kwargs) -> None:
    # Saved several times while it is rendered and signed: owed once it is ready.
    if not raw and instance.is_ready:
        _record(EntryKind.RESULT, instance, instance.dossier_id)


def on_rating(sender, instance, raw: bool = False, **kwargs) -> None:
    if not raw:
        _record(EntryKind.RATING, instance, instance.dossier_id)
