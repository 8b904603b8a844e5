"""The webhook worker: POSTs due deliveries, one subscription's deliveries of a dossier in order.

Order and claiming are the national portal sync's (``nationalsync/worker.py``): a delivery is
claimable only when every earlier delivery of the same subscription and dossier was delivered
(a system learns of a dossier's reception after its filing), and rows are leased through
``core/leases.py``, so several workers may run and a killed one's lease expires into a retry.

Each attempt is signed afresh (``signing.py``: the timestamp is the attempt's) over the same
bytes. Any 2xx answer delivers; anything else — another status, a redirect (not followed), a
timeout, no connection — is retried with exponential backoff and jitter up to
``WEBHOOK_MAX_ATTEMPTS``, then the delivery is failed and holds its dossier's later deliveries
to that subscription back until an operator resends it. The log keeps the status and the error,
never the receiver's answer body.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

import requests
from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from dichvucong.core import leases
from dichvucong.notify.worker import backoff_seconds
from dichvucong.webhooks import signing
from dichvucong.webhooks.models import Delivery, DeliveryState

USER_AGENT = "dichvucong-webhooks/1"


@dataclass
class Report:
    delivered: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def handled(self) -> int:
        return self.delivered + self.retried + self.failed


class Undelivered(Exception):
    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def _claimable(now) -> Q:
    return (Q(state=DeliveryState.PENDING, next_attempt_at__lte=now)
            | Q(state=DeliveryState.SENDING, lease_until__lt=now))


def claim(batch: int = 50) -> tuple[str, list[Delivery]]:
    """The first undelivered delivery of up to ``batch`` (subscription, dossier) pairs, when
    it is due."""
    earlier = (Delivery.objects.filter(subscription=OuterRef("subscription"),
                                       dossier=OuterRef("dossier"), id__lt=OuterRef("id"))
               .exclude(state=DeliveryState.DELIVERED))
    return leases.claim(
        Delivery.objects.exclude(Exists(earlier)).order_by("id"), _claimable, batch=batch,
        lease_seconds=settings.WEBHOOK_LEASE_SECONDS, related=["subscription", "dossier"],
        state=DeliveryState.SENDING)


def deliver_due(max_rounds: int = 1000) -> Report:
    """Send what is due until nothing is left, or ``max_rounds``."""
    report = Report()
    with requests.Session() as session:
        for _ in range(max_rounds):
            token, rows = claim()
            if not rows:
                break
            for row in rows:
                deliver_one(row, token, session, report)
    return report


def deliver_one(row: Delivery, token: str, session: requests.Session, report: Report) -> None:
    mine = Delivery.objects.filter(pk=row.pk, lease_token=token)
    if not row.payload["dossier"]["code"] and row.dossier.code:
        # Filed through the API, the dossier gets its code after its event: fill it in once,
        # before the first attempt, so every attempt sends the same body.
        row.payload["dossier"]["code"] = row.dossier.code
        mine.update(payload=row.payload)
    lease_until = timezone.now() + timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
    if not mine.update(lease_until=lease_until, attempts=F("attempts") + 1):
        return  # another worker holds it now
    row.attempts += 1
    try:
        status = send(row, session)
    except Undelivered as exc:
        final = row.attempts >= settings.WEBHOOK_MAX_ATTEMPTS
        delay = backoff_seconds(row.attempts, base=settings.WEBHOOK_BACKOFF_SECONDS,
                                cap=settings.WEBHOOK_BACKOFF_MAX_SECONDS)
        mine.update(state=DeliveryState.FAILED if final else DeliveryState.PENDING,
                    last_error=str(exc)[:500], response_status=exc.status, lease_token="",
                    lease_until=None,
                    next_attempt_at=None if final else timezone.now() + timedelta(seconds=delay))
        if final:
            report.failed += 1
        else:
            report.retried += 1
        return
    mine.update(state=DeliveryState.DELIVERED, delivered_at=timezone.now(),
                response_status=status, last_error="", lease_token="", lease_until=None,
                next_attempt_at=None)
    report.delivered += 1


def headers(row: Delivery, body: bytes, timestamp: int) -> dict[str, str]:
    return {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
            "X-DVC-Event": row.event_type, "X-DVC-Delivery": row.key,
            signing.HEADER: signing.signature(row.subscription.secret, timestamp, body)}


def send(row: Delivery, session: requests.Session) -> int:
    body = signing.body_bytes(row.payload)
    try:
        response = session.post(row.subscription.url, data=body,
                                headers=headers(row, body, int(time.time())),
                                timeout=settings.WEBHOOK_TIMEOUT, allow_redirects=False)
    except requests.RequestException as exc:
        raise Undelivered(f"Không kết nối được địa chỉ nhận: {type(exc).__name__}") from exc
    if not 200 <= response.status_code < 300:
        raise Undelivered(f"Địa chỉ nhận trả lời HTTP {response.status_code}",
                          response.status_code)
    return response.status_code
