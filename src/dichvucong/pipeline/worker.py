"""The pipeline's worker: claims due entries, runs their pending steps in the order of
``steps.DERIVED``, each step's data in one transaction with the entry's update: normally a
batch's fast steps in one transaction with one write of the entries (``run_together``), after a
failure each step of each entry alone (``run_batched``, ``run_entry``).

- Exactly once: a step's data and the removal of its name from ``pending`` commit together,
  and only while this worker holds the entry's lease (the update checks the token; a worker
  that lost it rolls the step back). A killed worker's entries are claimed again when the
  lease ends (``PIPELINE_LEASE_SECONDS``).
- Independent steps: a step that fails rolls back the batch's transaction, then the entries
  go one step at a time: there it is rolled back alone, counted in ``failures`` and tried
  again after a backoff; the entry's other steps go on, and so do the other entries. An entry
  with a failure on record goes one step at a time from the start.
- Order: entries are claimed by id, so one worker derives in the order of the changes.
- Batches: a step with a ``run_batch`` (the facts) runs once for the claimed batch's entries
  that owe it first, in one transaction with their updates; if it fails, or a lease was lost,
  it is rolled back and each entry runs it alone as above (its failure counted there). The
  batch's events are read in one query (``steps.preload``), and the delivery workers
  (notifications, sync, webhooks) are kicked once at the batch's end (``core/kicks.py``).
Several workers may run at once (``core/leases.py``). ``drain`` runs until nothing is due: the
huey task after each commit, the periodic run, and tests that read derived data right after an
action. It then seals the audit entries written meanwhile (``core/audit.py:seal``): the
requests that wrote them took no lock on the chain's head."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from dichvucong.core import audit, kicks, leases
from dichvucong.dossiers import queuecounts
from dichvucong.pipeline.models import PipelineEntry
from dichvucong.pipeline.steps import DERIVED, SLOW, preload

log = logging.getLogger(__name__)

BATCH = 100
# Entries whose fast steps commit in one transaction (``run_together``), about 15 ms of CPU
# each: on SQLite a transaction holds the one write lock (IMMEDIATE) that every submission
# waits for, so there a tenth of a second's worth; on PostgreSQL a few dozen.
TOGETHER = {"postgresql": 25}
TOGETHER_ELSEWHERE = 8
SLOW_BATCH = 4  # entries claimed at a time for the slow steps: fast work waits at most for these


class LostClaim(Exception):
    """Another worker took the entry over (our lease expired): write nothing."""


@dataclass
class Report:
    done: int = 0  # steps done
    failed: int = 0  # steps that failed this time (tried again later)
    by_step: dict[str, int] = field(default_factory=dict)
    claimed: int = 0  # entries claimed (a run that claimed less than its batch saw all due)


def _claimable(now: datetime) -> Q:
    return Q(next_attempt_at__lte=now) & (Q(lease_until__isnull=True) | Q(lease_until__lt=now))


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 5 * 2 ** max(0, attempts - 1)))


def run_entry(entry: PipelineEntry, token: str, report: Report,
              only: Iterable[str] | None = None) -> None:
    pending = entry.steps()
    failures = dict(entry.failures)
    for step in DERIVED:
        if step.name not in pending or (only is not None and step.name not in only):
            continue
        left = [name for name in pending if name != step.name]
        try:
            if step.slow:
                step.run(entry)
            with transaction.atomic():
                if not step.slow:
                    step.run(entry)
                done = PipelineEntry.objects.filter(pk=entry.pk, lease_token=token)
                if not (done.delete()[0] if not left else
                        done.update(pending=f" {' '.join(left)} ")):
                    raise LostClaim
        except LostClaim:
            return
        except Exception as exc:
            log.exception("pipeline: step %s failed for entry %s", step.name, entry.pk)
            attempts = failures.get(step.name, {}).get("attempts", 0) + 1
            # The error's class only: its message may carry personal data (the log has it).
            failures[step.name] = {"attempts": attempts, "error": type(exc).__name__}
            report.failed += 1
            continue
        pending = left
        failures.pop(step.name, None)
        report.done += 1
        report.by_step[step.name] = report.by_step.get(step.name, 0) + 1
    if not pending:
        return
    now = timezone.now()
    worst = max((f["attempts"] for name, f in failures.items() if name in pending), default=0)
    PipelineEntry.objects.filter(pk=entry.pk, lease_token=token).update(
        failures=failures, lease_token="", lease_until=None,
        next_attempt_at=now + backoff(worst) if worst else entry.next_attempt_at)


def run_batched(entries: list[PipelineEntry], token: str, report: Report,
                only: Iterable[str] | None = None) -> None:
    """The steps with a ``run_batch``, once for all of ``entries`` that owe them next (no
    earlier step pending, no failure of theirs yet: those go one at a time)."""
    for index, step in enumerate(DERIVED):
        if step.run_batch is None or (only is not None and step.name not in only):
            continue
        before = {s.name for s in DERIVED[:index]}
        owing = [e for e in entries if step.name in e.steps() and step.name not in e.failures
                 and not before.intersection(e.steps())]
        if not owing:
            continue
        left = {e.pk: " ".join(name for name in e.steps() if name != step.name) for e in owing}
        try:
            with transaction.atomic():
                step.run_batch(owing)
                for rest in set(left.values()):
                    ids = [pk for pk, value in left.items() if value == rest]
                    done = PipelineEntry.objects.filter(pk__in=ids, lease_token=token)
                    if (done.update(pending=f" {rest} ") if rest else done.delete()[0]) != len(ids):
                        raise LostClaim
        except Exception as exc:
            log.warning("pipeline: step %s failed for a batch of %d entries (%s); one at a "
                        "time now", step.name, len(owing), type(exc).__name__,
                        exc_info=not isinstance(exc, LostClaim))
            continue
        for entry in owing:
            entry.pending = f" {left[entry.pk]} " if left[entry.pk] else ""
        report.done += len(owing)
        report.by_step[step.name] = report.by_step.get(step.name, 0) + len(owing)


def run_together(entries: list[PipelineEntry], token: str, report: Report,
                 only: Iterable[str] | None, keep_lease: Callable[[], None]) -> list[PipelineEntry]:
    """The normal path: every fast step ``entries`` owe, step by step (a ``run_batch`` once for
    them all), in ONE transaction with one write of the entries' bookkeeping per remainder
    (their deletion, mostly). Each step still commits with its entry's update: exactly once.
    An entry that failed before is left out; if anything fails here (a step, a lost lease) the
    whole transaction is rolled back, nothing of it done, and every entry goes the way of one
    step at a time (``run_batched``, ``run_entry``): the failing step is counted and retried
    alone there, and the others commit. Returns the entries left to that way."""
    due = [step for step in DERIVED
           if not step.slow and (only is None or step.name in only)]
    names = {step.name for step in due}
    together = [e for e in entries if not e.failures and names.intersection(e.steps())]
    if not together:
        return entries
    done: dict[int, list[str]] = {entry.pk: [] for entry in together}
    try:
        with transaction.atomic():
            for step in due:
                owing = [e for e in together if step.name in e.steps()]
                if not owing:
                    continue
                if step.run_batch is not None:
                    step.run_batch(owing)
                else:
                    for entry in owing:
                        keep_lease()
                        step.run(entry)
                for entry in owing:
                    done[entry.pk].append(step.name)
            left = {e.pk: " ".join(n for n in e.steps() if n not in done[e.pk])
                    for e in together}
            for rest in set(left.values()):
                ids = [pk for pk, value in left.items() if value == rest]
                mine = PipelineEntry.objects.filter(pk__in=ids, lease_token=token)
                # What is left (a slow step, a step not asked for) is let go for the next run.
                if (mine.update(pending=f" {rest} ", lease_token="", lease_until=None) if rest
                        else mine.delete()[0]) != len(ids):
                    raise LostClaim
    except Exception as exc:
        log.warning("pipeline: %d entries could not be derived together (%s); one step at a "
                    "time now", len(together), type(exc).__name__,
                    exc_info=not isinstance(exc, LostClaim))
        return entries
    for entry in together:
        entry.pending = f" {left[entry.pk]} " if left[entry.pk] else ""
        report.done += len(done[entry.pk])
        for name in done[entry.pk]:
            report.by_step[name] = report.by_step.get(name, 0) + 1
    return [e for e in entries if e.pk not in done]


def _claim(candidates: QuerySet[PipelineEntry], batch: int) -> tuple[str, list[PipelineEntry]]:
    """Lease up to ``batch`` due ``candidates`` in the order of their ids: the token and the
    entries (one statement on PostgreSQL)."""
    return leases.claim(candidates, _claimable, batch=batch,
                        lease_seconds=settings.PIPELINE_LEASE_SECONDS)


def run_due(*, batch: int = BATCH, only: Iterable[str] | None = None) -> Report:
    """One batch of due entries: ``TOGETHER`` at a time through ``run_together``, what that
    leaves one step at a time."""
    report = Report()
    candidates = PipelineEntry.objects.order_by("id")
    if only is not None:
        wanted = Q()
        for name in only:
            wanted |= Q(pending__contains=f" {name} ")
        candidates = candidates.filter(wanted)
    token, entries = _claim(candidates, batch)
    if not entries:
        return report
    report.claimed = len(entries)
    lease = settings.PIPELINE_LEASE_SECONDS
    renewed = [timezone.now()]

    def keep_lease() -> None:
        # A batch of slow steps (a paper read takes seconds) can outlast one lease: renewed
        # once a third of it has gone, so no other worker takes over the entries still ahead.
        if (timezone.now() - renewed[0]).total_seconds() > lease / 3:
            leases.renew(PipelineEntry, token, lease)
            renewed[0] = timezone.now()

    with kicks.held():  # the delivery workers woken once for the batch, not per commit
        preload(entries)
        rest: list[PipelineEntry] = []
        together = TOGETHER.get(connection.vendor, TOGETHER_ELSEWHERE)
        for start in range(0, len(entries), together):
            rest += run_together(entries[start:start + together], token, report, only,
                                 keep_lease)
        run_batched(rest, token, report, only)
        for entry in rest:
            keep_lease()
            run_entry(entry, token, report, only)
    return report


def _add(total: Report, report: Report) -> Report:
    total.done += report.done
    total.failed += report.failed
    for name, count in report.by_step.items():
        total.by_step[name] = total.by_step.get(name, 0) + count
    return report


def drain(*, only: Iterable[str] | None = None, max_batches: int = 1000) -> Report:
    """Run the due entries until none is left (or ``max_batches``). ``only``: these steps alone
    (the others stay pending). Every fast step due first, then the slow ones (``Step.slow``)
    a few entries at a time, looking for fast work again after each."""
    wanted = [step.name for step in DERIVED if only is None or step.name in only]
    fast = [name for name in wanted if name not in SLOW]
    slow = [name for name in wanted if name in SLOW]
    total = Report()
    fast_due = bool(fast)
    for _ in range(max_batches):
        done = 0
        if fast_due:
            report = _add(total, run_due(only=fast))
            done = report.done
            # Less than a batch claimed: every fast step due was seen (the steps write no
            # entries; a request's commit meanwhile comes with a kick of its own). No claim
            # again only to find nothing: the slow steps next.
            fast_due = report.claimed >= BATCH
        if slow and (not fast_due or not done):
            if not _add(total, run_due(only=slow, batch=SLOW_BATCH)).done:
                break  # nothing slow due, and the fast work all seen
            fast_due = bool(fast)  # looking for fast work again after each
        elif not done:
            break
    # One lock of the chain's head for every entry the requests appended since the last seal
    # (the dossier events drained here among them), in the order they were written.
    audit.seal()
    # The queue counts' rows the triggers added since the last drain, one per key again: the
    # back office sums a handful of rows per key, not every change of the day.
    queuecounts.fold()
    return total


def caught_up_to(step: str) -> datetime | None:
    """When ``step``'s derived data was last complete: the oldest change it still owes (its data
    holds everything before), None when it owes nothing (up to date)."""
    return (PipelineEntry.objects.filter(pending__contains=f" {step} ").order_by("id")
            .values_list("created_at", flat=True).first())
