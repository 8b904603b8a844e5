"""Dossier events → notifications: the ``notify`` step of the pipeline (``pipeline/steps.py``).

Every change of a dossier's state is a ``DossierEvent`` row written inside
``dossiers.actions.perform`` (or the back office's apology, or the payments app's
``fee_requested`` / ``payment_confirmed``) with its pipeline entry; the pipeline's worker writes
the notification rows in one transaction with the entry's update (so once), and the delivery
worker sends them.
"""

from __future__ import annotations

import logging
from datetime import datetime

from dichvucong.notify.outbox import enqueue

log = logging.getLogger(__name__)

# Event action → the applicant's message.
APPLICANT_EVENTS = {
    "submit": "submitted",
    "enter_walk_in": "received",
    "receive": "received",
    "reject": "rejected",
    "request_supplement": "supplement_requested",
    "refuse": "refused",
    "pause": "paused",
    "issue_result": "result_ready",
    "return_result": "returned",
    "withdraw": "withdrawn",
    "apology": "late_apology",
    "fee_requested": "fee_due",
    "payment_confirmed": "payment_confirmed",
}
# Event action → the message to the dossier's assignee.
ASSIGNEE_EVENTS = {"provide_supplement": "supplement_provided"}


def notify_for_event(event) -> list:
    dossier = event.dossier
    context = {"at": event.created_at, "note": event.note}
    data = event.data or {}
    for key in ("amount", "reference", "pay_link", "pay_link_hours"):
        if key in data:
            context[key] = data[key]
    if data.get("new_due_at"):
        context["new_due"] = _parse(data["new_due_at"])
    created = []
    message = APPLICANT_EVENTS.get(event.action)
    if message:
        address = None
        if dossier.applicant_id is None:  # walk-in without an account: the dossier's contacts
            address = {"email": dossier.applicant_email, "phone": dossier.applicant_phone}
            if not (address["email"] or address["phone"]):
                address = None
        if dossier.applicant_id is not None or address is not None:
            created += enqueue(event=message, context=context, dossier=dossier,
                               user=dossier.applicant, address=address,
                               dedupe_key=f"dossier-event:{event.pk}:applicant")
    message = ASSIGNEE_EVENTS.get(event.action)
    official = _official_for(event) if message else None
    if official is not None and official.pk != event.actor_id:
        created += enqueue(event=message, context=context, dossier=dossier, user=official,
                           dedupe_key=f"dossier-event:{event.pk}:assignee")
    return created


def _official_for(event):
    """Who waits for the applicant's answer: the assignee, or at reception the officer who
    asked for the supplement."""
    dossier = event.dossier
    if dossier.assignee_id:
        return dossier.assignee
    request = (type(event).objects.filter(dossier=dossier, action="request_supplement",
                                          actor__isnull=False)
               .select_related("actor").order_by("-created_at", "-id").first())
    return request.actor if request else None


def _parse(value: str) -> datetime | str:
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return str(value)
