"""Where a request's milliseconds go, in one process (no server, no network): the CPU of each
kind of request of the load kit's mix beside the floor (``/healthz/live``) measured in the same
run (on PostgreSQL, its backend's CPU beside it), and with ``--profile`` the functions that take
the most of it (cProfile, cumulative).
Then the pipeline's worker on the submissions made: CPU per entry, batched (the facts once per
batch, the events read in one query, the delivery workers kicked once) and, for comparison, as
before: one entry at a time.

Runs on a database set up by the load kit (``bench_mix.py``: demo data and a generated history)
or any demo database: DICHVUCONG_DATA_DIR (SQLite) or DATABASE_URL (PostgreSQL). It adds
submissions to the citizen ``congdan``: use a database meant for benchmarks.

    DICHVUCONG_DATA_DIR=/tmp/bench .venv/bin/python bench/bench_profile.py [--profile] [kind …]
    BENCH_REQUESTS=200 (per kind)   BENCH_PROFILE_LINES=25   BENCH_PROFILE_SORT=cumulative
"""

from __future__ import annotations

import contextlib
import cProfile
import io
import os
import pstats
import sys
import time
from collections.abc import Callable
from types import SimpleNamespace

import harness
from bench_api_submit import filing_fields

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))
LINES = int(os.environ.get("BENCH_PROFILE_LINES", "25"))
SORT = os.environ.get("BENCH_PROFILE_SORT", "cumulative")  # or tottime


def _profiler() -> cProfile.Profile:
    """A profile of the process's CPU: the wall clock's default counted the waits on the
    database server as the application's time."""
    return cProfile.Profile(time.process_time)


def _backend_cpu() -> float:
    """CPU seconds used so far by this process's PostgreSQL backend (/proc, 10 ms ticks: read
    it over many requests); 0 on SQLite, whose work is this process's."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        stat = harness._proc_stat(cursor.fetchone()[0])
    return stat[1] if stat else 0.0


def _cpu_per_call(call: Callable[[], object], runs: int) -> float:
    call()  # warm: templates compiled, caches filled
    backend, started = _backend_cpu(), time.process_time()
    for _ in range(runs):
        call()
    used = time.process_time() - started
    _database[0] = (_backend_cpu() - backend) * 1000 / runs
    return used * 1000 / runs


_database = [0.0]  # the last _cpu_per_call's PostgreSQL backend CPU per call, ms


def _profile(label: str, call: Callable[[], object], runs: int) -> None:
    profiler = _profiler()
    profiler.enable()
    for _ in range(runs):
        call()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(SORT).print_stats(LINES)
    print(f"\n--- {label}: cumulative, {runs} calls ---")
    print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))


def kinds() -> dict[str, Callable[[], object]]:
    from django.test import Client

    from dichvucong.accounts.models import User
    from dichvucong.catalog.models import Procedure

    citizen, officer, anonymous = Client(), Client(), Client()
    citizen.force_login(User.objects.get(username="congdan"))
    officer.force_login(User.objects.get(username="motcua.haichau"))
    fields, attachment = filing_fields()

    def ok(response, status: int = 200):
        if response.status_code != status:
            raise SystemExit(f"{response.status_code}: {response.content[:300]!r}")
        return response

    def visitor() -> Client:
        """A first visit: the cookies of the last one forgotten."""
        anonymous.cookies.clear()
        return anonymous

    def submit() -> object:
        from django.core.files.uploadedfile import SimpleUploadedFile

        return ok(citizen.post("/api/v1/dossiers", {
            **fields, "files": [SimpleUploadedFile("giay-chung-sinh.pdf", attachment,
                                                   "application/pdf")]}), 201)

    code = submit().json()["code"]
    procedure = Procedure.objects.filter(is_active=True, current_version__isnull=False).order_by(
        "-popularity").values_list("code", flat=True).first()
    return {
        "floor": lambda: ok(anonymous.get(harness.FLOOR_URL)),
        # The mix's anonymous pages, as its visitors come: no cookie at all.
        "anonymous: home": lambda: ok(visitor().get("/")),
        "anonymous: search": lambda: ok(visitor().get("/thu-tuc/", {"q": "khai sinh"})),
        "anonymous: a procedure": lambda: ok(visitor().get(f"/thu-tuc/{procedure}/")),
        "anonymous: the lookup": lambda: ok(visitor().get("/tra-cuu/")),
        "API read (the catalogue)": lambda: ok(citizen.get("/api/v1/catalog/procedures")),
        "API read (a procedure)": lambda: ok(citizen.get(
            f"/api/v1/catalog/procedures/{procedure}")),
        "my dossiers": lambda: ok(citizen.get("/ho-so/")),
        "dossier page": lambda: ok(citizen.get(f"/ho-so/{code}/")),
        "back-office queue": lambda: ok(officer.get("/mot-cua/")),
        "API read (my dossiers)": lambda: ok(citizen.get("/api/v1/dossiers")),
        "API read (a dossier)": lambda: ok(citizen.get(f"/api/v1/dossiers/{code}")),
        "API submission": submit,
    }


def pipeline(batched: bool) -> str:
    """Drain what the submissions so far left to the worker."""
    from dataclasses import replace

    from dichvucong.pipeline import worker
    from dichvucong.pipeline.models import PipelineEntry

    if not hasattr(worker, "preload"):  # a release from before batches: as it is
        batched = False
    saved = worker.DERIVED, getattr(worker, "preload", None), getattr(worker, "kicks", None)
    together = getattr(worker, "run_together", None)
    if not batched and saved[1] is not None:
        # as before batches: each entry's steps alone, each commit kicking
        worker.DERIVED = tuple(replace(step, run_batch=None) for step in saved[0])
        worker.preload = lambda entries: None
        worker.kicks = SimpleNamespace(held=contextlib.nullcontext)
        if together is not None:
            worker.run_together = lambda entries, *args: entries
    try:
        owed = PipelineEntry.objects.count()
        profiler = _profiler() if "--profile" in sys.argv else None
        started = time.process_time()
        if profiler:
            profiler.enable()
        report = worker.drain()
        used = time.process_time() - started
        if profiler:
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(SORT).print_stats(LINES)
            print(out.getvalue())
    finally:
        if saved[1] is not None:
            worker.DERIVED, worker.preload, worker.kicks = saved
        if together is not None:
            worker.run_together = together
    return (f"pipeline worker, {'batched' if batched else 'one entry at a time'}: {owed} "
            f"entries, {report.done} steps, {report.failed} failed, "
            f"{used * 1000 / max(owed, 1):.2f} ms of CPU per entry (this process)")


def main() -> None:
    harness.setup_django()
    from dichvucong.dossiers.models import Dossier
    from dichvucong.pipeline import worker

    worker.drain()  # nothing left over from an earlier run
    wanted = [a for a in sys.argv[1:] if not a.startswith("--")]
    calls = kinds()
    print(f"{harness.database_name()}, {Dossier.objects.count():,} dossiers, "
          f"load {os.getloadavg()[0]:.2f}; CPU per request in this process, {REQUESTS} each")
    floor = _cpu_per_call(calls["floor"], REQUESTS)
    print(f"{'floor':34} {floor:8.2f} ms")
    for label, call in calls.items():
        if label == "floor" or (wanted and not any(w in label for w in wanted)):
            continue
        runs = REQUESTS if label != "API submission" else max(REQUESTS // 4, 10)
        cost = _cpu_per_call(call, runs)
        database = f"  + PostgreSQL {_database[0]:.2f} ms" if _database[0] else ""
        print(f"{label:34} {cost:8.2f} ms  ×{cost / floor:.1f} the floor{database}")
        if "--profile" in sys.argv:
            _profile(label, call, max(runs // 4, 5))
    print(f"load after: {os.getloadavg()[0]:.2f}")
    if not wanted or any("pipeline" in w for w in wanted):
        print(pipeline(batched=False))
        for _ in range(max(REQUESTS // 4, 10)):
            calls["API submission"]()
        print(pipeline(batched=True))


if __name__ == "__main__":
    main()
