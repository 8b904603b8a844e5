"""National Public Service Portal sync: the cost a dossier event adds on the request path
(writing its two sync records, ``nationalsync/outbox.py:record_event``, inside the event's
transaction) and the worker's throughput (records per second, one worker) against the local
simulator started as a process of its own, which validates every request against the schema.
Uses PostgreSQL when DATABASE_URL points at it (``./run bench``), else SQLite.

    ./run bench bench/bench_nationalsync.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import harness

COUNT = int(os.environ.get("BENCH_DOSSIERS", "200"))


def main() -> None:
    harness.setup_django()
    harness.load_demo_data(accounts=True)
    from django.conf import settings
    from django.db import connection, transaction

    from dichvucong.accounts.models import User
    from dichvucong.agencies.models import Agency
    from dichvucong.catalog.models import Procedure
    from dichvucong.dossiers import actions, submission
    from dichvucong.dossiers.lifecycle import Action, LifecycleRole
    from dichvucong.dossiers.models import DossierEvent
    from dichvucong.nationalsync import outbox, worker
    from dichvucong.nationalsync.models import SyncRecord

    simulator = subprocess.Popen(
        [sys.executable, "-m", "dichvucong.nationalsync.simulator", "--port", "0"],
        stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(harness.ROOT / "src")})
    try:
        port = int(simulator.stdout.readline())
        settings.NATIONAL_SYNC_URL = f"http://127.0.0.1:{port}/"
        outbox.kick = lambda: None  # the worker below delivers
        print(f"database: {harness.database_name()} ({connection.vendor}), {COUNT} dossiers")
        citizen = User.objects.get(username="congdan")
        reception = User.objects.get(username="motcua.haichau")
        agency = Agency.objects.get(name="Ủy ban nhân dân phường Hải Châu")
        procedure = Procedure.objects.get(code="1.001193")
        SyncRecord.objects.all().delete()

        # Events written (the pipeline's entries left pending), then the sync step timed alone.
        events = []
        for _ in range(COUNT):
            draft = submission.start_draft(procedure, citizen, agency)
            actions.perform(draft.pk, Action.submit, citizen, LifecycleRole.applicant)
            events.append(actions.perform(draft.pk, Action.receive, reception,
                                          LifecycleRole.reception_officer).event)
        pending = iter(DossierEvent.objects.filter(pk__in=[e.pk for e in events])
                       .select_related("dossier__agency", "dossier__procedure", "actor")
                       .order_by("dossier_id", "id"))

        def record_one() -> None:
            with transaction.atomic():
                outbox.record_event(next(pending))

        with transaction.atomic():  # as in a request: a savepoint inside the event's transaction
            timings, _ = harness.timed(record_one, COUNT - 1)
        print(timings.line("record_event (2 rows, the pipeline's sync step)", 40))
        # The submit events too: more records to send (a dossier's first record is its create).
        for event in DossierEvent.objects.filter(dossier__in=[e.dossier_id for e in events],
                                                 action="submit"):
            outbox.record_event(event)
        total = SyncRecord.objects.count()
        started, cpu = time.perf_counter(), time.process_time()
        report = worker.deliver_due()
        elapsed, used = time.perf_counter() - started, time.process_time() - cpu
        print(f"worker: {report.synced} of {total} records synced, {report.failed} failed, "
              f"{report.synced / elapsed:,.0f} records/s (one worker), "
              f"CPU {used / max(report.synced, 1) * 1000:.2f} ms/record in the worker")
    finally:
        simulator.terminate()
        simulator.wait(10)


if __name__ == "__main__":
    main()
