"""Benchmark the open data portal: the refresh job, and CKAN API latencies (package_search,
package_show, datastore_search with filters and sort, the DCAT catalogue) beside a trivial JSON
view, in one process through Django's test client.

The monitoring centre's daily facts are filled synthetically (``--months`` × ``--agencies`` ×
``--procedures`` × 4 channels, one day a month) so that the statistics tables have a city's
size; the figures themselves still come from ``monitor.metrics``.

    ./run bench bench/bench_opendata.py        (PostgreSQL)
    DICHVUCONG_DATA_DIR=$(mktemp -d) DICHVUCONG_MODE=demo .venv/bin/python bench/bench_opendata.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time

import harness


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--agencies", type=int, default=30)
    parser.add_argument("--procedures", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args(argv)

    harness.setup_django()

    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from dichvucong.agencies.models import Agency
    from dichvucong.catalog.models import Procedure
    from dichvucong.monitor.models import ChannelBucket, DailyFact
    from dichvucong.opendata.models import Row
    from dichvucong.opendata.refresh import refresh_all

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("load_reference_data", verbosity=0)
    call_command("load_catalog", verbosity=0)

    rng = random.Random(7)
    agencies = list(Agency.objects.order_by("code")[:args.agencies])
    procedures = list(Procedure.objects.select_related("field").order_by("code")[
        :args.procedures])
    DailyFact.objects.all().delete()
    facts = []
    first = dt.date(2024, 1, 15)
    for m in range(args.months):
        day = dt.date(first.year + (first.month - 1 + m) // 12, (first.month - 1 + m) % 12 + 1,
                      15)
        for agency in agencies:
            for procedure in procedures:
                for channel in ChannelBucket.values:
                    received = rng.randint(0, 30)
                    resolved = rng.randint(0, received)
                    late = rng.randint(0, resolved // 10)
                    facts.append(DailyFact(
                        day=day, agency=agency, procedure=procedure, field=procedure.field,
                        channel=channel, received=received, resolved=resolved,
                        on_time=resolved - late, late=late, processing_days=resolved * 3))
    DailyFact.objects.bulk_create(facts, batch_size=2000)
    print(f"daily facts: {len(facts):,} ({args.months} months × {len(agencies)} agencies × "
          f"{len(procedures)} procedures × 4 channels); database: "
          f"{settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}")

    started = time.perf_counter()
    report = refresh_all()
    first_refresh = time.perf_counter() - started
    started = time.perf_counter()
    again = refresh_all()
    second_refresh = time.perf_counter() - started
    print(f"refresh: {report.datasets} datasets, {report.rows:,} rows in {first_refresh:.1f} s; "
          f"unchanged refresh {second_refresh:.1f} s ({again.tables_rewritten} tables rewritten)")

    client = Client()
    stats = client.get("/api/3/action/package_show?id=thong-ke-ho-so-theo-thang").json()
    resource = next(r for r in stats["result"]["resources"] if r["format"] == "CSV")
    total = Row.objects.filter(table__resources__id=resource["id"]).count()
    agency = agencies[len(agencies) // 2]

    cases = {
        "package_list": lambda: client.get("/api/3/action/package_list"),
        "package_search fq + facets": lambda: client.post(
            "/api/3/action/package_search", json.dumps({
                "fq": 'groups:thong-ke-dich-vu-cong tags:"thống kê"', "rows": 20,
                "facet.field": ["organization", "tags", "res_format"]}),
            content_type="application/json"),
        "package_show": lambda: client.get(
            "/api/3/action/package_show?id=danh-muc-thu-tuc-hanh-chinh"),
        f"datastore_search filters+sort ({total:,} rows)": lambda: client.post(
            "/api/3/action/datastore_search", json.dumps({
                "resource_id": resource["id"], "filters": {"agency_code": agency.code},
                "sort": "received desc", "limit": 100}), content_type="application/json"),
        "datastore_search q, offset 1000": lambda: client.get(
            "/api/3/action/datastore_search",
            {"resource_id": resource["id"], "q": "truc tuyen", "offset": 1000, "limit": 100}),
        "catalog.jsonld": lambda: client.get("/catalog.jsonld"),
        "dataset page": lambda: client.get("/du-lieu-mo/thong-ke-ho-so-theo-thang/?trang-theo-"
                                           "thang=50"),
        "list page with facets": lambda: client.get("/du-lieu-mo/?tags=thống kê"),
    }
    harness.beside_floor(cases, lambda: client.get(harness.FLOOR_URL),
                         rounds=5, calls=max(args.rounds // 5, 1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
