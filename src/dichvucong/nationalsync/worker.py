"""The sync worker: sends due records to the national portal, one dossier's in order.

Order. A record is claimable only when every earlier record of its dossier (by ``id``, the order
of the events) is synced: a dossier's create always reaches the portal before its updates and
steps, and a step never overtakes the one before it. A failed record holds the rest of its
dossier back until an operator resends it.

Claiming is the notification worker's (``notify/worker.py``): a lease token written by a
conditional UPDATE (and ``SKIP LOCKED`` on PostgreSQL), checked on every later write, so several
workers may run and a killed one's lease expires into a retry.

Idempotency. Each attempt sends the record's ``key`` as the ``Idempotency-Key`` header; a worker
killed after the portal took the record but before it wrote the answer resends it, and the portal
answers "already received". Outcomes:
- ``error_code`` "0": synced (a duplicate too);
- another ``error_code``: the portal refused this record; sending the same bytes again would be
  refused again, so it fails at once and waits for an operator (the codes are not documented [I]);
- HTTP error, no answer, a broken answer: retried with exponential backoff and jitter, up to
  ``NATIONAL_SYNC_MAX_ATTEMPTS``, then failed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

import requests
from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from dichvucong.core import leases
from dichvucong.nationalsync import shape
from dichvucong.nationalsync.models import SyncRecord, SyncState
from dichvucong.notify.worker import backoff_seconds

log = logging.getLogger(__name__)


@dataclass
class Report:
    synced: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def handled(self) -> int:
        return self.synced + self.retried + self.failed


class Refused(Exception):
    """The portal answered, and refused the record (non-zero ``error_code``)."""

    def __init__(self, message: str, answer: dict) -> None:
        super().__init__(message)
        self.answer = answer


class Unreachable(Exception):
    """No usable answer: try again later."""

    def __init__(self, message: str, answer: dict | None = None) -> None:
        super().__init__(message)
        self.answer = answer or {}


def _claimable(now) -> Q:
    return (Q(state=SyncState.PENDING, next_attempt_at__lte=now)
            | Q(state=SyncState.SENDING, lease_until__lt=now))


def claim(batch: int = 50) -> tuple[str, list[SyncRecord]]:
    """The first unsynced record of up to ``batch`` dossiers, when it is due."""
    earlier = (SyncRecord.objects.filter(dossier=OuterRef("dossier"), id__lt=OuterRef("id"))
               .exclude(state=SyncState.SYNCED))
    token, found = leases.claim(
        SyncRecord.objects.exclude(Exists(earlier)).order_by("id"), _claimable, batch=batch,
        lease_seconds=settings.NATIONAL_SYNC_LEASE_SECONDS, state=SyncState.SENDING)
    if not found:
        return token, []
    return token, list(SyncRecord.objects.filter(lease_token=token).select_related("dossier"))


def deliver_due(max_rounds: int = 1000) -> Report:
    """Send what is due until nothing is left (each round takes the next record of each
    dossier), or ``max_rounds``. Does nothing without ``NATIONAL_SYNC_URL``."""
    report = Report()
    if not settings.NATIONAL_SYNC_URL:
        return report
    with requests.Session() as session:
        for _ in range(max_rounds):
            token, rows = claim()
            if not rows:
                break
            for row in rows:
                deliver_one(row, token, session, report)
    return report


def deliver_one(row: SyncRecord, token: str, session: requests.Session,
                report: Report) -> None:
    mine = SyncRecord.objects.filter(pk=row.pk, lease_token=token)
    lease_until = timezone.now() + timedelta(seconds=settings.NATIONAL_SYNC_LEASE_SECONDS)
    if not row.payload.get("MaHoSo"):
        # Filed through the API, the dossier gets its code after its event: fill it in once,
        # before the first attempt, so every attempt sends the same record.
        row.payload["MaHoSo"] = row.dossier.code
        mine.update(payload=row.payload)
    if not mine.update(lease_until=lease_until, attempts=F("attempts") + 1):
        return  # another worker holds it now
    row.attempts += 1
    try:
        answer = send(row, session)
    except Refused as exc:
        mine.update(state=SyncState.FAILED, last_error=str(exc)[:1000], response=exc.answer,
                    lease_token="", lease_until=None, next_attempt_at=None,
                    last_attempt_at=timezone.now())
        report.failed += 1
        log.warning("nationalsync: record %s refused by the portal", row.pk)
        return
    except Unreachable as exc:
        final = row.attempts >= settings.NATIONAL_SYNC_MAX_ATTEMPTS
        now = timezone.now()
        mine.update(state=SyncState.FAILED if final else SyncState.PENDING,
                    last_error=str(exc)[:1000], response=exc.answer, lease_token="",
                    lease_until=None, last_attempt_at=now,
                    next_attempt_at=None if final else now + retry_delay(row.attempts))
        if final:
            report.failed += 1
        else:
            report.retried += 1
        return
    now = timezone.now()
    mine.update(state=SyncState.SYNCED, synced_at=now, response=answer, last_attempt_at=now,
                last_error="", lease_token="", lease_until=None, next_attempt_at=None)
    report.synced += 1


def retry_ceiling(attempts: int) -> float:
    """The longest wait, in seconds, after failed attempt number ``attempts``: the backoff
    doubles from ``NATIONAL_SYNC_BACKOFF_SECONDS`` up to ``NATIONAL_SYNC_BACKOFF_MAX_SECONDS``;
    the jitter picks a delay between half of it and all of it."""
    return min(settings.NATIONAL_SYNC_BACKOFF_MAX_SECONDS,
               settings.NATIONAL_SYNC_BACKOFF_SECONDS * 2 ** max(0, attempts - 1))


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=backoff_seconds(
        attempts, base=settings.NATIONAL_SYNC_BACKOFF_SECONDS,
        cap=settings.NATIONAL_SYNC_BACKOFF_MAX_SECONDS))


def request_body(row: SyncRecord) -> dict:
    body: dict = {"service": row.service}
    if row.service == shape.DOSSIER_SERVICE:
        body["isUpdating"] = "True" if row.is_updating else "False"
    body["data"] = [row.payload]
    return body


def send(row: SyncRecord, session: requests.Session) -> dict:
    auth = None
    if settings.NATIONAL_SYNC_USERNAME:
        auth = (settings.NATIONAL_SYNC_USERNAME, settings.NATIONAL_SYNC_PASSWORD)
    try:
        response = session.post(settings.NATIONAL_SYNC_URL, json=request_body(row), auth=auth,
                                headers={"Idempotency-Key": row.key},
                                timeout=settings.NATIONAL_SYNC_TIMEOUT)
    except requests.RequestException as exc:
        raise Unreachable(f"Không kết nối được Cổng quốc gia: {type(exc).__name__}") from exc
    answer: dict = {"http_status": response.status_code}
    try:
        parsed = response.json()
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        answer.update({k: parsed[k] for k in ("error_code", "message", "errors", "duplicate")
                       if k in parsed})
    if response.status_code != 200:
        raise Unreachable(f"Cổng quốc gia trả lời HTTP {response.status_code}", answer)
    if "error_code" not in answer:
        raise Unreachable("Cổng quốc gia trả lời không đúng dạng", answer)
    if str(answer["error_code"]) != "0":
        raise Refused(f"Cổng quốc gia từ chối (mã {answer['error_code']}): "
                      f"{answer.get('message', '')}", answer)
    return answer

