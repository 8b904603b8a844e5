"""What every benchmark under bench/ shares: Django set up for a throwaway demo database, timing
with wall and CPU time, a trivial view measured beside the subject in alternating rounds (the
machine is shared and noisy: the ratio and the CPU per request move much less than the rates),
and a real gunicorn server driven by closed-loop HTTP clients.

A benchmark is a script run as ``./run bench bench/bench_x.py`` (or with .venv/bin/python); this
folder is then first on ``sys.path``, so scripts import ``harness`` directly.
"""

from __future__ import annotations

import http.client
import importlib.util
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
FLOOR_URL = "/healthz/live"  # the trivial view every comparison is made against
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def setup_django(mode: str = "demo") -> None:
    """Django on the settings a deployment uses, with a temporary data folder unless
    DICHVUCONG_DATA_DIR says otherwise (DATABASE_URL picks PostgreSQL, as in production)."""
    os.environ.setdefault("DICHVUCONG_MODE", mode)
    os.environ.setdefault("DICHVUCONG_DATA_DIR", tempfile.mkdtemp(prefix="dichvucong-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dichvucong.settings")
    if str(ROOT / "src") not in sys.path:
        sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def load_demo_data(*, accounts: bool = False, static: bool = False) -> None:
    """Migrate and load the reference data and the catalogue (quick when already there)."""
    from django.core.management import call_command

    from dichvucong.agencies.models import Agency
    from dichvucong.catalog.models import Procedure

    call_command("migrate", verbosity=0)
    if not Agency.objects.exists() or "--setup" in sys.argv:
        call_command("load_reference_data", verbosity=0)
    if not Procedure.objects.exists() or "--setup" in sys.argv:
        call_command("load_catalog", verbosity=0)
    if accounts:
        call_command("create_demo_accounts", verbosity=0)
    if static:
        call_command("collectstatic", interactive=False, verbosity=0)


def database_name() -> str:
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return {"postgresql": "PostgreSQL", "sqlite3": "SQLite"}.get(engine, engine)


def tests_module(name: str) -> ModuleType:
    """A helper module of tests/ (the citizen queries, a filled declaration), loaded by path:
    the benchmarks share the tests' data instead of copying it."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


@dataclass
class Timings:
    """Per-call wall and CPU times of this process, in milliseconds."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def add(self, other: Timings) -> None:
        self.wall += other.wall
        self.cpu += other.cpu

    def line(self, label: str, width: int = 44) -> str:
        wall = self.wall
        return (f"  {label:<{width}} median {statistics.median(wall):7.1f} ms   "
                f"mean {statistics.mean(wall):7.1f}   p95 {percentile(wall, 0.95):7.1f}   "
                f"min {min(wall):7.1f}   CPU {statistics.mean(self.cpu):7.1f} ms/call")


def timed(fn: Callable[[], object], runs: int, *, warm: int = 1,
          prepare: Callable[[], object] | None = None) -> tuple[Timings, object]:
    """``fn`` called ``runs`` times after ``warm`` untimed calls; ``prepare`` (untimed) before
    each call. Returns the timings and the last call's value."""
    for _ in range(warm):
        if prepare:
            prepare()
        fn()
    timings, value = Timings(), None
    for _ in range(runs):
        if prepare:
            prepare()
        cpu, started = time.process_time(), time.perf_counter()
        value = fn()
        timings.wall.append((time.perf_counter() - started) * 1000)
        timings.cpu.append((time.process_time() - cpu) * 1000)
    return timings, value


def rate(label: str, call: Callable[[], object], seconds: float = 2.0) -> None:
    """Calls per second of a fast in-process operation, and its cost per call."""
    count = 0
    cpu, start = time.process_time(), time.perf_counter()
    while time.perf_counter() - start < seconds:
        call()
        count += 1
    elapsed, used = time.perf_counter() - start, time.process_time() - cpu
    print(f"{label:<44} {count / elapsed:>10,.0f}/s  {elapsed / count * 1e6:>9,.1f} µs each  "
          f"CPU {used / count * 1e6:>9,.1f} µs")


def beside_floor(cases: dict[str, Callable[[], object]], floor: Callable[[], object], *,
                 rounds: int = 5, calls: int = 10, title: str = "") -> dict[str, Timings]:
    """Each case and the trivial view in alternating rounds (floor, case, floor, case …), so a
    neighbour's load weighs on both alike; prints wall times, this process's CPU per call and
    the ratio of that CPU to the floor's. Returns the timings, the floor's under "floor"."""
    for call in (floor, *cases.values()):
        call()  # warm: imports, caches, connections
    results = {name: Timings() for name in ("floor", *cases)}
    for _ in range(rounds):
        for name, call in cases.items():
            results["floor"].add(timed(floor, calls, warm=0)[0])
            results[name].add(timed(call, calls, warm=0)[0])
    floor_cpu = statistics.mean(results["floor"].cpu)
    print(title or f"{rounds} alternating rounds of {calls} calls, beside {FLOOR_URL}")
    print(f"  {'request':<46}{'p50 ms':>9}{'p95 ms':>9}{'CPU ms':>9}{'× floor':>9}")
    for name, timings in results.items():
        label = f"{FLOOR_URL} (trivial view, the floor)" if name == "floor" else name
        cpu = statistics.mean(timings.cpu)
        print(f"  {label:<46}{statistics.median(timings.wall):>9.1f}"
              f"{percentile(timings.wall, 0.95):>9.1f}{cpu:>9.2f}"
              f"{cpu / floor_cpu if floor_cpu else float('nan'):>9.1f}")
    return results


# --- A real server under HTTP load -------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _proc_stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds of the process and its reaped children) from /proc."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    return int(fields[1]), (utime + stime + cutime + cstime) / CLOCK_TICKS


def tree_cpu(root: int | None) -> float:
    """CPU seconds used so far by ``root`` and all its descendants (Linux /proc): the server's
    own cost, whatever else runs on a shared machine."""
    if root is None or not Path("/proc").is_dir():
        return 0.0
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _proc_stat(int(entry.name))) is not None:
            stats[int(entry.name)] = stat
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in stats.items():
        children.setdefault(parent, []).append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += stats.get(pid, (0, 0.0))[1]
        todo.extend(children.get(pid, []))
    return total


def postmaster_pid() -> int | None:
    """The PostgreSQL server's process (its backends are its children), if Django uses one."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT setting FROM pg_settings WHERE name = 'data_directory'")
        data_dir = Path(cursor.fetchone()[0])
    try:
        return int((data_dir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


# A request as a load client sends it: method, path, body, headers, the status expected.
Request = tuple[str, str, bytes | None, dict[str, str], int]


def run_threads(target: Callable[[], None], count: int) -> float:
    """``count`` threads running ``target`` together; the seconds until the last ends."""
    threads = [threading.Thread(target=target) for _ in range(count)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - began


def run_load(port: int, make_request: Callable[[], Request], seconds: float,
             clients: int) -> dict:
    """``clients`` closed-loop keep-alive clients (threads) for ``seconds``: rate, errors and
    latency percentiles in ms."""
    stop = time.monotonic() + seconds
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine, bad = [], 0
        while time.monotonic() < stop:
            method, path, body, headers, expect = make_request()
            start = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != expect:
                    bad += 1
            except (OSError, http.client.HTTPException):
                bad += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    elapsed = run_threads(client, clients)
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000

    return {"requests": len(latencies), "rps": len(latencies) / elapsed, "errors": errors[0],
            "p50": pct(0.50), "p95": pct(0.95), "p99": pct(0.99),
            "mean": statistics.mean(latencies) * 1000 if latencies else 0}


def combine(runs: list[dict]) -> dict:
    """The rounds of one endpoint as one run: total rate, the rounds' median percentiles, the
    server's and the database's CPU per request."""
    requests = sum(r["requests"] for r in runs)
    elapsed = sum(r["requests"] / r["rps"] for r in runs if r["rps"])
    middle = sorted(runs, key=lambda r: r["p50"])[len(runs) // 2]
    return {"requests": requests, "rps": requests / elapsed if elapsed else 0.0,
            "errors": sum(r["errors"] for r in runs),
            "p50": middle["p50"], "p95": middle["p95"], "p99": middle["p99"],
            "server_ms": 1000 * sum(r["server_cpu"] for r in runs) / max(requests, 1),
            "database_ms": 1000 * sum(r["database_cpu"] for r in runs) / max(requests, 1)}


def floor_request() -> Request:
    return ("GET", FLOOR_URL, None, {}, 200)


@dataclass
class Server:
    """gunicorn serving the platform on a free loopback port, on the database DATABASE_URL
    names (else an SQLite file in the data folder)."""

    port: int
    process: subprocess.Popen
    env: dict[str, str]
    worker: subprocess.Popen | None = None  # the background worker beside it, if started

    def session(self, username: str) -> dict[str, str]:
        """Log the demo account ``username`` in through the login page; the headers a browser
        would then send with an unsafe request (cookies, CSRF token, referer)."""
        from dichvucong.devdata.accounts import DEMO_PASSWORD

        password = DEMO_PASSWORD
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request("GET", "/dang-nhap/")
        response = conn.getresponse()
        page = response.read().decode()
        csrf = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie")).group(1)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": username,
                                       "password": password})
        referer = f"http://127.0.0.1:{self.port}/"
        conn.request("POST", "/dang-nhap/", body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf}", "Referer": referer})
        response = conn.getresponse()
        response.read()
        session = re.search(r"sessionid=([^;]+)", response.getheader("Set-Cookie")).group(1)
        return {"Cookie": f"csrftoken={csrf}; sessionid={session}", "X-CSRFToken": csrf,
                "Referer": referer}

    def alternate(self, makers: dict[str, Callable[[], Request]], *, rounds: int,
                  seconds: float, clients: int) -> dict[str, dict]:
        """Each endpoint in turn for ``seconds / rounds`` per round, ``rounds`` times, with the
        server's and the database's CPU measured around each round."""
        database = postmaster_pid()
        for name, make in makers.items():
            warm = run_load(self.port, make, 2, clients)  # warm: imports, caches, connections
            if warm["errors"]:  # a fresh process's first requests are users' too
                print(f"warm-up: {warm['errors']} of {warm['requests']} {name} requests "
                      "failed", file=sys.stderr)
        runs: dict[str, list[dict]] = {name: [] for name in makers}
        for _ in range(rounds):
            for name, make in makers.items():
                before = tree_cpu(self.process.pid), tree_cpu(database)
                result = run_load(self.port, make, seconds / rounds, clients)
                after = tree_cpu(self.process.pid), tree_cpu(database)
                result["server_cpu"] = after[0] - before[0]
                result["database_cpu"] = after[1] - before[1]
                runs[name].append(result)
        return {name: combine(r) for name, r in runs.items()}


@contextmanager
def server(workers: int = 3, threads: int = 4) -> Iterator[Server]:
    """Set up the demo data (migrate, reference data, catalogue, accounts, static files) in
    the data folder and serve it with gunicorn until the block ends."""
    data_dir = Path(os.environ.get("DICHVUCONG_DATA_DIR") or tempfile.mkdtemp())
    env = {**os.environ, "DICHVUCONG_MODE": "demo", "DICHVUCONG_DATA_DIR": str(data_dir),
           "DJANGO_SETTINGS_MODULE": "dichvucong.settings"}
    cli = [sys.executable, "-m", "dichvucong"]
    for command in (["migrate"], ["load_reference_data"], ["load_catalog"],
                    ["create_demo_accounts"], ["collectstatic", "--noinput"]):
        subprocess.run(cli + command + ["-v", "0"], env=env, check=True)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "dichvucong.wsgi:application", "-b",
         f"127.0.0.1:{port}", "-w", str(workers), "--threads", str(threads),
         "--log-level", "warning"], env=env)
    try:
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        yield Server(port, process, env)
    finally:
        process.terminate()
        process.wait(timeout=30)


def print_load_table(results: dict[str, dict]) -> None:
    print(f"{'endpoint':<30}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}"
          f"{'app CPU ms/req':>16}{'db CPU ms/req':>15}")
    for name, r in results.items():
        print(f"{name:<30}{r['rps']:>9.1f}{r['p50']:>9.1f}{r['p95']:>9.1f}{r['p99']:>9.1f}"
              f"{r['errors']:>8}{r['server_ms']:>16.2f}{r['database_ms']:>15.2f}")
