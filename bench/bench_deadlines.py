"""Deadline engine speed: due-time computations per second (mixed units) and the time of
``working_minutes_between`` over a one-year span. No database, a few seconds.

    .venv/bin/python bench/bench_deadlines.py
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import harness

harness.setup_django()

from dichvucong.workflow.deadlines import (  # noqa: E402
    TimeLimitSpec,
    WorkingCalendar,
    compute_due,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def _per_call(fn, args: list, repeat: int = 3) -> float:
    """Best of ``repeat`` passes over ``args``, in seconds per call."""
    timings, _ = harness.timed(lambda: [fn(*a) for a in args], repeat, warm=0)
    return min(timings.wall) / 1000 / len(args)


def main() -> None:
    started = time.perf_counter()
    calendar = WorkingCalendar.vietnam(range(2024, 2030))
    print(f"calendar (VN 2024-2029) built in {(time.perf_counter() - started) * 1e3:.1f} ms")

    rng = random.Random(766)
    base = datetime(2025, 1, 1, tzinfo=VN)
    limits = [
        TimeLimitSpec(Decimal(n), "working_days") for n in (1, 3, 5, 10, 15, 20, 30)
    ] + [
        TimeLimitSpec(Decimal("0.5"), "working_days"),
        TimeLimitSpec(Decimal("2.5"), "working_days"),
        TimeLimitSpec(Decimal(4), "hours"),
        TimeLimitSpec(Decimal(24), "hours"),
        TimeLimitSpec(Decimal(15), "days"),
        TimeLimitSpec(Decimal(30), "days"),
        TimeLimitSpec(Decimal(1), "months"),
        TimeLimitSpec(Decimal(3), "months"),
        TimeLimitSpec(Decimal(0), same_day=True, cutoff=datetime(2000, 1, 1, 15).time()),
    ]
    cases = [
        (calendar, base + timedelta(minutes=rng.randrange(3 * 365 * 1440)), rng.choice(limits))
        for _ in range(20_000)
    ]
    per_due = _per_call(compute_due, cases)
    print(f"compute_due, mixed units: {1 / per_due:,.0f} per second ({per_due * 1e6:.1f} µs each)")

    spans = [
        (base + timedelta(minutes=rng.randrange(365 * 1440)),) for _ in range(5_000)
    ]
    year_spans = [(a, a + timedelta(days=365)) for (a,) in spans]
    per_span = _per_call(calendar.working_minutes_between, year_spans)
    print(f"working_minutes_between over 1 year: {per_span * 1e6:.1f} µs")

    year_minutes = [(a, 250 * 450) for (a,) in spans]
    per_add = _per_call(calendar.add_working_minutes, year_minutes)
    print(f"add_working_minutes, 1 year of working time (250 days): {per_add * 1e6:.1f} µs")
    print(f"total {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
