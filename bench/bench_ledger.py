"""Clock ledger speed (workflow/ledger.py): ledgers per second for dossiers of a typical route
(reception, examination, two handovers, a supplement, approval: 8 marks) and one long route
(200 marks). No database, a few seconds.

    .venv/bin/python bench/bench_ledger.py
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import harness

harness.setup_django()

from dichvucong.workflow.deadlines import WorkingCalendar  # noqa: E402
from dichvucong.workflow.ledger import Mark, ledger  # noqa: E402

VN = ZoneInfo("Asia/Ho_Chi_Minh")
AGENCIES = ("HOME", "THUE", "TNMT", "CONG-AN")


def route(rng: random.Random, length: int) -> tuple[list[Mark], datetime]:
    at = datetime(2026, 3, 2, 8, tzinfo=VN) + timedelta(minutes=rng.randrange(60 * 24 * 200))
    marks = []
    for i in range(length):
        agency = "HOME" if i % 2 == 0 else rng.choice(AGENCIES)
        marks.append(Mark(at, agency, f"Bước {i % 4}", running=rng.random() > 0.15))
        at += timedelta(minutes=rng.randrange(30, 60 * 24 * 3))
    return marks, at


def main() -> None:
    calendar = WorkingCalendar.vietnam(range(2025, 2029))
    rng = random.Random(18)
    for length, count in ((8, 5000), (200, 200)):
        routes = [route(rng, length) for _ in range(count)]
        best = min(_timed(calendar, routes) for _ in range(3))
        print(f"{length:>4} marks: {count / best:,.0f} ledgers/s "
              f"({best / count * 1e6:.0f} µs each)")


def _timed(calendar: WorkingCalendar, routes) -> float:
    started = time.perf_counter()
    for marks, end in routes:
        ledger(calendar, marks, end)
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
