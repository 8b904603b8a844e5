"""The load kit (issue #19): the portal's mixed load against the stack in production mode,
beside the trivial view, with the server's and the database's own CPU counters.

It sets up a database (migrations, reference data, catalogue, demo accounts, static files, a
generated history of ``BENCH_DOSSIERS`` dossiers unless the database already holds that many),
starts gunicorn in production mode (``DICHVUCONG_MODE=production``, DEBUG off, a throwaway
secret; two-step verification for officials off and local accounts on, since the load client
logs in with a password, not VNeID), optionally on Redis, and runs in alternating rounds:

* the floor: ``/healthz/live``, the trivial view;
* the mix: 60 % anonymous pages (home, catalogue search, a procedure page, the public dossier
  lookup), 20 % a logged-in citizen's pages (my dossiers, a dossier), 10 % API reads (the
  catalogue, my dossiers), 5 % API submissions with a 200 KB PDF, 5 % the back-office queue;
* each kind of request alone, so that the CPU the processes' own counters (``/proc``) show for
  a round is that kind's: CPU per request for each kind, app and database.

It prints for each: req/s, p50/p95/p99, errors, CPU per request (app + database) and its ratio
to the floor's; for the mix also the latency of each kind within it; and the machine's load
average before and after (the machine may be shared: the rates follow the neighbours' load, the
CPU per request much less).

    ./run bench bench/bench_mix.py                       (PostgreSQL; SQLite beside it)
    DATABASE_URL=postgres://… .venv/bin/python bench/bench_mix.py
    BENCH_REDIS_URL=redis://127.0.0.1:6379/0 …           (cache and sessions on Redis)
    BENCH_DOSSIERS=200000 BENCH_SECONDS=60 BENCH_ROUNDS=3 BENCH_CLIENTS=16 BENCH_WORKERS=4 …
    BENCH_URL=http://127.0.0.1:8000 BENCH_SERVER_PID=… BENCH_DATABASE_PID=… BENCH_WORKER_PID=…
        (a stack already running, with the demo accounts; no setup, and the CPU counters of
        the processes given, if any)
    BENCH_REBUILD=0   (skip comparing the facts with a full rebuild at the end)

After each round it waits for the background worker (started beside gunicorn, as a deployment
runs it) to owe nothing but the papers' reading, and counts that wait in the round: the derived
work a kind of request leaves is that kind's, and never lands in the next round's figures (it did
before: the submissions' backlog was counted in the back-office queue's database CPU). It prints
how long the worker took to catch up after each round of the mix and of submissions alone, and
at the end compares the monitoring facts it derived with a full rebuild, rolled back.

The submissions add dossiers to the citizen ``congdan``; use a database meant for benchmarks.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import harness
from bench_api_submit import filing_fields, multipart

DOSSIERS = int(os.environ.get("BENCH_DOSSIERS", "20000"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))  # per kind, over all rounds
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "3"))
THREADS = int(os.environ.get("BENCH_THREADS", "4"))
URL = os.environ.get("BENCH_URL", "")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "")
STARTED = datetime.now(UTC)  # the kit's own filings are those since

MIX = {"anonymous page": 60, "citizen page": 20, "API read": 10, "API submission": 5,
       "back-office queue": 5}
SEARCHES = ["khai sinh", "đăng ký kết hôn", "giấy phép xây dựng", "hộ kinh doanh",
            "chứng thực bản sao", "cấp lại", "lý lịch tư pháp", "thường trú"]


# --- the stack ---------------------------------------------------------------------------------

def _run(env: dict[str, str], *command: str) -> None:
    subprocess.run([sys.executable, "-m", "dichvucong", *command, "-v", "0"], env=env,
                   check=True, stdout=subprocess.DEVNULL)


def prepare(env: dict[str, str]) -> None:
    """The demo data and the history, set up in demo mode (production refuses demo accounts
    and synthetic history, on purpose)."""
    _run(env, "migrate")
    from dichvucong.accounts.models import User
    from dichvucong.catalog.models import Procedure
    from dichvucong.dossiers.models import Dossier

    # Quick when already there (a second run on the same database); --setup does it again.
    if "--setup" in sys.argv or not (Procedure.objects.exists()
                                     and User.objects.filter(username="congdan").exists()):
        for command in (["load_reference_data"], ["load_catalog"], ["create_demo_accounts"]):
            _run(env, *command)
    _run(env, "collectstatic", "--noinput")

    have = Dossier.objects.count()
    if have < DOSSIERS:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "dichvucong", "generate-history", "--dossiers",
                        str(DOSSIERS - have), "--seed", str(have + 1)], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        print(f"generated {DOSSIERS - have:,} dossiers of history in "
              f"{time.perf_counter() - started:.0f} s")
    from django.db import connection

    if connection.vendor == "postgresql":
        # Fresh planner statistics, as autovacuum keeps them: the kits' own filings (thousands
        # at one desk) changed the waiting dossiers' distribution too little to trigger it,
        # and the back-office queue's plans went by a history where hardly any waited.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    # The generated history has no declarations' PDFs: the worker's sweeper would render the
    # last three days' of them, fifty every five minutes, inside whichever rounds ran then.
    from django.utils import timezone

    from dichvucong.results import declaration

    done: set[int] = set()
    while found := set(declaration.missing(timezone.now(), batch=500)) - done:
        for dossier_id in found:
            declaration.attach(dossier_id)
        done |= found


@contextmanager
def production_server() -> Iterator[harness.Server]:
    data_dir = Path(os.environ.get("DICHVUCONG_DATA_DIR") or tempfile.mkdtemp())
    demo = {**os.environ, "DICHVUCONG_MODE": "demo", "DICHVUCONG_DATA_DIR": str(data_dir),
            "DJANGO_SETTINGS_MODULE": "dichvucong.settings"}
    prepare(demo)
    env = {**demo, "DICHVUCONG_MODE": "production", "SECRET_KEY": secrets.token_urlsafe(40),
           "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "0", "SECURE_HSTS_SECONDS": "0",
           "DICHVUCONG_TWO_FACTOR_FOR_OFFICIALS": "0", "DICHVUCONG_LOCAL_REGISTRATION": "1",
           "DEBUG": "0"}
    if REDIS_URL:
        env["REDIS_URL"] = REDIS_URL
    port = harness.free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "dichvucong.wsgi:application", "-b",
         f"127.0.0.1:{port}", "-w", str(WORKERS), "--threads", str(THREADS),
         "--timeout", "120", "--log-level", "warning"], env=env)
    # The background worker, as a deployment runs it: the derived data (facts, the data store,
    # notifications, sync records) is part of what a submission costs and must keep up.
    worker = subprocess.Popen([sys.executable, "-m", "dichvucong", "run_huey", "--quiet"],
                              env={**env, "HUEY_WORKERS": os.environ.get("HUEY_WORKERS", "2")},
                              stdout=subprocess.DEVNULL)
    try:
        wait_until_live(port, process)
        yield harness.Server(port, process, env, worker)
    finally:
        for child in (process, worker):
            child.terminate()
        for child in (process, worker):
            child.wait(timeout=30)


def wait_until_live(port: int, process: subprocess.Popen, seconds: float = 300) -> None:
    """Until every worker answers: on a busy machine a worker takes many seconds to boot."""
    deadline = time.monotonic() + seconds
    answered = 0
    while answered < WORKERS * 2:
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("gunicorn did not start")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            conn.request("GET", harness.FLOOR_URL)
            answered += conn.getresponse().status == 200
            conn.close()
        except OSError:
            time.sleep(0.5)


class Running:
    """A stack started elsewhere (``BENCH_URL``): the CPU of the processes named, if any."""

    def __init__(self, url: str):
        parts = urllib.parse.urlsplit(url)
        self.port = parts.port or 80
        pid = os.environ.get("BENCH_SERVER_PID")
        self.process = type("P", (), {"pid": int(pid) if pid else None})()
        pid = os.environ.get("BENCH_WORKER_PID")
        self.worker = type("P", (), {"pid": int(pid) if pid else None})()


# --- the requests -----------------------------------------------------------------------------

def login(port: int, username: str) -> dict[str, str]:
    """Log in through the login page; the headers a browser then sends."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("GET", "/dang-nhap/")
    response = conn.getresponse()
    page = response.read().decode()
    cookies = "; ".join(c.split(";", 1)[0] for c in response.headers.get_all("Set-Cookie") or [])
    csrf = re.search(r"csrftoken=([^;]+)", cookies).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": username,
                                   "password": "demo-dichvucong"})
    referer = f"http://127.0.0.1:{port}/"
    conn.request("POST", "/dang-nhap/", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={csrf}",
        "Referer": referer})
    response = conn.getresponse()
    response.read()
    session = re.search(r"sessionid=([^;]+)", response.getheader("Set-Cookie") or "")
    if response.status != 302 or session is None:
        raise SystemExit(f"could not log {username} in ({response.status})")
    return {"Cookie": f"csrftoken={csrf}; sessionid={session.group(1)}", "X-CSRFToken": csrf,
            "Referer": referer}


def get(path: str, headers: dict[str, str] | None = None) -> harness.Request:
    return ("GET", path, None, headers or {}, 200)


def request_makers(port: int) -> dict[str, Callable[[], harness.Request]]:
    """One maker per kind of request; each picks its page at random."""
    from dichvucong.catalog.models import Procedure

    citizen, officer = login(port, "congdan"), login(port, "motcua.haichau")
    fields, attachment = filing_fields()

    def submission() -> harness.Request:
        body, content_type = multipart(fields, [("files", "giay-chung-sinh.pdf", attachment)])
        return ("POST", "/api/v1/dossiers", body, {**citizen, "Content-Type": content_type},
                201)

    # The citizen needs dossiers to look at: a few submissions before the rounds.
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    codes = []
    for _ in range(5):
        method, path, body, headers, _ = submission()
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        answer = response.read()
        if response.status != 201:
            raise SystemExit(f"a submission failed: {response.status} {answer[:300]!r}")
        codes.append(json.loads(answer)["code"])
    procedures = list(Procedure.objects.filter(is_active=True, current_version__isnull=False)
                      .order_by("-popularity").values_list("code", flat=True)[:200])

    def anonymous() -> harness.Request:
        roll = random.random()
        if roll < 0.25:
            return get("/")
        if roll < 0.5:
            return get("/thu-tuc/?" + urllib.parse.urlencode({"q": random.choice(SEARCHES)}))
        if roll < 0.85:
            return get(f"/thu-tuc/{random.choice(procedures)}/")
        return get("/tra-cuu/")

    def citizen_page() -> harness.Request:
        if random.random() < 0.5:
            return get("/ho-so/", citizen)
        return get(f"/ho-so/{random.choice(codes)}/", citizen)

    def api_read() -> harness.Request:
        roll = random.random()
        if roll < 0.4:
            return get("/api/v1/catalog/procedures", citizen)
        if roll < 0.6:
            return get(f"/api/v1/catalog/procedures/{random.choice(procedures)}", citizen)
        if roll < 0.8:
            return get("/api/v1/dossiers", citizen)
        return get(f"/api/v1/dossiers/{random.choice(codes)}", citizen)

    return {"anonymous page": anonymous, "citizen page": citizen_page, "API read": api_read,
            "API submission": submission,
            "back-office queue": lambda: get("/mot-cua/", officer)}


# --- the load ---------------------------------------------------------------------------------

def run_mix(port: int, makers: dict[str, Callable[[], harness.Request]], seconds: float,
            clients: int) -> dict:
    """Closed-loop clients each drawing the next request's kind by the mix's shares; the
    latencies of each kind kept apart."""
    kinds, weights = list(MIX), list(MIX.values())
    stop = time.monotonic() + seconds
    by_kind: dict[str, list[float]] = {kind: [] for kind in kinds}
    errors, lock = [0], threading.Lock()

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine: dict[str, list[float]] = {kind: [] for kind in kinds}
        bad = 0
        while time.monotonic() < stop:
            kind = random.choices(kinds, weights)[0]
            method, path, body, headers, expect = makers[kind]()
            start = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                bad += response.status != expect
            except (OSError, http.client.HTTPException):
                bad += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            mine[kind].append(time.perf_counter() - start)
        with lock:
            for kind, values in mine.items():
                by_kind[kind].extend(values)
            errors[0] += bad

    elapsed = harness.run_threads(client, clients)
    everything = sorted(v for values in by_kind.values() for v in values)

    def pct(values: list[float], p: float) -> float:
        values = sorted(values)
        return values[min(len(values) - 1, int(len(values) * p))] * 1000 if values else 0.0

    return {"requests": len(everything), "rps": len(everything) / elapsed, "errors": errors[0],
            "p50": pct(everything, 0.5), "p95": pct(everything, 0.95),
            "p99": pct(everything, 0.99),
            "kinds": {kind: (len(v), pct(v, 0.5), pct(v, 0.95), pct(v, 0.99))
                      for kind, v in by_kind.items()}}


def measure(served, makers: dict[str, Callable[[], harness.Request]]) -> tuple[dict, dict]:
    """The floor, the mix and each kind alone, in alternating rounds, each round's CPU from
    the server's and the database's process counters."""
    database = (int(os.environ["BENCH_DATABASE_PID"]) if os.environ.get("BENCH_DATABASE_PID")
                else harness.postmaster_pid() if not URL else None)
    server_pid, worker_pid = served.process.pid, served.worker.pid
    loads = {"floor": harness.floor_request, **makers}
    for name, make in loads.items():
        warm = harness.run_load(served.port, make, 1, CLIENTS)  # imports, caches, connections
        if warm["errors"]:  # a fresh process's first requests are users' too
            print(f"warm-up: {warm['errors']} of {warm['requests']} {name} requests failed")
    run_mix(served.port, makers, 1, CLIENTS)
    runs: dict[str, list[dict]] = {name: [] for name in ("floor", "mix", *makers)}
    mix_kinds: dict[str, list] = {kind: [] for kind in MIX}
    settle(worker_pid)  # the warm-up's submissions
    for _ in range(ROUNDS):
        for name in runs:
            before = (harness.tree_cpu(server_pid), harness.tree_cpu(database),
                      harness.tree_cpu(worker_pid))
            if name == "mix":
                result = run_mix(served.port, makers, SECONDS / ROUNDS, CLIENTS)
                for kind, figures in result.pop("kinds").items():
                    mix_kinds[kind].append(figures)
            else:
                result = harness.run_load(served.port, loads[name], SECONDS / ROUNDS, CLIENTS)
            # The derived work a round left is that round's: waited for before the next
            # round starts, so that it is counted here and not in the next kind's figures.
            result["catch_up"], result["owed"] = settle(worker_pid)
            after = (harness.tree_cpu(server_pid), harness.tree_cpu(database),
                     harness.tree_cpu(worker_pid))
            result["server_cpu"] = after[0] - before[0]
            result["database_cpu"] = after[1] - before[1]
            result["worker_cpu"] = after[2] - before[2]
            runs[name].append(result)
    results = {name: harness.combine(r) for name, r in runs.items()}
    for name, r in runs.items():
        results[name]["worker_ms"] = (1000 * sum(x["worker_cpu"] for x in r)
                                      / max(results[name]["requests"], 1))
        results[name]["catch_up"] = [x["catch_up"] for x in r]
        results[name]["owed"] = [x["owed"] for x in r]
    return results, mix_kinds


def settle(worker_pid: int | None) -> tuple[float | None, dict[str, int]]:
    """After a round: the seconds until the worker owes nothing but the papers' reading (see
    ``catch_up``); 0 without a worker to wait for."""
    return catch_up() if worker_pid is not None else (0.0, {})


def catch_up(timeout: float = 300) -> tuple[float | None, dict[str, int]]:
    """Seconds from the load's end until the worker owes no fast step (facts, data store,
    notifications, sync records, webhooks; the papers' reading, slow, comes after them) and
    every dossier filed since the kit started has its declaration's PDF (rendered by the
    worker's run after the filing, and itself a change the steps follow); or None after
    ``timeout``; and what is still owed then, per step ("declaration": PDFs not rendered)."""
    from collections import Counter

    from django.db.models import Q

    from dichvucong.dossiers.models import Dossier
    from dichvucong.pipeline.models import PipelineEntry
    from dichvucong.pipeline.steps import DERIVED, SLOW

    fast = Q()
    for step in DERIVED:
        if step.name not in SLOW:
            fast |= Q(pending__contains=f" {step.name} ")
    # The kit files one procedure, which has a form: every filing owes a declaration.
    undeclared = (Dossier.objects.filter(code__isnull=False, submitted_at__gte=STARTED,
                                         applicant__username="congdan")
                  .exclude(attachments__declaration=True))
    stopped = time.monotonic()
    caught = None
    while time.monotonic() - stopped < timeout:
        if not PipelineEntry.objects.filter(fast).exists() and not undeclared.exists():
            caught = time.monotonic() - stopped
            break
        time.sleep(0.2)
    owed = Counter(step for pending in PipelineEntry.objects.values_list("pending", flat=True)
                   for step in pending.split())
    if missing := undeclared.count():
        owed["declaration"] = missing
    return caught, dict(owed)


def reading_rate(seconds: float = 30) -> float:
    """Papers' readings done per second by the worker, over ``seconds`` (entries owing them)."""
    from dichvucong.pipeline.models import PipelineEntry

    owing = PipelineEntry.objects.filter(pending__contains=" read ")
    before = owing.count()
    time.sleep(seconds)
    return (before - owing.count()) / seconds


def facts_against_rebuild() -> tuple[dict[str, tuple[int, int]], float]:
    """The monitoring facts as the worker left them against a full rebuild (monitor.facts),
    compared in the database and rolled back: per table, the rows only the worker's have and
    the rows only the rebuild's have (sums of nothing apart: a decrement may leave a row of
    zeros behind, which counts nothing), and the rebuild's seconds."""
    from django.db import connection, transaction

    from dichvucong.monitor import facts

    measures = [m.name for m in facts.MEASURES]
    nonzero = "NOT (" + " AND ".join(f"COALESCE({m}, 0) = 0" for m in measures) + ")"
    tables = {"monitor_dossierfact": (facts.FACT_COLUMNS, "1 = 1"),
              "monitor_dailyfact": (("day", *facts.KEY_FIELDS, *measures), nonzero),
              "monitor_agencydailyfact": (("day", "agency_id", "channel", *measures), nonzero),
              "monitor_agencymonthlyfact": (("month", "agency_id", "channel", *measures),
                                            nonzero),
              "monitor_agencyyearlyfact": (("year", "agency_id", "channel", *measures), nonzero),
              "monitor_fieldmonthlyfact": (("month", "agency_id", "field_id", "ward_id",
                                            "channel", *measures), nonzero)}
    differences = {}
    with transaction.atomic(), connection.cursor() as cursor:
        for table, (columns, where) in tables.items():
            cursor.execute(f"CREATE TEMP TABLE bench_{table} AS SELECT {', '.join(columns)} "  # noqa: S608
                           f"FROM {table} WHERE {where}")
        started = time.perf_counter()
        facts.rebuild()
        seconds = time.perf_counter() - started
        for table, (columns, where) in tables.items():
            listed = ", ".join(columns)
            rebuilt = f"SELECT {listed} FROM {table} WHERE {where}"  # noqa: S608
            kept = f"SELECT {listed} FROM bench_{table}"  # noqa: S608
            counts = []
            for first, second in ((kept, rebuilt), (rebuilt, kept)):
                cursor.execute(f"SELECT COUNT(*) FROM ({first} EXCEPT {second}) d")  # noqa: S608
                counts.append(cursor.fetchone()[0])
            differences[table] = tuple(counts)
        transaction.set_rollback(True)
    return differences, seconds


def derived(served) -> None:
    """After the load: how long the worker takes to owe nothing, and whether what it derived
    equals a rebuild (``BENCH_REBUILD=0`` skips the rebuild, which reads the whole history)."""
    if served.worker.pid is None:
        print("derived data: no worker process given (BENCH_WORKER_PID); not checked")
        return
    seconds, owed = catch_up()
    if seconds is None:
        print(f"derived data: NOT caught up 300 s after the last round; still owed: {owed}")
    if owed.get("read"):
        print(f"papers still to read then: {owed['read']} entries; the worker reads "
              f"{reading_rate():.2f} entries a second (Tesseract; DICHVUCONG_READ_UPLOADS=0 "
              "turns reading off)")
    if os.environ.get("BENCH_REBUILD", "1") == "0":
        return
    differences, took = facts_against_rebuild()
    verdict = ("equal" if not any(a or b for a, b in differences.values())
               else "DIFFERENT")
    detail = ", ".join(f"{table.removeprefix('monitor_')} {a}/{b}"
                       for table, (a, b) in differences.items())
    print(f"facts against a full rebuild ({took:.1f} s): {verdict} (rows only kept / only "
          f"rebuilt: {detail})")


def report(results: dict, mix_kinds: dict) -> None:
    floor = results["floor"]
    floor_cpu = floor["server_ms"] + floor["database_ms"]
    print(f"{'':<22}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'errors':>7}"
          f"{'app CPU':>9}{'db CPU':>8}{'CPU/req':>9}{'× floor':>8}{'rate/floor':>11}"
          f"{'worker':>8}")
    for name, r in results.items():
        cpu = r["server_ms"] + r["database_ms"]
        label = "floor /healthz/live" if name == "floor" else name
        print(f"{label:<22}{r['rps']:>8.1f}{r['p50']:>8.1f}{r['p95']:>8.1f}{r['p99']:>8.1f}"
              f"{r['errors']:>7}{r['server_ms']:>9.2f}{r['database_ms']:>8.2f}{cpu:>9.2f}"
              f"{cpu / floor_cpu if floor_cpu else float('nan'):>8.1f}"
              f"{r['rps'] / floor['rps'] if floor['rps'] else float('nan'):>11.2f}"
              f"{r.get('worker_ms', 0.0):>8.2f}")
    print("(CPU in ms per request, from the processes' counters, each round counted until the "
          "worker had caught up after it; × floor: CPU per request against the trivial view's; "
          "worker: the background worker's own CPU for the derived work the requests left, not "
          "in CPU/req; its queries are in db CPU)")
    for name in ("mix", "API submission"):
        if name in results and any(results[name]["catch_up"]):
            waits = ", ".join("not in 300 s" if c is None else f"{c:.1f} s"
                              for c in results[name]["catch_up"])
            print(f"derived data caught up after each {name} round: {waits}")
    mix = results["mix"]
    cores = os.cpu_count() or 1
    cpu = mix["server_ms"] + mix["database_ms"]
    if cpu:
        print(f"mix: {cpu:.2f} ms of CPU per request → at most {1000 * cores / cpu:,.0f} req/s "
              f"on {cores} free cores")
    print("latency of each kind within the mix (median over the rounds):")
    for kind, rounds in mix_kinds.items():
        count = sum(r[0] for r in rounds)
        middle = sorted(rounds, key=lambda r: r[1])[len(rounds) // 2]
        print(f"  {kind:<20}{count:>7} requests   p50 {middle[1]:7.1f}   p95 {middle[2]:7.1f}   "
              f"p99 {middle[3]:7.1f} ms")


def main() -> None:
    harness.setup_django()
    from django.conf import settings

    load_before = os.getloadavg()
    if URL:
        served = Running(URL)
        makers = request_makers(served.port)
        results, mix_kinds = measure(served, makers)
        derived(served)
        where = f"the stack at {URL}"
    else:
        with production_server() as served:
            makers = request_makers(served.port)
            results, mix_kinds = measure(served, makers)
            derived(served)
        where = (f"gunicorn {WORKERS}×{THREADS} in production mode, "
                 f"{harness.database_name()}{', Redis' if REDIS_URL else ''}")
    from dichvucong.dossiers.models import Dossier

    load_after = os.getloadavg()
    print(f"\nThe mix — {where}; {Dossier.objects.count():,} dossiers; {CLIENTS} closed-loop "
          f"clients; {SECONDS:.0f} s per line in {ROUNDS} alternating rounds; "
          f"{os.cpu_count()} cores; load average {load_before[0]:.1f} before, "
          f"{load_after[0]:.1f} after (the machine may be shared)")
    print(f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}")
    report(results, mix_kinds)


if __name__ == "__main__":
    main()
