"""Benchmark the catalogue search: index build time and query latency over the citizen
queries of tests/search_queries.py.

    .venv/bin/python bench/bench_search.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import statistics
import time

import harness


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="passes over the query table")
    parser.add_argument("--builds", type=int, default=5, help="index builds to time")
    args = parser.parse_args(argv)

    harness.setup_django(mode="test")
    from dichvucong.catalog.loaders import iter_popular_codes, read_catalogue
    from dichvucong.catalog.search import SearchDocument, SearchIndex

    started = time.perf_counter()
    catalogue = read_catalogue()
    popularity: dict[str, int] = {}
    for code, weight in iter_popular_codes():
        popularity[code] = max(popularity.get(code, 0), weight)
    documents = [
        SearchDocument(id=position, code=d.code, name=d.name, field=d.field, agency=d.agency,
                       keywords=tuple(d.keywords), popularity=popularity.get(d.code, 0))
        for position, d in enumerate(catalogue)
    ]
    load = time.perf_counter() - started

    builds = []
    for _ in range(args.builds):
        started = time.perf_counter()
        index = SearchIndex(documents)
        builds.append(time.perf_counter() - started)

    queries = harness.tests_module("search_queries").QUERIES
    timings = []
    found = 0
    for round_number in range(args.rounds):
        for query, wanted in queries:
            started = time.perf_counter()
            hits = index.search(query)
            timings.append(time.perf_counter() - started)
            if round_number == 0:
                top3 = {documents[hit.id].code for hit in hits[:3]}
                found += bool(top3 & set(wanted))

    ms = [t * 1000 for t in timings]
    print(f"documents        {len(documents)}")
    print(f"catalogue load   {load * 1000:8.1f} ms (not part of the index)")
    print(f"index build      {min(builds) * 1000:8.1f} ms min, "
          f"{statistics.mean(builds) * 1000:.1f} ms mean over {len(builds)}")
    print(f"queries          {len(queries)} x {args.rounds} rounds")
    print(f"query latency    {statistics.mean(ms):8.2f} ms mean, "
          f"{statistics.median(ms):.2f} median, {harness.percentile(ms, 0.95):.2f} p95, "
          f"{max(ms):.2f} max")
    print(f"intended in top3 {found}/{len(queries)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
