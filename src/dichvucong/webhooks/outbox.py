"""Dossier events → webhook deliveries: the ``webhooks`` step of the pipeline
(``pipeline/steps.py``).

Like the national portal's sync (``nationalsync/outbox.py``): the pipeline's worker writes the
deliveries in one transaction with the entry's update, and the delivery worker is kicked after
that commit, never in the request.

Who receives an event: every active subscription of a registered system that may read the
dossier through the API — granted ``dossiers:read`` and registered for the dossier's agency, the
rule of ``dossiers.access.system_dossiers`` — and that asked for the event's type. Drafts are
nobody's business but the applicant's and are not sent.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from dichvucong.apiclients.scopes import DOSSIERS_READ
from dichvucong.core import kicks
from dichvucong.dossiers import access
from dichvucong.webhooks import events
from dichvucong.webhooks.models import Delivery, DeliveryState, Subscription
from dichvucong.webhooks.tasks import deliver_webhooks

log = logging.getLogger(__name__)


def subscribers(event) -> list[Subscription]:
    """The active subscriptions that may see the event's dossier and asked for its type."""
    sees = access.system_dossiers(OuterRef("client__agency_id")).filter(pk=event.dossier_id)
    kind = events.event_type(event)
    found = (Subscription.objects.filter(active=True).filter(Exists(sees))
             .select_related("client"))
    return [s for s in found if DOSSIERS_READ in s.client.scope_list
            and (not s.event_list or kind in s.event_list)]


def record_event(event) -> list[Delivery]:
    """One delivery per subscriber, in the current transaction. The keys derive from the event
    and the subscription: the same event recorded twice writes nothing new."""
    kind = events.event_type(event)
    rows = []
    for subscription in subscribers(event):
        key = f"dvc-wh-{subscription.pk}-{event.pk}"
        rows.append(Delivery(subscription=subscription, dossier_id=event.dossier_id,
                             event=event, event_type=kind.value,
                             payload=events.payload(event, kind, key), key=key,
                             next_attempt_at=event.created_at))
    if not rows:
        return []
    try:
        with transaction.atomic():  # the keys are unique: an event recorded before is refused
            Delivery.objects.bulk_create(rows)
    except IntegrityError:
        return []
    kicks.after_commit(kick)
    return rows


def kick() -> None:
    """Ask the worker to deliver now; the periodic run picks up whatever this misses."""
    try:
        deliver_webhooks()
    except Exception:
        log.exception("webhooks: the delivery kick failed")


def resend(ids) -> int:
    """An operator's resend: failed or delivered deliveries go back to the queue, due now,
    with the same body and key (the receiver recognises a repeat by its ``id``)."""
    count = (Delivery.objects.filter(pk__in=ids)
             .filter(state__in=[DeliveryState.FAILED, DeliveryState.DELIVERED])
             .update(state=DeliveryState.PENDING, next_attempt_at=timezone.now(), attempts=0))
    if count:
        kicks.after_commit(kick)
    return count
