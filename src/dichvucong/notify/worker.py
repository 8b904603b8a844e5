"""The delivery worker: claims due notifications, sends each through its channel, records the
outcome. Runs from huey (a periodic task, and a kick after each commit that enqueued), or as
``dichvucong deliver_notifications`` in a process of its own; several may run at once.

Claiming. A batch is claimed by writing a fresh lease token and a lease time on rows that are
due (pending and ``next_attempt_at`` passed) or abandoned (sending, lease expired) — a
conditional UPDATE, so of two workers only one gets a row, on SQLite as on PostgreSQL (where the
candidates are also read with ``SELECT … FOR UPDATE SKIP LOCKED`` so workers do not queue on
each other's rows). Every later write checks the token: a worker that lost its lease writes
nothing, and above all cannot hand the message over (``LostClaim`` is raised before the last
byte).

Exactly once, and what it rests on. Each attempt commits ``handed_over_at`` just before the
provider gets the last piece of the message (gateways.py). After a crash the next worker finds:
- no hand-over: the provider never had the whole message, so it is sent again;
- a hand-over on SMS: sent again with the same eSMS RequestId; eSMS answers 124 (duplicate
  RequestId) when it had it, which is recorded as sent — exactly once by the provider's
  idempotency;
- a hand-over on e-mail or Zalo: SMTP has no idempotency, and Zalo's tracking_id is not
  documented as one, so the message is **not** sent again and is recorded "unconfirmed"
  (visible to officials). It was written in full to the connection; a killed process's
  written bytes still reach the peer, so the provider has it. It is lost only if the worker
  dies in the microseconds between the hand-over commit and the write of the last bytes, or
  if the machine or network fails at that moment: at most once in that window, never twice.
  The same Message-ID / tracking_id is used on every attempt, so a receiver can tell copies.
"""

from __future__ import annotations

import logging
import random
import secrets
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from dichvucong.core import leases
from dichvucong.notify import gateways
from dichvucong.notify.models import Notification, NotificationChannel, Status

log = logging.getLogger(__name__)


class LostClaim(Exception):
    """Another worker took the notification over (our lease expired): send nothing."""


@dataclass
class Report:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    unconfirmed: int = 0
    fell_back: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed + self.unconfirmed + self.fell_back


def backoff_seconds(attempt: int, *, base: float | None = None, cap: float | None = None,
                    rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter after failed attempt number ``attempt`` (1, 2, …):
    a random delay in [½, 1] × min(cap, base × 2^(attempt−1)), so retries of many messages
    after one outage spread out instead of arriving together."""
    base = settings.NOTIFY_BACKOFF_SECONDS if base is None else base
    cap = settings.NOTIFY_BACKOFF_MAX_SECONDS if cap is None else cap
    ceiling = min(cap, base * (2 ** max(0, attempt - 1)))
    return ceiling * (0.5 + 0.5 * (rng or random).random())


def _claimable(now) -> Q:
    return (Q(status=Status.PENDING, next_attempt_at__lte=now)
            | Q(status=Status.SENDING, lease_until__lt=now))


def claim(batch: int | None = None) -> tuple[str, list[Notification]]:
    return leases.claim(
        Notification.objects.order_by("next_attempt_at", "id"), _claimable,
        batch=batch or settings.NOTIFY_BATCH, lease_seconds=settings.NOTIFY_LEASE_SECONDS,
        status=Status.SENDING)


def deliver_due(max_batches: int = 50) -> Report:
    """Deliver what is due, a batch at a time, until nothing is left (or ``max_batches``)."""
    report = Report()
    for _ in range(max_batches):
        token, rows = claim()
        if not rows:
            break
        for row in rows:
            deliver_one(row, token, report)
    return report


def deliver_one(row: Notification, token: str, report: Report | None = None) -> None:
    report = report if report is not None else Report()
    now = timezone.now()
    mine = Notification.objects.filter(pk=row.pk, lease_token=token)
    if row.handed_over_at is not None and row.channel in (NotificationChannel.EMAIL,
                                                          NotificationChannel.ZALO):
        # A worker died after handing this message over: the provider has it. Not again.
        if mine.update(status=Status.UNCONFIRMED, lease_token="", lease_until=None,
                       sent_at=row.handed_over_at,
                       last_error="Tiến trình gửi dừng sau khi đã chuyển toàn bộ thư cho nhà "
                                  "cung cấp; không gửi lại để tránh trùng."):
            report.unconfirmed += 1
        return
    lease_until = now + timedelta(seconds=settings.NOTIFY_LEASE_SECONDS)
    if not mine.update(lease_until=lease_until, attempts=F("attempts") + 1):
        return  # someone else holds it now
    row.attempts += 1

    def handover() -> None:
        if not mine.update(handed_over_at=timezone.now()):
            raise LostClaim(row.pk)

    try:
        sent = _send(row, handover)
    except LostClaim:
        return
    except gateways.ZaloRefused as exc:
        _fall_back(row, mine, exc, report)
        return
    except gateways.DeliveryError as exc:
        _failed(row, mine, exc, report)
        return
    except Exception as exc:  # a bug must not stop the batch: retried, then failed
        log.exception("notify: unexpected error delivering notification %s", row.pk)
        _failed(row, mine, gateways.DeliveryError(f"Lỗi hệ thống: {type(exc).__name__}",
                                                  temporary=True, code="internal"), report)
        return
    mine.update(status=Status.SENT, sent_at=timezone.now(), provider_id=sent.provider_id[:100],
                lease_token="", lease_until=None)
    report.sent += 1


def _send(row: Notification, handover) -> gateways.Sent:
    if row.channel == NotificationChannel.EMAIL:
        return gateways.send_email(row.to, row.subject, email_text(row), html=email_html(row),
                                   message_id=message_id(row), language=row.language,
                                   on_handover=handover)
    if row.channel == NotificationChannel.SMS:
        return gateways.send_sms(row.to, row.short_text or row.subject,
                                 request_id=row.idempotency_key, on_handover=handover)
    if row.channel == NotificationChannel.ZALO:
        template_id = settings.ZNS_TEMPLATES.get(row.event, "")
        return gateways.send_zalo(row.to, template_id, row.template_data,
                                  tracking_id=row.idempotency_key, on_handover=handover)
    raise gateways.DeliveryError(f"Kênh không hỗ trợ: {row.channel}", code="unknown_channel")


def _failed(row: Notification, mine, exc: gateways.DeliveryError, report: Report) -> None:
    error = str(exc)[:500]
    final = not exc.temporary or row.attempts >= settings.NOTIFY_MAX_ATTEMPTS
    if final and row.channel == NotificationChannel.ZALO:  # Zalo unreachable for good: SMS instead
        _fall_back(row, mine, exc, report)
        return
    if final:
        mine.update(status=Status.FAILED, last_error=error, error_code=exc.code[:20],
                    lease_token="", lease_until=None, handed_over_at=None,
                    next_attempt_at=None)
        report.failed += 1
        log.warning("notify: notification %s failed for good (%s)", row.pk, exc.code)
        return
    delay = backoff_seconds(row.attempts)
    mine.update(status=Status.PENDING, last_error=error, error_code=exc.code[:20],
                lease_token="", lease_until=None, handed_over_at=None,
                next_attempt_at=timezone.now() + timedelta(seconds=delay))
    report.retried += 1


def _fall_back(row: Notification, mine, exc: gateways.DeliveryError, report: Report) -> None:
    """Zalo refused: the same message by SMS, in one transaction with the Zalo row's outcome."""
    with transaction.atomic():
        if not mine.update(status=Status.FELL_BACK, last_error=str(exc)[:500],
                           error_code=exc.code[:20], lease_token="", lease_until=None,
                           handed_over_at=None, next_attempt_at=None):
            return
        if not Notification.objects.filter(dedupe_key=row.dedupe_key,
                                           channel=NotificationChannel.SMS).exists():
            Notification.objects.create(
                dedupe_key=row.dedupe_key, channel=NotificationChannel.SMS, event=row.event,
                user_id=row.user_id, dossier_id=row.dossier_id, to=row.to,
                language=row.language, subject=row.subject, body=row.body,
                short_text=row.short_text, link=row.link, template_data=row.template_data,
                idempotency_key=secrets.token_hex(16), next_attempt_at=timezone.now(),
                fallback_of=row)
    report.fell_back += 1


# --- e-mail content -------------------------------------------------------------------------

def message_id(row: Notification) -> str:
    """The same Message-ID on every attempt: a receiver can tell copies of one message."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return f"<{row.idempotency_key}@{domain}>"


def absolute_link(row: Notification) -> str:
    return f"{settings.SITE_URL}{row.link}" if row.link else ""


def email_text(row: Notification) -> str:
    with translation.override(row.language):
        return render_to_string("notify/email.txt", {"n": row, "url": absolute_link(row),
                                                      "portal_name": settings.PORTAL_NAME})


def email_html(row: Notification) -> str:
    with translation.override(row.language):
        return render_to_string("notify/email.html", {
            "n": row, "url": absolute_link(row), "paragraphs": row.body.split("\n\n"),
            "portal_name": settings.PORTAL_NAME})
