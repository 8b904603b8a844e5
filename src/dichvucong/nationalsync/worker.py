"""The sync worker: sends due records to the national portal, one dossier's in order.

Order. A record is claimable only when every earlier record of its dossier (by ``id``, the order
of the events) is synced: a dossier's create always reaches the portal before its updates and
steps, and a step never overtakes the one before it. A failed record holds the rest of its
dossier back until an operator resends it.

Claiming is the notification worker's (``notify/worker.py``): a lease token written by a
conditional UPDATE (and ``SKIP LOCKED`` on PostgreSQL), checked on every later write, so several
workers may run and a killed one's lease expires into a retry.

Requests. The records of one round (one per dossier) travel together, one request per service
and ``isUpdating`` (the services take a list, ``data``), up to ``NATIONAL_SYNC_BATCH``; a request
the portal refuses is sent again record by record, to find the one it refuses.

Idempotency. Each attempt sends the records' ``key``s as the ``Idempotency-Key`` header
(comma-separated); a worker killed after the portal took a request but before it wrote the
answer resends its records, and the portal recognises each. Outcomes:
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
    held_back: bool = False  # the run stopped at a failed request, the rest left for the next

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


def claim(batch: int | None = None) -> tuple[str, list[SyncRecord]]:
    """The first unsynced record of up to ``batch`` dossiers, when it is due."""
    earlier = (SyncRecord.objects.filter(dossier=OuterRef("dossier"), id__lt=OuterRef("id"))
               .exclude(state=SyncState.SYNCED))
    return leases.claim(
        SyncRecord.objects.exclude(Exists(earlier)).order_by("id"), _claimable,
        batch=batch or settings.NATIONAL_SYNC_BATCH,
        lease_seconds=settings.NATIONAL_SYNC_LEASE_SECONDS, related=["dossier"],
        state=SyncState.SENDING)


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
            for group in batches(rows):
                if not deliver(group, token, session, report):
                    # No usable answer: the portal is down or failing. The run's other records
                    # wait for the next run (a minute, or the next filing's kick) instead of each
                    # failing in turn: while the portal was down, every run tried every due
                    # record, seconds of the worker's CPU a minute.
                    SyncRecord.objects.filter(lease_token=token).update(
                        state=SyncState.PENDING, lease_token="", lease_until=None)
                    report.held_back = True
                    return report
    return report


def batches(rows: list[SyncRecord]) -> list[list[SyncRecord]]:
    """A round's records in requests: one service and one ``isUpdating`` per request (the
    services' shape), at most ``NATIONAL_SYNC_BATCH`` records. A round holds one record per
    dossier, so a request never carries two of one dossier and order is kept."""
    groups: dict[tuple[str, bool], list[SyncRecord]] = {}
    for row in rows:
        groups.setdefault((row.service, row.is_updating), []).append(row)
    size = settings.NATIONAL_SYNC_BATCH
    return [group[i:i + size] for group in groups.values() for i in range(0, len(group), size)]


def deliver(rows: list[SyncRecord], token: str, session: requests.Session,
            report: Report) -> bool:
    """Send ``rows`` in one request and record the answer on each of them. False when the
    portal gave no usable answer (the rows then wait for their retry)."""
    for row in rows:
        if not row.payload.get("MaHoSo"):
            # Filed through the API, the dossier gets its code after its event: fill it in
            # once, before the first attempt, so every attempt sends the same record.
            row.payload["MaHoSo"] = row.dossier.code
            SyncRecord.objects.filter(pk=row.pk, lease_token=token).update(payload=row.payload)
    lease_until = timezone.now() + timedelta(seconds=settings.NATIONAL_SYNC_LEASE_SECONDS)
    mine = SyncRecord.objects.filter(pk__in=[row.pk for row in rows], lease_token=token)
    if mine.update(lease_until=lease_until, attempts=F("attempts") + 1) < len(rows):
        # A lease ran out and another worker holds those records now: send only ours.
        held = set(mine.values_list("pk", flat=True))
        rows = [row for row in rows if row.pk in held]
        if not rows:
            return True
        mine = SyncRecord.objects.filter(pk__in=held, lease_token=token)
    for row in rows:
        row.attempts += 1
    try:
        answer = send(rows, session)
    except Refused as exc:
        if len(rows) > 1:
            # One bad record refuses the whole request: each is sent alone to find it, and
            # this attempt is not counted against them.
            mine.update(attempts=F("attempts") - 1)
            for row in rows:
                row.attempts -= 1
                if not deliver([row], token, session, report):
                    return False
            return True
        mine.update(state=SyncState.FAILED, last_error=str(exc)[:1000], response=exc.answer,
                    lease_token="", lease_until=None, next_attempt_at=None,
                    last_attempt_at=timezone.now())
        report.failed += 1
        log.warning("nationalsync: record %s refused by the portal", rows[0].pk)
        return True
    except Unreachable as exc:
        now = timezone.now()
        for row in rows:  # each its own delay: the jitter spreads them out
            final = row.attempts >= settings.NATIONAL_SYNC_MAX_ATTEMPTS
            SyncRecord.objects.filter(pk=row.pk, lease_token=token).update(
                state=SyncState.FAILED if final else SyncState.PENDING,
                last_error=str(exc)[:1000], response=exc.answer, lease_token="",
                lease_until=None, last_attempt_at=now,
                next_attempt_at=None if final else now + retry_delay(row.attempts))
            if final:
                report.failed += 1
            else:
                report.retried += 1
        return False
    now = timezone.now()
    report.synced += mine.update(
        state=SyncState.SYNCED, synced_at=now, response=answer, last_attempt_at=now,
        last_error="", lease_token="", lease_until=None, next_attempt_at=None)
    return True


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


def request_body(rows: list[SyncRecord]) -> dict:
    body: dict = {"service": rows[0].service}
    if rows[0].service == shape.DOSSIER_SERVICE:
        body["isUpdating"] = "True" if rows[0].is_updating else "False"
    body["data"] = [row.payload for row in rows]
    return body


def send(rows: list[SyncRecord], session: requests.Session) -> dict:
    auth = None
    if settings.NATIONAL_SYNC_USERNAME:
        auth = (settings.NATIONAL_SYNC_USERNAME, settings.NATIONAL_SYNC_PASSWORD)
    try:
        response = session.post(settings.NATIONAL_SYNC_URL, json=request_body(rows), auth=auth,
                                headers={"Idempotency-Key": ",".join(r.key for r in rows)},
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

