"""Every IOC page over HTTP, cold and warm, beside the floor, on the database as it is.

Starts gunicorn in production mode on the database ``DATABASE_URL`` names (as
``bench_mix.py`` does: demo data and ``BENCH_DOSSIERS`` of history first, if fewer), logs the
IOC operator in and requests each page of the monitoring centre: the city dashboard (this
month, this year, the whole history), an agency's dashboard, the drill-down lists (open,
overdue, received this year, resolved in a month two years back, and their second pages), the
alert list, the ward indicators, the assisted channels, an agency's report and the public
transparency page. «Cold» is the first request of that page in a server just started (its
processes' caches empty; for the database's too, restart PostgreSQL and drop the OS page cache
first: ``sync; echo 1 > /proc/sys/vm/drop_caches`` as root), «warm» the median of
``BENCH_RUNS`` more. The floor (``/healthz/live``) is timed
the same way in between, so a neighbour's load shows in it too.

    DATABASE_URL=postgres://… BENCH_DOSSIERS=1000000 .venv/bin/python bench/bench_ioc_pages.py
"""

from __future__ import annotations

import datetime as dt
import http.client
import os
import re
import statistics
import time
from html import unescape

import harness
from bench_mix import login, production_server

RUNS = int(os.environ.get("BENCH_RUNS", "5"))


def timed_get(port: int, path: str, headers: dict[str, str]) -> tuple[float, int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    started = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    conn.close()
    return elapsed, response.status, body.decode(errors="replace")


def main() -> None:
    harness.setup_django()
    from django.db.models import Count
    from django.utils import timezone

    from dichvucong.dossiers.models import Dossier
    from dichvucong.monitor.models import DossierFact

    load_before = os.getloadavg()
    with production_server() as served:
        port = served.port
        ioc = login(port, "ioc")
        agency = (DossierFact.objects.values("agency_id").order_by().annotate(n=Count("pk"))
                  .order_by("-n").values_list("agency_id", flat=True).first())
        field = (DossierFact.objects.values("field_id").order_by().annotate(n=Count("pk"))
                 .order_by("-n").values_list("field_id", flat=True).first())
        today = timezone.localdate()
        old = today.replace(year=today.year - 2, day=1)
        month_end = (old + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        pages = {
            "city, this month": "/giam-sat/",
            "city, this year": "/giam-sat/?period=year",
            "city, whole history": f"/giam-sat/?start={today.replace(year=today.year - 10)}"
                                   f"&end={today}",
            "an agency, this month": f"/giam-sat/co-quan/{agency}/",
            "a field, this year": f"/giam-sat/?period=year&field={field}",
            "overdue now": "/giam-sat/ho-so/?measure=overdue",
            "overdue now, an agency": f"/giam-sat/ho-so/?measure=overdue&agency={agency}",
            "open now": "/giam-sat/ho-so/?measure=open",
            "received this year": "/giam-sat/ho-so/?measure=received&period=year",
            "resolved, a month 2 years back": f"/giam-sat/ho-so/?measure=resolved&start={old}"
                                              f"&end={month_end}",
            "alerts": "/canh-bao/",
            "ward indicators": "/giam-sat/phuong-xa/",
            "assisted channels": "/giam-sat/kenh-ho-tro/",
            "report (xlsx)": f"/giam-sat/bao-cao/{agency}.xlsx",
            "transparency (public)": "/minh-bach/",
        }
        print(f"{'page':<34}{'cold ms':>9}{'warm ms':>9}{'floor ms':>10}{'× floor':>9}  status")
        for label, path in pages.items():
            headers = {} if path.startswith("/minh-bach/") else ioc
            floor = [timed_get(port, harness.FLOOR_URL, {})[0] for _ in range(3)]
            cold, status, body = timed_get(port, path, headers)
            warm = []
            for _ in range(RUNS):
                warm.append(timed_get(port, path, headers)[0])
                floor.append(timed_get(port, harness.FLOOR_URL, {})[0])
            floor_ms = statistics.median(floor)
            warm_ms = statistics.median(warm)
            print(f"{label:<34}{cold:>9.1f}{warm_ms:>9.1f}{floor_ms:>10.1f}"
                  f"{warm_ms / floor_ms:>9.1f}  {status}")
            following = re.search(r'href="([^"]+)" rel="next"', body)
            if following and "/ho-so/" in path:
                second = unescape(following.group(1))
                cold, status, _ = timed_get(port, second, headers)
                warm_ms = statistics.median(timed_get(port, second, headers)[0]
                                            for _ in range(RUNS))
                print(f"{'  … its next page':<34}{cold:>9.1f}{warm_ms:>9.1f}{floor_ms:>10.1f}"
                      f"{warm_ms / floor_ms:>9.1f}  {status}")
    load_after = os.getloadavg()
    print(f"\n{Dossier.objects.count():,} dossiers, {harness.database_name()}; "
          f"{os.cpu_count()} cores; load average {load_before[0]:.1f} before, "
          f"{load_after[0]:.1f} after (the machine may be shared)")


if __name__ == "__main__":
    main()
