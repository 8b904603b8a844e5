"""API submissions with a 200 KB PDF against the real server, beside a trivial Django JSON view
measured in the same run on the same machine and database (docs/architecture.md «Performance
targets»: target ratio ≥ 0.3).

Uses PostgreSQL when DATABASE_URL points at it (``./run bench`` starts one), else SQLite.
Starts gunicorn on a free loopback port, loads the demo data, logs a citizen in, then runs
closed-loop HTTP clients (threads, keep-alive) for a fixed time against each endpoint.

    ./run bench
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))  # alternating rounds of each endpoint
PROCEDURE = "2.000635"  # Cấp bản sao trích lục hộ tịch: one required document


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pdf_of_size(size: int) -> bytes:
    head = b"%PDF-1.4\n% benchmark attachment\n"
    return head + b"0" * (size - len(head) - 6) + b"\n%%EOF"


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    boundary = secrets.token_hex(12)
    out = []
    for name, value in fields.items():
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                   f"{value}\r\n".encode())
    for name, filename, content in files:
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                   f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'.encode()
                   + content + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), f"multipart/form-data; boundary={boundary}"


CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


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
    """The PostgreSQL server's main process, when the database is a local PostgreSQL."""
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


def run_load(port: int, make_request, seconds: float, clients: int) -> dict:
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

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000

    return {"requests": len(latencies), "rps": len(latencies) / elapsed, "errors": errors[0],
            "p50": pct(0.50), "p95": pct(0.95), "p99": pct(0.99),
            "mean": statistics.mean(latencies) * 1000 if latencies else 0}


def main() -> None:
    data_dir = Path(os.environ.get("DICHVUCONG_DATA_DIR") or tempfile.mkdtemp())
    env = {**os.environ, "DICHVUCONG_MODE": "demo", "DICHVUCONG_DATA_DIR": str(data_dir),
           "DJANGO_SETTINGS_MODULE": "dichvucong.settings"}
    database = env.get("DATABASE_URL", "sqlite (embedded)")
    cli = [sys.executable, "-m", "dichvucong"]
    for command in (["migrate"], ["load_reference_data"], ["load_catalog"],
                    ["create_demo_accounts"], ["collectstatic", "--noinput"]):
        subprocess.run(cli + command + ["-v", "0"], env=env, check=True)
    port = free_port()
    workers = os.environ.get("BENCH_WORKERS", "3")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "dichvucong.wsgi:application", "-b",
         f"127.0.0.1:{port}", "-w", workers, "--threads", "4", "--log-level", "warning"],
        env=env)
    try:
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/dang-nhap/")
        response = conn.getresponse()
        page = response.read().decode()
        cookies = dict(re.findall(r"(csrftoken)=([^;]+)", response.getheader("Set-Cookie")))
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": "congdan",
                                       "password": "demo-dichvucong"})
        conn.request("POST", "/dang-nhap/", body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookies['csrftoken']}", "Referer": f"http://127.0.0.1:{port}/"})
        response = conn.getresponse()
        response.read()
        session = re.search(r"sessionid=([^;]+)", response.getheader("Set-Cookie")).group(1)
        agency = _commune_agency()
        cookie = f"csrftoken={cookies['csrftoken']}; sessionid={session}"
        attachment = pdf_of_size(200 * 1024)

        def submission():
            body, content_type = multipart(
                {"procedure": PROCEDURE, "agency": str(agency), "form": "{}",
                 "documents": "[0]"},
                [("files", "to-khai.pdf", attachment)])
            return ("POST", "/api/v1/dossiers", body,
                    {"Content-Type": content_type, "Cookie": cookie,
                     "X-CSRFToken": cookies["csrftoken"],
                     "Referer": f"http://127.0.0.1:{port}/"}, 201)

        def trivial():
            return ("GET", "/healthz/live", None, {}, 200)

        database_pid = postmaster_pid()
        # Warm both up (imports, caches, connections), then alternate short rounds of each, so
        # the load other programs put on a shared machine weighs on both alike.
        run_load(port, trivial, 2, CLIENTS)
        run_load(port, submission, 2, CLIENTS)
        names = {"trivial JSON view": trivial, "API submission, 200 KB PDF": submission}
        rounds: dict[str, list[dict]] = {name: [] for name in names}
        for _ in range(ROUNDS):
            for name, make in names.items():
                before = tree_cpu(server.pid), tree_cpu(database_pid)
                result = run_load(port, make, SECONDS / ROUNDS, CLIENTS)
                after = tree_cpu(server.pid), tree_cpu(database_pid)
                result["server_cpu"] = after[0] - before[0]
                result["database_cpu"] = after[1] - before[1]
                rounds[name].append(result)
        results = {name: _combine(runs) for name, runs in rounds.items()}
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"API submissions vs a trivial JSON view — gunicorn {workers} workers × 4 threads, "
          f"{CLIENTS} closed-loop clients, {SECONDS:.0f} s each in {ROUNDS} alternating rounds, "
          "database: "
          f"{'PostgreSQL' if database.startswith('postgres') else database}")
    print(f"{'endpoint':<28}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}"
          f"{'app CPU ms/req':>16}{'db CPU ms/req':>15}")
    for name, r in results.items():
        print(f"{name:<28}{r['rps']:>9.1f}{r['p50']:>9.1f}{r['p95']:>9.1f}{r['p99']:>9.1f}"
              f"{r['errors']:>8}{r['server_ms']:>16.2f}{r['database_ms']:>15.2f}")
    ratio = results["API submission, 200 KB PDF"]["rps"] / results["trivial JSON view"]["rps"]
    print(f"ratio submission/trivial: {ratio:.2f} (target ≥ 0.3)")
    # What each request costs the server and the database in CPU time: on a machine others
    # share, the rates move with their load; these costs much less.
    trivial_cost = results["trivial JSON view"]["server_ms"] + \
        results["trivial JSON view"]["database_ms"]
    submission_cost = results["API submission, 200 KB PDF"]["server_ms"] + \
        results["API submission, 200 KB PDF"]["database_ms"]
    if submission_cost:
        print(f"ratio of CPU cost per request, trivial/submission: "
              f"{trivial_cost / submission_cost:.2f}")


def _combine(runs: list[dict]) -> dict:
    """The rounds of one endpoint as one run: total rate, the rounds' median percentiles."""
    requests = sum(r["requests"] for r in runs)
    elapsed = sum(r["requests"] / r["rps"] for r in runs if r["rps"])
    middle = sorted(runs, key=lambda r: r["p50"])[len(runs) // 2]
    return {"requests": requests, "rps": requests / elapsed if elapsed else 0.0,
            "errors": sum(r["errors"] for r in runs),
            "p50": middle["p50"], "p95": middle["p95"], "p99": middle["p99"],
            "server_ms": 1000 * sum(r["server_cpu"] for r in runs) / max(requests, 1),
            "database_ms": 1000 * sum(r["database_cpu"] for r in runs) / max(requests, 1)}


def _commune_agency() -> int:
    """Hải Châu's People's Committee, found through the database the server uses."""
    os.environ.setdefault("DICHVUCONG_MODE", "demo")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dichvucong.settings")
    import django

    django.setup()
    from dichvucong.agencies.models import Agency

    return Agency.objects.get(name="Ủy ban nhân dân phường Hải Châu").pk


if __name__ == "__main__":
    main()
