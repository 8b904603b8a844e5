"""Citizen page weight and search latency, measured on the demo catalogue.

Prints, for the home page, a procedure page and a search results page, the bytes a phone
downloads on a first visit (the HTML and every stylesheet, script and image it links), raw and
compressed with gzip and brotli as the server sends them; then the latency of the search page
(full request: form, search, database, template) over the citizen queries of
tests/search_queries.py. Target: under 50 KB compressed per page, everything included.

    ./run bench        (or: DICHVUCONG_MODE=demo .venv/bin/python bench/bench_pages.py)
"""

from __future__ import annotations

import gzip
import re
import statistics
from pathlib import Path

import brotli
import harness

harness.setup_django()

from django.conf import settings  # noqa: E402
from django.contrib.staticfiles import finders  # noqa: E402
from django.test import Client  # noqa: E402

ASSET = re.compile(r'(?:href|src)="(/static/[^"]+)"')


def _static_bytes(url: str) -> bytes:
    path = url.removeprefix(settings.STATIC_URL)
    found = finders.find(path)
    if found is None:  # a hashed name from the manifest storage
        found = Path(settings.STATIC_ROOT) / path
    return Path(found).read_bytes()


def page_weight(client: Client, url: str) -> tuple[int, int, int, int]:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    html = response.content
    assets = sorted(set(ASSET.findall(html.decode())))
    bodies = [html] + [_static_bytes(asset) for asset in assets]
    raw = sum(len(body) for body in bodies)
    gz = sum(len(gzip.compress(body, compresslevel=6)) for body in bodies)
    br = sum(len(brotli.compress(body)) for body in bodies)
    return raw, gz, br, len(assets)


def main() -> None:
    harness.load_demo_data(static=True)
    client = Client()
    print("Page weight, first visit, everything included (target < 50 KB compressed)")
    print(f"{'page':<28}{'raw KB':>9}{'gzip KB':>9}{'brotli KB':>11}{'files':>7}")
    for label, url in [("home /", "/"), ("procedure /thu-tuc/3.000347/", "/thu-tuc/3.000347/"),
                       ("procedure /thu-tuc/1.001456/", "/thu-tuc/1.001456/"),
                       ("search ?q=khai sinh", "/thu-tuc/?q=khai+sinh")]:
        raw, gz, br, files = page_weight(client, url)
        print(f"{label:<28}{raw / 1024:>9.1f}{gz / 1024:>9.1f}{br / 1024:>11.1f}{files + 1:>7}")

    queries = [query for query, _ in harness.tests_module("search_queries").QUERIES]
    client.get("/thu-tuc/", {"q": "khai sinh"})  # builds the process's search index once
    searches = iter(queries * 1000)
    results = harness.beside_floor(
        {"search page": lambda: client.get("/thu-tuc/", {"q": next(searches)})},
        lambda: client.get(harness.FLOOR_URL), rounds=5, calls=len(queries),
        title=f"\nSearch page over the catalogue ({len(queries)} citizen queries × 5 rounds, "
              f"{harness.database_name()}), beside the trivial view:")
    timings = results["search page"].wall
    print(f"  search: mean {statistics.mean(timings):.1f} ms, median "
          f"{statistics.median(timings):.1f} ms, p95 {harness.percentile(timings, 0.95):.1f} ms, "
          f"max {max(timings):.1f} ms per request")


if __name__ == "__main__":
    main()
