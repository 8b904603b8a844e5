"""Webhooks: the cost a dossier event adds on the request path (finding the subscribers and
writing their deliveries, ``webhooks/outbox.py:record_event``, inside the event's transaction),
and the worker's throughput (signed deliveries per second, one worker) to a local receiver that
checks every signature with the documented snippet (docs/webhooks.md). Uses PostgreSQL when
DATABASE_URL points at it (``./run bench``), else SQLite.

    ./run bench bench/bench_webhooks.py
"""

from __future__ import annotations

import os
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import harness

COUNT = int(os.environ.get("BENCH_DOSSIERS", "200"))


def receiver(secret: str) -> tuple[ThreadingHTTPServer, list[bool]]:
    snippet = re.search(r"```python\n(.*?)```",
                        (harness.ROOT / "docs" / "webhooks.md").read_text(encoding="utf-8"),
                        re.S).group(1)
    namespace: dict = {}
    exec(snippet, namespace)  # noqa: S102 - our own documentation
    verified: list[bool] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            verified.append(namespace["verify"](secret, self.headers["X-DVC-Signature"], body))
            self.send_response(204 if verified[-1] else 400)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, verified


def main() -> None:
    harness.setup_django()
    harness.load_demo_data(accounts=True)
    from django.db import connection, transaction

    from dichvucong.accounts.models import User
    from dichvucong.agencies.models import Agency
    from dichvucong.apiclients import services
    from dichvucong.catalog.models import Procedure
    from dichvucong.dossiers import actions, submission
    from dichvucong.dossiers.lifecycle import Action, LifecycleRole
    from dichvucong.dossiers.models import DossierEvent
    from dichvucong.webhooks import outbox, signing, worker
    from dichvucong.webhooks.models import Delivery, Subscription

    outbox.kick = lambda: None  # the worker below delivers
    print(f"database: {harness.database_name()} ({connection.vendor}), {COUNT} dossiers")
    citizen = User.objects.get(username="congdan")
    reception = User.objects.get(username="motcua.haichau")
    agency = Agency.objects.get(name="Ủy ban nhân dân phường Hải Châu")
    other = Agency.objects.get(name="Sở Tư pháp")
    procedure = Procedure.objects.get(code="1.001193")
    Delivery.objects.all().delete()
    secret = signing.new_secret()
    server, verified = receiver(secret)
    # Two systems of the dossiers' agency (one for results only) and one of another agency.
    for name, where, events in [("bench-a", agency, ""), ("bench-b", agency, "dossier.result"),
                                ("bench-c", other, "")]:
        client, _ = services.register(name=name, kind=services.Kind.SYSTEM,
                                      scopes=["dossiers:read"], agency=where)
        Subscription.objects.create(client=client, events=events, secret=secret,
                                    url=f"http://127.0.0.1:{server.server_port}/{name}")

    events = []
    for _ in range(COUNT):
        draft = submission.start_draft(procedure, citizen, agency)
        actions.perform(draft.pk, Action.submit, citizen, LifecycleRole.applicant)
        events.append(actions.perform(draft.pk, Action.receive, reception,
                                      LifecycleRole.reception_officer).event)
    pending = iter(DossierEvent.objects.filter(pk__in=[e.pk for e in events])
                   .select_related("dossier__agency", "dossier__procedure").order_by("id"))

    def record_one() -> None:
        with transaction.atomic():
            outbox.record_event(next(pending))

    with transaction.atomic():  # as in a request: a savepoint inside the event's transaction
        timings, _ = harness.timed(record_one, COUNT - 1)
    print(timings.line("record_event (1 of 3 subscribers, the pipeline's webhooks step)", 48))
    total = Delivery.objects.count()
    started, cpu = time.perf_counter(), time.process_time()
    report = worker.deliver_due()
    elapsed, used = time.perf_counter() - started, time.process_time() - cpu
    print(f"worker: {report.delivered} of {total} deliveries, {sum(verified)} verified by the "
          f"receiver, {report.retried + report.failed} not delivered, "
          f"{report.delivered / elapsed:,.0f} deliveries/s (one worker, receiver in-process), "
          f"CPU {used / max(report.delivered, 1) * 1000:.2f} ms/delivery (worker and receiver)")
    server.shutdown()


if __name__ == "__main__":
    main()
