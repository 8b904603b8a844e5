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
    """A well-formed one-page PDF of ``size`` bytes (its content stream padded), so that the
    upload's check parses it as it parses a scan (a file without ``startxref`` is judged
    unreadable without parsing: it would measure nothing)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>"]
    head, offsets, out = b"%PDF-1.4\n% benchmark attachment\n", [], []
    position = len(head)
    for number, body in enumerate(objects, 1):
        offsets.append(position)
        chunk = b"%d 0 obj\n%s\nendobj\n" % (number, body)
        out.append(chunk)
        position += len(chunk)

    def tail(at: int) -> bytes:
        xref = b"".join(b"%010d 00000 n \n" % o for o in offsets)
        return (b"xref\n0 5\n0000000000 65535 f \n" + xref
                + b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % at)

    padding = max(0, size - position - len(tail(position)) - 200)
    offsets.append(position)
    stream = b"4 0 obj\n<< /Length %d >>\nstream\n%s\nendstream\nendobj\n" % (
        padding, b"%" * padding)
    return head + b"".join(out) + stream + tail(position + len(stream))


def filing_fields() -> tuple[dict[str, str], bytes]:
    """The API submission's form fields (the birth registration at Hải Châu with its filled
    declaration and the certificate as the one document) and its 200 KB PDF."""
    from dichvucong.agencies.models import Agency
    from dichvucong.catalog.models import Procedure

    agency = Agency.objects.get(name="Ủy ban nhân dân phường Hải Châu").pk
    documents = Procedure.objects.get(code=PROCEDURE).current_version.parsed().documents
    certificate = next(i for i, d in enumerate(documents) if d.mandatory)
    declaration = json.dumps(harness.tests_module("birth_helpers").birth_form_json(),
                             ensure_ascii=False)
    return ({"procedure": PROCEDURE, "agency": str(agency), "form": declaration,
             "documents": f"[{certificate}]"}, pdf_of_size(200 * 1024))


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
    with harness.server(workers=WORKERS) as served:
        headers = served.session("congdan")
        fields, attachment = filing_fields()

        def submission() -> harness.Request:
            body, content_type = multipart(fields,
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
