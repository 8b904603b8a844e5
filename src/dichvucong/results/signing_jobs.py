"""The signing job's record in the database, so that no result is lost between the officer's
request and the signed file (issue #20): the result row itself is the job.

- A worker run takes a result by a conditional UPDATE (``claim``): a fresh lease token and a
  lease time, only if the result is queued or its lease has expired; of two runs only one gets
  it. Every later write of the run checks the token (``mine``), so a run that lost its lease
  (killed and resumed, or overtaken by a retry) changes nothing.
- A result whose lease expired (the worker was killed while rendering or signing) or that stayed
  queued past the grace time without a run taking it (its enqueueing was lost, e.g. Redis was
  down) is ``stuck``: the periodic sweeper (``stamping.resume_signing``) signs it, and the
  officer may retry it at once. After ``RESULTS_SIGNING_MAX_ATTEMPTS`` interrupted runs it is
  marked failed instead (``exhausted``), so a result that kills its worker does not loop.
- A run that cannot store the file because the storage is down (``release``) puts the result
  back in the queue for the sweeper, its attempt not counted: an outage fails no result.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q, QuerySet

from dichvucong.core import operations

from .models import Result, ResultEvent, SigningState

IN_PROGRESS = (SigningState.RENDERING, SigningState.SIGNING)
PENDING = (SigningState.QUEUED, *IN_PROGRESS)
INTERRUPTED = ("Việc ký số bị gián đoạn nhiều lần (tiến trình nền dừng giữa chừng); hãy bấm «Ký "
               "lại» hoặc báo quản trị hệ thống.")


def _grace(now: datetime) -> datetime:
    return now - timedelta(seconds=settings.RESULTS_SIGNING_GRACE_SECONDS)


def stuck_q(now: datetime) -> Q:
    """Results no live worker run holds: queued past the grace time (or before queueing was
    recorded), or rendering or signing with an expired lease."""
    return (Q(signing_state=SigningState.QUEUED)
            & (Q(queued_at__isnull=True) | Q(queued_at__lt=_grace(now)))
            | Q(signing_state__in=IN_PROGRESS) & (Q(lease_until__isnull=True)
                                                  | Q(lease_until__lt=now)))


def is_stuck(result: Result, now: datetime) -> bool:
    if result.signing_state == SigningState.QUEUED:
        return result.queued_at is None or result.queued_at < _grace(now)
    if result.signing_state in IN_PROGRESS:
        return result.lease_until is None or result.lease_until < now
    return False


def claim(result_id: int, now: datetime) -> str:
    """Take the result for one run: its lease token, or "" when another run holds it or it is
    not waiting to be signed (done, failed, or out of attempts)."""
    token = secrets.token_hex(16)
    claimable = (Q(signing_state=SigningState.QUEUED)
                 | Q(signing_state__in=IN_PROGRESS) & (Q(lease_until__isnull=True)
                                                       | Q(lease_until__lt=now)))
    taken = Result.objects.filter(
        claimable, pk=result_id,
        signing_attempts__lt=settings.RESULTS_SIGNING_MAX_ATTEMPTS).update(
        signing_state=SigningState.RENDERING, lease_token=token,
        lease_until=now + timedelta(seconds=settings.RESULTS_SIGNING_LEASE_SECONDS),
        signing_attempts=F("signing_attempts") + 1)
    return token if taken else ""


def mine(result_id: int, token: str) -> QuerySet:
    """The result, only while this run's lease token is on it."""
    return Result.objects.filter(pk=result_id, lease_token=token)


def release(result_id: int, token: str, now: datetime) -> bool:
    """Put the run's result back in the queue, its attempt not counted: the run could not store
    the file (the storage is down), through no fault of the result. The sweeper signs it again
    once it has waited the grace time."""
    return bool(mine(result_id, token).update(
        signing_state=SigningState.QUEUED, queued_at=now, lease_token="", lease_until=None,
        signing_attempts=F("signing_attempts") - 1))


def exhausted(now: datetime) -> QuerySet:
    """Stuck results that no run may take again (out of attempts)."""
    return Result.objects.filter(stuck_q(now), signing_state__in=PENDING,
                                 signing_attempts__gte=settings.RESULTS_SIGNING_MAX_ATTEMPTS)


def due(now: datetime, batch: int) -> list[int]:
    """Stuck results the sweeper signs again, oldest first."""
    return list(Result.objects.filter(
        stuck_q(now), signing_attempts__lt=settings.RESULTS_SIGNING_MAX_ATTEMPTS)
        .order_by("created_at", "pk").values_list("pk", flat=True)[:batch])


def requeue_fields(now: datetime) -> dict:
    """The fields of a result queued afresh (issued, or retried by the officer)."""
    return {"signing_state": SigningState.QUEUED, "signing_error": "", "queued_at": now,
            "lease_token": "", "lease_until": None, "signing_attempts": 0}


def samples(now: datetime) -> list[operations.Sample]:
    """Signing jobs by state, the oldest waiting, and the failures so far (metrics)."""
    failures = ResultEvent.objects.filter(kind=ResultEvent.Kind.FAILED).count()
    return [*operations.table_samples("signing", Result.objects.all(), "signing_state", PENDING,
                                      now, since="queued_at"),
            operations.Sample("dichvucong_signing_failures_total", "Signing runs that failed",
                              failures, kind="counter")]
