"""The monitoring centre at city scale: the city dashboard and the alert scan at 100 thousand,
1 million and 5 million dossiers on PostgreSQL (and up to 1 million on SQLite).

The history grows backwards at Đà Nẵng's pace (about 700,000 dossiers a year): the first
100,000 are the last weeks (with the dossiers still open, the alert scan's work), the next
900,000 the 1.3 years before, the last 4 million the 5.7 years before that — so a bigger
database is more years of history, as a city's grows. At each size: the time to generate
(rows per second), to rebuild the monitoring facts of the new days, then

* the city dashboard (the IOC operator's first page: this month), through Django's test client,
  warm: median of 7 requests; and, for information, the same page for this year and for the
  whole history generated so far;
* the alert scan: the first scan at that size (raising what is new, with its notifications),
  then the median of 5 repeated scans (the periodic job's steady state).

and the growth ratio of each from the smallest to the largest size. Targets
(docs/architecture.md «Performance targets», issue #8): at 5 million on PostgreSQL the dashboard
under 0.5 s and the scan under 5 s, each growing less than 3 times from 100 thousand.

    ./run bench bench/bench_ioc.py                    (starts PostgreSQL; then SQLite)
    BENCH_IOC_SIZES=100000,1000000 ./run bench bench/bench_ioc.py     (smaller sizes)
    BENCH_IOC_SQLITE=0 …                                               (PostgreSQL only)
    BENCH_IOC_SIZES=existing DATABASE_URL=… .venv/bin/python bench/bench_ioc.py
                                   (time the dashboard and the scan on a database as it is)
    BENCH_IOC_SIZES=first-scan DATABASE_URL=… .venv/bin/python bench/bench_ioc.py
                                   (a first scan on a database as it is: its alerts, their
                                    messages and the stored step splits deleted in a
                                    transaction rolled back after; BENCH_RUNS times, and
                                    BENCH_PROFILE=1 for cProfile's top functions)

Generating 5 million dossiers with their ~40 million events takes minutes.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta

import harness

harness.setup_django()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import NoReverseMatch, get_resolver, reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from dichvucong.accounts.models import User  # noqa: E402
from dichvucong.alerts.scan import scan  # noqa: E402
from dichvucong.devdata.history import generate  # noqa: E402

PER_YEAR = 700_000
SIZES_TEXT = os.environ.get("BENCH_IOC_SIZES", "100000,1000000,5000000")
EXISTING = SIZES_TEXT == "existing"
FIRST_SCAN = SIZES_TEXT == "first-scan"
SIZES = [] if EXISTING or FIRST_SCAN else [int(n) for n in SIZES_TEXT.split(",")]
SQLITE_MAX = 1_000_000
DASHBOARD_URLS = ("monitor:city", "monitor:dashboard", "monitor:home", "monitor:index")


def _median(fn, runs: int) -> float:
    """Median wall time of ``runs`` calls, in seconds."""
    return statistics.median(harness.timed(fn, runs, warm=0)[0].wall) / 1000


def _dashboard_url() -> str | None:
    for name in DASHBOARD_URLS:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None


def measure(client: Client, url: str | None, first_day=None
            ) -> tuple[float | None, object, float, dict[str, float]]:
    """The dashboard (median of 7 warm requests) for this month (the default), then for this
    year and for the whole history (informative: a longer period reads more daily facts);
    a first and repeated alert scans."""
    dashboard, periods = None, {}
    if url:
        queries = {"month": "", "year": "?period=year"}
        if first_day is not None:
            queries["all"] = f"?start={first_day}&end={timezone.localdate()}"
        for name, query in queries.items():
            response = client.get(url + query)  # warm: templates, caches, connections
            assert response.status_code == 200, response.status_code
            periods[name] = _median(lambda q=query: client.get(url + q), 7)
        dashboard = periods["month"]
        # The floor in the same process and moment: what any request costs here now.
        periods["floor"] = _median(lambda: client.get(harness.FLOOR_URL), 7)
    first = scan()
    steady = _median(scan, 5)
    print("   city dashboard: " + (", ".join(f"{name} {t * 1000:.0f} ms"
                                               for name, t in periods.items()) or "—")
          + (f" (month ÷ floor {dashboard / periods['floor']:.0f}×)" if dashboard else ""),
          flush=True)
    print(f"   alert scan: first {first.seconds:.2f} s ({first.found:,} causes, "
          f"{first.raised:,} raised, {first.notified:,} notifications); "
          f"repeated {steady:.2f} s", flush=True)
    return dashboard, first, steady, periods


def first_scans() -> None:
    """The first scan on the database as it is, as if no alert had ever been raised there: in a
    transaction rolled back after each run, so the database is left as it was."""
    import cProfile
    import io
    import pstats

    from django.db import transaction

    from dichvucong.alerts.models import Alert, StepSplit
    from dichvucong.notify.models import Notification

    class Undo(Exception):
        pass

    # The URLconf, imported once per process (1.5 s here): the worker that runs the periodic
    # scan has it from its first scan on; the first scan of a database is not the process's.
    get_resolver().url_patterns  # noqa: B018

    for run in range(int(os.environ.get("BENCH_RUNS", "3"))):
        profile = cProfile.Profile() if os.environ.get("BENCH_PROFILE") else None
        try:
            with transaction.atomic():
                Notification.objects.filter(dedupe_key__startswith="alert:").delete()
                Alert.objects.all().delete()
                StepSplit.objects.all().delete()
                if profile:
                    profile.enable()
                cpu = time.process_time()
                first = scan()
                cpu = time.process_time() - cpu
                if profile:
                    profile.disable()
                raise Undo
        except Undo:
            pass
        print(f"   first scan {run + 1}: {first.seconds:.2f} s, {cpu:.2f} s of this process's "
              f"CPU ({first.found:,} causes, "
              f"{first.raised:,} raised, {first.notified:,} notifications); load "
              f"{os.getloadavg()[0]:.1f}", flush=True)
        if profile:
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(30)
            print(out.getvalue())


def main() -> None:
    vendor = connection.vendor
    if FIRST_SCAN:
        first_scans()
        return
    if EXISTING:
        from dichvucong.dossiers.models import Dossier

        client = Client()
        client.force_login(User.objects.get(username="ioc"))
        print(f"== {vendor}: {Dossier.objects.count():,} dossiers as they are", flush=True)
        measure(client, _dashboard_url())
        return
    sizes = [n for n in SIZES if vendor == "postgresql" or n <= SQLITE_MAX]
    print(f"== {vendor}: sizes {', '.join(f'{n:,}' for n in sizes)}; "
          f"{os.cpu_count()} CPU cores (shared with other work)", flush=True)
    call_command("migrate", verbosity=0)
    call_command("load_reference_data", verbosity=0)
    call_command("load_catalog", verbosity=0)
    call_command("create_demo_accounts", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    client = Client()
    client.force_login(User.objects.get(username="ioc"))
    url = _dashboard_url()
    if url is None:
        print("   (no city dashboard URL yet: the monitor app has not landed; timing the scan)")

    today = timezone.localdate()
    era_start = today - timedelta(days=int(max(sizes) / PER_YEAR * 365.25) + 2)
    done, newest_end = 0, today - timedelta(days=1)
    rows = []
    for index, size in enumerate(sizes):
        count = size - done
        # This window: the days just before what is already there.
        days = max(int(count / PER_YEAR * 365.25), 1)
        end = newest_end
        start = end - timedelta(days=days - 1)
        stats = generate(count, start=start, end=end, era=(era_start, today), seed=index + 1)
        done += stats.dossiers
        newest_end = start - timedelta(days=1)
        print(f"-- {done:,} dossiers: +{stats.dossiers:,} ({start} … {end}), "
              f"{stats.events:,} events, {stats.ratings:,} ratings, {stats.open:,} open, in "
              f"{stats.seconds:.0f} s = {stats.rows_per_second:,.0f} rows/s"
              f"; monitoring facts of those days rebuilt in {stats.facts_seconds:.0f} s",
              flush=True)

        dashboard, first, steady, periods = measure(client, url, start)
        rows.append((done, dashboard, first.seconds, steady, periods))

    print(f"== {vendor} summary (median times)")
    print(f"   {'dossiers':>10} {'dashboard':>10} {'(year)':>8} {'(all)':>8} "
          f"{'first scan':>11} {'scan':>8}")

    def ms(value: float | None) -> str:
        return f"{value * 1000:.0f} ms" if value is not None else "—"

    for n, dashboard, first, steady, periods in rows:
        print(f"   {n:>10,} {ms(dashboard):>10} {ms(periods.get('year')):>8} "
              f"{ms(periods.get('all')):>8} {first:>9.2f} s {steady:>6.2f} s")
    if len(rows) > 1:
        (n0, d0, _f0, s0, _p0), (n1, d1, _f1, s1, _p1) = rows[0], rows[-1]
        growth = f"   growth {n0:,} → {n1:,}: scan {s1 / s0:.2f}×"
        if d0 and d1:
            growth += f", dashboard {d1 / d0:.2f}×"
        print(growth, flush=True)


if __name__ == "__main__":
    main()
    if (connection.vendor == "postgresql" and os.environ.get("BENCH_IOC_SQLITE", "1") != "0"
            and not os.environ.get("BENCH_IOC_CHILD") and not EXISTING and not FIRST_SCAN):
        # The same on the embedded default, in a fresh process and data folder.
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update(BENCH_IOC_CHILD="1",
                   DICHVUCONG_DATA_DIR=tempfile.mkdtemp(prefix="dichvucong-bench-sqlite-"))
        connection.close()
        subprocess.run([sys.executable, __file__], env=env, check=True)
