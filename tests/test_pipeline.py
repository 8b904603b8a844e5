"""What follows a dossier's change (``pipeline/steps.py``, ``pipeline/worker.py``).

* A submission through the API writes, in its transaction, its event and one pipeline entry
  per event, nothing derived; the worker then derives the facts, the data store, the
  notifications, the sync records and the webhooks, and they equal a full rebuild.
* A failing step holds up no other and is tried again after a backoff, once done never again;
  the monitoring centre says up to when its figures hold.
* A killed worker's entries are taken over when its lease ends; a worker that lost its lease
  writes nothing.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import replace
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from huey.contrib.djhuey import HUEY
from huey.storage import MemoryStorage

from dichvucong.core import leases
from dichvucong.datastore.models import StoredDocument
from dichvucong.dossiers import actions
from dichvucong.dossiers.lifecycle import Action, LifecycleRole
from dichvucong.dossiers.models import Dossier, DossierEvent
from dichvucong.monitor import facts
from dichvucong.monitor.models import DossierFact
from dichvucong.nationalsync.models import SyncRecord
from dichvucong.notify.models import Notification
from dichvucong.pipeline import receivers, worker
from dichvucong.pipeline.models import PipelineEntry
from dichvucong.pipeline.steps import DERIVED
from tests import builders
from tests.birth_helpers import birth_form_json
from tests.builders import BIRTH, user
from tests.test_backoffice import pdf
from tests.test_monitor import snapshot
from tests.test_signing_fault import demo_data  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db



def _receive(dossier: Dossier) -> DossierEvent:
    return actions.perform(dossier.pk, Action.receive, user("motcua.haichau"),
                           LifecycleRole.reception_officer).event


def test_a_submission_writes_one_entry_per_event_and_the_worker_derives_the_rest(
        client, django_assert_max_num_queries, django_capture_on_commit_callbacks):
    client.force_login(user("congdan"))
    documents = builders.procedure(BIRTH).current_version.parsed().documents
    mandatory = next(i for i, d in enumerate(documents) if d.mandatory)
    # What one API submission with a file costs in statements: 59 with 12 savepoints when the
    # derived data was written in the request; nothing derived among them now, no savepoint but
    # the filing's own transaction (nested in the test's), the session read and never written;
    # the event's audit entry (core/audit.py) is one of them. 17 until the filing kept the
    # procedure's version it had loaded (the fee re-read it) and stopped looking for the fee of
    # a dossier it had just inserted; 15, the test's own agency lookup among them. On
    # PostgreSQL 14 now: the code's number taken and written in one statement.
    # After the commit, one task-queue write (the worker's kick, carrying the declaration to
    # render): there were two, the kick and the declaration's own job.
    with mock.patch.object(HUEY, "_immediate", False), \
            mock.patch.object(HUEY, "storage", MemoryStorage("pipeline-test")):
        with django_assert_max_num_queries(14 if connection.vendor == "postgresql" else 15) \
                as captured, \
                django_capture_on_commit_callbacks(execute=True):
            response = client.post("/api/v1/dossiers", {
                "procedure": BIRTH, "agency": builders.agency().pk,
                "form": json.dumps(birth_form_json()), "documents": json.dumps([mandatory]),
                "files": [pdf("giay-chung-sinh.pdf")]})
        queued = [(task.name, task.args) for task in HUEY.pending()]
    assert response.status_code == 201, response.content
    statements = [q["sql"] for q in captured.captured_queries]
    assert sum(sql.startswith("SAVEPOINT") for sql in statements) == 1
    assert sum("core_auditentry" in sql for sql in statements) == 1
    assert not any(sql.startswith(('SELECT "catalog_procedureversion"',
                                   'SELECT "payments_dossierfee"')) for sql in statements)
    assert not any("django_session" in sql and not sql.startswith("SELECT")
                   for sql in statements)
    dossier = Dossier.objects.get(code=response.json()["code"])
    assert queued == [("pipeline.run", (dossier.pk,))], queued
    events = list(dossier.events.order_by("id"))
    entries = list(PipelineEntry.objects.filter(dossier_id=dossier.pk).order_by("id"))
    assert [e.event_id for e in entries] == [e.pk for e in events]  # one entry per event
    # Every derived step but reading the papers (off in the suite: ``READ_UPLOADS``).
    assert entries[0].steps() == [step.name for step in DERIVED if step.name != "read"]
    assert not DossierFact.objects.filter(dossier=dossier).exists()
    assert not Notification.objects.filter(dossier=dossier).exists()
    assert not SyncRecord.objects.filter(dossier=dossier).exists()
    assert not StoredDocument.objects.filter(source_dossier=dossier).exists()

    _receive(dossier)
    report = worker.drain()
    assert report.failed == 0 and report.by_step["facts"] == len(events) + 1
    assert DossierFact.objects.get(dossier=dossier).state == "received"
    assert {"submitted", "received"} <= set(Notification.objects.filter(dossier=dossier)
                                           .values_list("event", flat=True))
    assert SyncRecord.objects.filter(dossier=dossier).count() == 2 * (len(events) + 1)
    assert StoredDocument.objects.filter(source_dossier=dossier, owner=user("congdan"),
                                         original_name="giay-chung-sinh.pdf").exists()
    # Derived once, never again.
    assert not PipelineEntry.objects.filter(dossier_id=dossier.pk).exists()
    assert worker.drain().done == 0
    # The facts the worker derived are the facts rebuilt from scratch.
    derived = snapshot()
    facts.rebuild()
    assert snapshot() == derived


def test_a_failing_step_holds_up_no_other_and_is_tried_again(client, admin_client,
                                                             monkeypatch):
    dossier = builders.filed()
    event = _receive(dossier)

    def broken(entry):
        raise RuntimeError("the notification templates are broken")

    monkeypatch.setattr(worker, "DERIVED", tuple(
        replace(step, run=broken) if step.name == "notify" else step for step in DERIVED))
    report = worker.drain()
    assert report.failed == 1 and "notify" not in report.by_step
    entry = PipelineEntry.objects.get(event=event)
    assert entry.steps() == ["notify"] and entry.failures["notify"]["attempts"] == 1
    assert entry.next_attempt_at > timezone.now() and not entry.lease_token
    # The other steps went on: the facts, the sync records.
    assert DossierFact.objects.get(dossier=dossier).state == "received"
    assert SyncRecord.objects.filter(event=event).count() == 2
    assert not Notification.objects.filter(dossier=dossier, event="received").exists()
    # The facts owe nothing: the monitoring centre says they are current.
    client.force_login(user("ioc"))
    assert "Cập nhật lúc" in client.get("/giam-sat/").content.decode()

    # The operator finds the failing step (its error's class, not its message) and, the cause
    # fixed, asks for a retry now rather than after the backoff.
    assert entry.failures["notify"]["error"] == "RuntimeError"
    monkeypatch.undo()
    assert worker.drain().done == 0  # not due before its backoff
    admin = admin_client
    listed = admin.get("/quan-tri/pipeline/pipelineentry/?failing=yes").content.decode()
    assert f">{entry.pk}<" in listed and "notify: 1 × RuntimeError" in listed
    assert f">{entry.pk}<" not in admin.get(
        "/quan-tri/pipeline/pipelineentry/?failing=no").content.decode()
    assert admin.post("/quan-tri/pipeline/pipelineentry/", {
        "action": "retry_now", "_selected_action": [entry.pk]}).status_code == 302
    assert worker.drain().by_step == {"notify": 1}
    assert not PipelineEntry.objects.filter(pk=entry.pk).exists()
    received = Notification.objects.filter(dossier=dossier, event="received")
    assert received.exists() and received.count() == len({n.channel for n in received})


def test_the_filings_run_drains_the_declarations_file_and_queues_no_other_run(
        django_capture_on_commit_callbacks):
    """The run a filing queued renders the declaration, then drains: its file's entry among
    what it drains. The file's own kick queued another run, which found nothing to do."""
    from dichvucong.pipeline import tasks

    dossier = builders.filed(builders.procedure(BIRTH), form_data=birth_form_json())
    with mock.patch.object(HUEY, "_immediate", False), \
            mock.patch.object(HUEY, "storage", MemoryStorage("pipeline-declaration")):
        with django_capture_on_commit_callbacks(execute=True):
            tasks.run_pipeline.call_local(dossier.pk)
        queued = [task.name for task in HUEY.pending()]
    assert queued == []
    assert dossier.attachments.filter(declaration=True).exists()
    assert not PipelineEntry.objects.filter(dossier_id=dossier.pk).exists()


def test_a_killed_workers_entries_are_taken_over_and_a_lost_lease_writes_nothing(client):
    dossier = builders.filed()
    event = _receive(dossier)
    entry = PipelineEntry.objects.get(event=event)
    # Another worker claims the entry, and dies.
    token, claimed = leases.claim(PipelineEntry.objects.filter(pk=entry.pk), worker._claimable,
                                  batch=10, lease_seconds=60)
    assert claimed
    assert worker.drain().done == 0  # held by its lease
    # The facts are behind while the entry is held: the centre says up to when they hold.
    client.force_login(user("ioc"))
    html = client.get("/giam-sat/").content.decode()
    assert "các thay đổi sau thời điểm đó đang được tính" in html
    assert timezone.localtime(entry.created_at).strftime("%H:%M %d/%m/%Y") in html
    PipelineEntry.objects.filter(pk=entry.pk).update(
        lease_until=timezone.now() - timedelta(seconds=1))
    stale = PipelineEntry.objects.get(pk=entry.pk)
    assert worker.drain().by_step == {"facts": 1, "notify": 1, "sync": 1, "webhooks": 1}
    received = Notification.objects.filter(dossier=dossier, event="received")
    assert received.exists()
    received.delete()  # so that a second run would write them again
    # The dead worker wakes with its old lease: the step it runs is rolled back.
    report = worker.Report()
    worker.run_entry(stale, token, report, only=["notify"])
    assert report.done == 0 and not received.exists()
    assert "Cập nhật lúc" in client.get("/giam-sat/").content.decode()


def test_the_worker_runs_every_minute_beside_its_kicks():
    import datetime as dt

    from huey.contrib.djhuey import HUEY

    due = [task.name for task in HUEY.read_periodic(dt.datetime(2026, 12, 7, 6, 7))]
    assert "pipeline.run_periodic" in due


def test_the_facts_of_a_batch_are_refreshed_at_once_and_equal_a_rebuild(monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    dossiers = [builders.filed() for _ in range(3)]
    for dossier in dossiers:
        _receive(dossier)
    with CaptureQueriesContext(connection) as captured:
        report = worker.drain()
    assert report.failed == 0 and report.by_step["facts"] == 3
    # The batch's three entries in one set of statements on the dossier facts (old rows,
    # delete, insert, new rows), not one set per entry.
    assert sum("monitor_dossierfact" in q["sql"] for q in captured.captured_queries) == 4
    assert set(DossierFact.objects.filter(dossier__in=dossiers)
               .values_list("state", flat=True)) == {"received"}
    derived = snapshot()
    facts.rebuild()
    assert snapshot() == derived

    # A batch that fails is rolled back and each entry runs the step alone: the same facts.
    def broken(entries):
        raise RuntimeError("the batch is broken")

    monkeypatch.setattr(worker, "DERIVED", tuple(
        replace(step, run_batch=broken) if step.name == "facts" else step for step in DERIVED))
    others = [builders.filed() for _ in range(2)]  # derived with the broken batch too
    for dossier in others:
        _receive(dossier)
    report = worker.drain()
    assert report.failed == 0 and report.by_step["facts"] == 2
    assert not PipelineEntry.objects.exists()
    derived = snapshot()
    assert {derived[0][d.pk]["state"] for d in others} == {"received"}
    facts.rebuild()
    assert snapshot() == derived


def test_a_batch_is_derived_in_one_transaction_without_reading_its_dossiers_again():
    """The worker's statements per entry (the load kit: about 26): each step of each entry
    wrote its own update of the entry, and the store and sync steps each read the dossier
    again. Now the batch's fast steps commit together with one write of the entries, and the
    steps take the dossier from the batch's one read of the events."""
    from django.test.utils import CaptureQueriesContext

    for dossier in (builders.filed(), builders.filed(), builders.filed()):
        _receive(dossier)
    with CaptureQueriesContext(connection) as captured:
        report = worker.drain()
    assert report.failed == 0 and report.by_step["notify"] == 3
    sql = [q["sql"] for q in captured.captured_queries]
    bookkeeping = [q for q in sql if q.startswith(('UPDATE "pipeline_pipelineentry" SET "pending"',
                                                   'DELETE FROM "pipeline_pipelineentry"'))]
    assert len(bookkeeping) == 1
    assert not [q for q in sql if q.startswith('SELECT "dossiers_dossier"."id", ')]
    assert not PipelineEntry.objects.exists()


def test_the_delivery_workers_are_kicked_once_per_batch_and_never_lost(monkeypatch):
    from dichvucong.core import kicks

    called = []
    notify, sync = (lambda: called.append("notify")), (lambda: called.append("sync"))
    committed = []  # the callbacks of the transaction, run at its commit
    monkeypatch.setattr(kicks.transaction, "on_commit", committed.append)
    with kicks.held():
        for _ in range(3):  # three steps' transactions, each committed at once
            kicks.after_commit(notify)
            kicks.after_commit(sync)
            while committed:
                committed.pop(0)()
        assert called == []
        kicks.after_commit(sync)  # a transaction still open when the batch ends
    assert called == ["notify", "sync"]  # once each, in the order first committed
    committed.pop(0)()  # its commit comes later: kicked then, not lost
    assert called == ["notify", "sync", "sync"]
    kicks.after_commit(notify)  # outside a drain: after its own commit, as before
    assert committed == [notify]


def test_a_batch_that_outlasts_its_lease_keeps_it_for_the_entries_ahead(monkeypatch):
    """Slow steps (a paper read takes seconds) in a batch of a hundred outlasted the 120 s
    lease: another worker then took over the entries still ahead, and the first one's work on
    them was lost. The lease is renewed as the batch goes."""
    for dossier in (builders.filed(), builders.filed(), builders.filed()):
        _receive(dossier)
    worker.drain(only=["facts"])  # the other steps stay pending, one entry per event
    clock = [timezone.now()]
    monkeypatch.setattr(timezone, "now", lambda: clock[0])
    lease = 120
    monkeypatch.setattr(worker.settings, "PIPELINE_LEASE_SECONDS", lease)
    taken_over = []

    def slow(entry):
        # Another worker looks for work while this one is at its third entry (the first two,
        # done with, were let go: the steps not asked for stay pending).
        if len(taken_over) == 2:
            token, claimed = leases.claim(PipelineEntry.objects.filter(pk__in=batch[2:]),
                                          worker._claimable, batch=10, lease_seconds=lease)
            taken_over.append(claimed)
        else:
            taken_over.append(None)
        clock[0] += timedelta(seconds=70)  # 140 s gone at the third entry: past one lease

    monkeypatch.setattr(worker, "DERIVED", tuple(
        replace(step, run=slow) if step.name == "notify" else step for step in DERIVED))
    batch = list(PipelineEntry.objects.filter(pending__contains=" notify ").order_by("id")
                 .values_list("pk", flat=True)[:3])
    assert len(batch) == 3
    report = worker.run_due(batch=3, only=["notify"])
    assert taken_over[2] == []  # nothing claimable: the batch still holds its entries
    assert report.by_step == {"notify": 3}


def test_the_papers_are_read_after_every_fast_step_due(settings, monkeypatch):
    """A reading takes seconds a page: run in line, each entry's reading held up the facts,
    notifications and sync records of the entries after it (the load kit's worker still owed
    hundreds of them five minutes after the load)."""
    from dichvucong.dossiers import paperreading

    settings.READ_UPLOADS = True
    monkeypatch.setattr(builders, "derive", lambda: None)  # filed, nothing derived yet
    for _ in range(3):
        builders.filed()
    assert PipelineEntry.objects.filter(pending__contains=" read ").count() == 3
    fast_work_waiting = []

    def read(dossier_id, attachment_id=None):
        fast_work_waiting.append(PipelineEntry.objects.exclude(pending=" read ").exists())
        return 0

    monkeypatch.setattr(paperreading, "read_dossier", read)
    report = worker.drain()
    assert report.failed == 0 and report.by_step["read"] == 3
    assert fast_work_waiting == [False, False, False]
    assert not PipelineEntry.objects.exists()


@pytest.mark.skipif(not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
                    reason="SQLite runs one writing transaction at a time")
@pytest.mark.django_db(transaction=True)
def test_two_workers_refreshing_one_dossiers_facts_at_once_both_succeed(demo_data,  # noqa: F811
                                                                       monkeypatch, caplog):
    """Two workers each claim one of a dossier's two entries and refresh its facts at the same
    moment (PostgreSQL, two connections): the second waits for the first's commit, then reads
    what it wrote. Neither fails (the second inserted the dossier's fact a second time: an
    IntegrityError, logged, retried), and the facts equal a rebuild."""
    dossier = builders.filed()
    # Two entries left for the workers (not drained after each commit, as the test's immediate
    # queue would).
    monkeypatch.setattr(receivers, "kick", lambda **kwargs: None)
    _receive(dossier)
    actions.perform(dossier.pk, Action.assign, user("lanhdao.haichau"), LifecycleRole.leader,
                    "")
    assert PipelineEntry.objects.filter(dossier_id=dossier.pk,
                                        pending__contains=" facts ").count() == 2
    wrote, release = threading.Event(), threading.Event()
    reports: list[worker.Report] = []

    def drain_one() -> None:
        try:
            reports.append(worker.run_due(batch=1, only=["facts"]))
        finally:
            connection.close()

    first, second = threading.Thread(target=drain_one), threading.Thread(target=drain_one)
    apply = facts._apply

    def held_apply(deltas):
        apply(deltas)
        if threading.current_thread() is first:
            wrote.set()
            release.wait(20)  # the first worker's transaction stays open, its rows locked

    monkeypatch.setattr(facts, "_apply", held_apply)
    caplog.set_level(logging.WARNING, logger="dichvucong.pipeline")
    first.start()
    assert wrote.wait(20)
    second.start()
    # The second worker waits on a lock the first holds (its transaction is still open).
    deadline = time.monotonic() + 20
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                           "current_database() AND wait_event_type = 'Lock'")
            if cursor.fetchone()[0]:
                break
            time.sleep(0.01)
    release.set()
    for thread in (first, second):
        thread.join(30)
    assert [(r.done, r.failed) for r in reports] == [(1, 0), (1, 0)]
    assert not [r.getMessage() for r in caplog.records if r.name.startswith("dichvucong.pipeline")]
    worker.drain()
    derived = snapshot()
    facts.rebuild()
    assert snapshot() == derived
