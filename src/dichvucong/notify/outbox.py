"""The transactional outbox: the one way other apps send a notification.

``enqueue`` writes one ``Notification`` row per channel **in the caller's transaction**: when the
change that causes the message rolls back, so does the message; when it commits, the worker is
kicked (``transaction.on_commit``) and delivers. The same ``dedupe_key`` enqueued again writes
nothing new, so a retried request or a replayed event never sends twice.

    from dichvucong.notify.outbox import enqueue
    enqueue(event="alert.overdue", dedupe_key=f"alert:overdue:{dossier.pk}:{user.pk}",
            user=user, dossier=dossier, context={"code": dossier.code, "due": dossier.due_at})

Events and their texts: ``texts.EVENTS`` (dossier events, ``fee_due``, ``payment_confirmed``,
``alert.not_received`` / ``near_due`` / ``overdue`` / ``step_near_due`` /
``supplement_unanswered``). Context keys the texts use: ``code``, ``procedure``, ``agency``,
``name``, ``at``, ``due``, ``new_due``, ``note``, ``amount`` (int, VND), ``reference``,
``step``, ``pay_link`` (the site path of the fee's signed payment link, ``fee_due`` only) and
``pay_link_hours``; datetimes are shown in local time. With a ``dossier``, its code, procedure,
agency and applicant name are filled in when not given.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from dichvucong.core import bulk, kicks
from dichvucong.notify import texts
from dichvucong.notify.models import Notification, NotificationChannel, Status
from dichvucong.notify.preferences import Recipient, recipient_for
from dichvucong.notify.tasks import deliver_notifications

log = logging.getLogger(__name__)

PHONE_CHANNELS = (NotificationChannel.SMS, NotificationChannel.ZALO)


def enqueue(*, event: str, context: dict, dedupe_key: str, user=None,
            address: dict | None = None, dossier=None,
            channels: list[str] | None = None) -> list[Notification]:
    """Write the notifications for ``event`` in the current transaction; returns the new rows
    (none when ``dedupe_key`` was enqueued before).

    ``user``: the recipient's account (their channel choices and language apply).
    ``address``: for a recipient without an account (a walk-in applicant), or to override it:
    ``{"email": …, "phone": …, "language": "vi"|"en"}``.
    ``channels``: restrict to these channels (``inapp``, ``email``, ``sms``, ``zalo``); still only
    those the recipient can receive. Unknown ``event``: KeyError, before anything is written.
    """
    rows = _rows(event, context, dedupe_key, recipient_for(user, address), user, dossier,
                 channels, timezone.now())
    if not rows:
        return []
    existing = set(Notification.objects.filter(dedupe_key=dedupe_key)
                   .values_list("channel", flat=True))
    created: list[Notification] = []
    for row in rows:
        if row.channel in existing:
            continue
        try:
            with transaction.atomic():  # a concurrent twin wins the unique constraint
                row.save()
        except IntegrityError:
            continue
        created.append(row)
    if any(row.status == Status.PENDING for row in created):
        kicks.after_commit(kick)
    return created


BATCH = 1000  # rows per statement in ``enqueue_many``


def enqueue_many(messages: Iterable[dict[str, Any]]) -> int:
    """``enqueue`` for many messages at once (each a dict of its arguments, with ``user``, never
    ``address``), for the alert scan's thousands: each user's preferences read once, the
    dedupe keys looked up and the rows written in batches. Returns how many rows were
    offered to the database; a row whose dedupe key and channel exist is skipped there."""
    now = timezone.now()
    recipients: dict[int, Recipient] = {}
    rows: list[Notification] = []
    for message in messages:
        user = message["user"]
        if user.pk not in recipients:
            recipients[user.pk] = recipient_for(user)
        rows += _rows(message["event"], message["context"], message["dedupe_key"],
                      recipients[user.pk], user, message.get("dossier"),
                      message.get("channels"), now)
    for start in range(0, len(rows), BATCH):
        batch = rows[start:start + BATCH]
        existing = set(Notification.objects.filter(
            dedupe_key__in={row.dedupe_key for row in batch}).values_list("dedupe_key", "channel"))
        fresh = [row for row in batch if (row.dedupe_key, row.channel) not in existing]
        # A concurrent twin wins the unique constraint. PostgreSQL: without the driver quoting
        # every value (core/bulk.py; the alert scan's thousands of messages).
        bulk.insert_ignoring_conflicts(fresh)
    if any(row.status == Status.PENDING for row in rows):
        kicks.after_commit(kick)
    return len(rows)



def _rows(event: str, context: dict, dedupe_key: str, recipient: Recipient, user, dossier,
          channels: list[str] | None, now) -> list[Notification]:
    """The unsaved notifications of one message, one per channel the recipient receives."""
    spec = texts.EVENTS[event]
    wanted = recipient.channels
    if channels is not None:
        allowed = {str(c) for c in channels}
        wanted = [c for c in wanted if c in allowed]
    if not spec.phone and channels is None:
        wanted = [c for c in wanted if c not in PHONE_CHANNELS]
    if not wanted:
        return []
    full = _with_dossier(context, dossier)
    rendered = texts.render(event, full, recipient.language)
    link = str(context.get("link") or _dossier_link(dossier, spec.for_official))
    rows = []
    for channel in wanted:
        row = Notification(
            dedupe_key=dedupe_key, channel=channel, event=event, user=user, dossier=dossier,
            to=_address(recipient, channel), language=recipient.language,
            subject=rendered.subject, body=rendered.body, short_text=rendered.sms, link=link,
            template_data=rendered.template_data, idempotency_key=secrets.token_hex(16),
            next_attempt_at=now,
        )
        if channel == NotificationChannel.INAPP:  # the inbox is the database itself: delivered now,
            # by this one write, which is its one attempt
            row.status, row.sent_at, row.next_attempt_at = Status.SENT, now, None
            row.attempts = 1
        rows.append(row)
    return rows


def kick() -> None:
    """Ask the worker to deliver now (after the commit that wrote the rows)."""
    try:
        deliver_notifications()
    except Exception:  # the periodic run picks them up; never fail the caller's request
        log.exception("notify: the delivery kick failed")


def _address(recipient: Recipient, channel: str) -> str:
    if channel == NotificationChannel.EMAIL:
        return recipient.email
    if channel in PHONE_CHANNELS:
        return recipient.phone
    return ""


def _with_dossier(context: dict[str, Any], dossier) -> dict[str, Any]:
    if dossier is None:
        return dict(context)
    full: dict[str, Any] = {
        "code": dossier.code or "", "procedure": dossier.procedure.name,
        "agency": dossier.agency.name, "name": dossier.applicant_name,
        "due": dossier.due_at or "",
    }
    full.update(context)
    return full


def _dossier_link(dossier, for_official: bool) -> str:
    if dossier is None or not dossier.code:
        return ""
    if for_official:
        return reverse("backoffice:dossier", args=[dossier.code])
    return reverse("dossiers:detail", args=[dossier.code])
