"""API submissions with a 200 KB PDF against the real server, beside a trivial Django JSON view
measured in the same run on the same machine and database (docs/architecture.md «Performance
targets»: target ratio ≥ 0.3).

Uses PostgreSQL when DATABASE_URL points at it (``./run bench`` starts one), else SQLite.
Starts gunicorn on a free loopback port, loads the demo data, logs a citizen in, then runs
closed-loop HTTP clients (threads, keep-alive) for a fixed time against each endpoint, in
alternating rounds. The dossier is a birth registration with its filled e-declaration
(tests/birth_helpers.py) and the birth certificate from the clinic as the upload.

    ./run bench bench/bench_api_submit.py
"""

from __future__ import annotations

import json
import os
import time

import harness
from faultkit import multipart

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))  # alternating rounds of each endpoint
WORKERS = int(os.environ.get("BENCH_WORKERS", "3"))
PROCEDURE = "1.001193"  # Đăng ký khai sinh: the e-declaration and one required document


def pdf_of_size(size: int) -> bytes:
    head = b"%PDF-1.4\n% benchmark attachment\n"
    return head + b"0" * (size - len(head) - 6) + b"\n%%EOF"


def derive_after() -> str:
    """What the pipeline's worker derives for the submissions just made (facts, data store,
    notifications, sync records, webhooks: off the request path), run here in this process as
    huey's consumer would, CPU per entry. (The declaration's PDF is huey's task, before as now.)"""
    from dichvucong.pipeline import worker
    from dichvucong.pipeline.models import PipelineEntry

    owed = PipelineEntry.objects.count()
    cpu, wall = time.process_time(), time.perf_counter()
    report = worker.drain()
    used, elapsed = time.process_time() - cpu, time.perf_counter() - wall
    return (f"pipeline worker afterwards: {owed} entries, {report.done} steps "
            f"({report.failed} failed) in {elapsed:.1f} s, CPU {used * 1000 / max(owed, 1):.2f} "
            f"ms per entry (the worker's process; its database's share not counted)")


def main() -> None:
    harness.setup_django()
    from dichvucong.agencies.models import Agency
    from dichvucong.catalog.models import Procedure

    declaration = json.dumps(harness.tests_module("birth_helpers").birth_form_json(),
                             ensure_ascii=False)
    attachment = pdf_of_size(200 * 1024)
    with harness.server(workers=WORKERS) as served:
        headers = served.session("congdan")
        agency = Agency.objects.get(name="Ủy ban nhân dân phường Hải Châu").pk
        documents = Procedure.objects.get(code=PROCEDURE).current_version.parsed().documents
        certificate = next(i for i, d in enumerate(documents) if d.mandatory)

        def submission() -> harness.Request:
            body, content_type = multipart(
                {"procedure": PROCEDURE, "agency": str(agency), "form": declaration,
                 "documents": f"[{certificate}]"},
                [("files", "giay-chung-sinh.pdf", attachment)])
            return ("POST", "/api/v1/dossiers", body,
                    {**headers, "Content-Type": content_type}, 201)

        results = served.alternate(
            {"trivial JSON view": harness.floor_request,
             "API submission, 200 KB PDF": submission},
            rounds=ROUNDS, seconds=SECONDS, clients=CLIENTS)
        worker_line = derive_after()
    print(f"API submissions vs a trivial JSON view — gunicorn {WORKERS} workers × 4 threads, "
          f"{CLIENTS} closed-loop clients, {SECONDS:.0f} s each in {ROUNDS} alternating rounds, "
          f"database: {harness.database_name()}")
    harness.print_load_table(results)
    print(worker_line)
    trivial, submitted = results["trivial JSON view"], results["API submission, 200 KB PDF"]
    print(f"ratio submission/trivial: {submitted['rps'] / trivial['rps']:.2f} (target ≥ 0.3)")
    # What each request costs the server and the database in CPU time: on a machine others
    # share, the rates move with their load; these costs much less.
    cost = submitted["server_ms"] + submitted["database_ms"]
    if cost:
        print(f"ratio of CPU cost per request, trivial/submission: "
              f"{(trivial['server_ms'] + trivial['database_ms']) / cost:.2f}")


if __name__ == "__main__":
    main()
