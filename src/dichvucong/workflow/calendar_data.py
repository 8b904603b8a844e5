"""The working calendar's data beyond the `holidays` package, as plain Python (no Django).

* The days the government announced on top of the Labour Code's holidays (day swaps: a weekday
  off made up on a Saturday), each with the act that decided it, from ``data/announced_days.json``.
  They are seeded as city-wide calendar overrides (``seed_announced_days``), which
  administrators then maintain.
* The package's days without an act in force behind them (24/11 «Ngày Văn hóa Việt Nam»), which
  the calendar does not apply: an administrator adds them, with the act, once one is in force.
* ``year_calendar``: every day of a year that is not an ordinary weekday or weekend, with why,
  for the administrators' calendar page.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import holidays as holidays_pkg

_LOADING = threading.Lock()


@cache
def _vietnam_class() -> type:
    """The package's Vietnamese holidays class, loaded from its own module: ``holidays.countries``
    imports all of its ~200 countries (0.4 s in every process that builds a calendar, such as each
    run of ``scan_alerts``); Vietnam's module alone needs only the package's base classes. It is
    registered under its own name, so a later import of the whole package reuses it. The lock:
    the module is in ``sys.modules`` before it has run, and another of a web process's threads
    must not take the half-made module for a loaded one (a 500 on a busy first minute)."""
    name = "holidays.countries.vietnam"
    with _LOADING:
        return _load(name)


def _load(name: str) -> type:
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, Path(holidays_pkg.__file__).with_name("countries") / "vietnam.py")
        if spec is None or spec.loader is None:  # a package laid out otherwise: the slow path
            return type(holidays_pkg.country_holidays("VN", years=[]))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except Exception:
            del sys.modules[name]
            raise
    return sys.modules[name].Vietnam


def vietnam_holidays(years: Iterable[int], language: str | None = None
                     ) -> holidays_pkg.HolidayBase:
    """``holidays.country_holidays("VN", years=…, language=…)``, without loading every country."""
    return _vietnam_class()(years=list(years), language=language)


DATA = Path(__file__).parent / "data" / "announced_days.json"
LABOUR_CODE = "Bộ luật Lao động 2019, Điều 112 (ngày nghỉ lễ, Tết)"


@dataclass(frozen=True)
class AnnouncedDay:
    day: date
    is_working: bool
    reason: str
    legal_basis: str
    source: str
    verified: bool


@dataclass(frozen=True)
class NotApplied:
    month: int
    day: int
    name: str
    why: str
    source: str


@cache
def _data() -> dict[str, Any]:
    return json.loads(DATA.read_text(encoding="utf-8"))


def announced_days() -> tuple[AnnouncedDay, ...]:
    return tuple(
        AnnouncedDay(day=date.fromisoformat(row["day"]), is_working=row["is_working"],
                     reason=row["reason"], legal_basis=row["legal_basis"],
                     source=row["source"], verified=row["verified"])
        for row in _data()["days"])


def not_applied() -> tuple[NotApplied, ...]:
    result = []
    for row in _data()["not_applied"]:
        month, day = (int(part) for part in row["month_day"].split("-"))
        result.append(NotApplied(month, day, row["name"], row["why"], row["source"]))
    return tuple(result)


def is_not_applied(d: date) -> bool:
    return any((d.month, d.day) == (n.month, n.day) for n in not_applied())


def seed_announced_days(model: Any) -> int:
    """Create the announced days missing as city-wide overrides of ``model`` (CalendarOverride,
    or its historical model in a migration); a row already there for the day (an
    administrator's) is left as it is. Returns how many were created."""
    created = 0
    for entry in announced_days():
        _row, made = model.objects.get_or_create(
            day=entry.day, agency=None,
            defaults={"is_working": entry.is_working, "reason": entry.reason[:200],
                      "legal_basis": entry.legal_basis[:300], "source": entry.source[:300],
                      "verified": entry.verified})
        created += made
    return created


@dataclass(frozen=True)
class CalendarDay:
    day: date
    is_working: bool
    name: str
    legal_basis: str
    source: str
    verified: bool
    origin: str  # "law" (the holidays package), "override" (a row), "not_applied"
    override_id: int | None = None


@dataclass(frozen=True)
class OverrideRow(AnnouncedDay):
    """A day as an administrator's row holds it: an announced day's facts and the row's id."""

    id: int


def year_calendar(year: int, overrides: Iterable[OverrideRow],
                  weekend: frozenset[int] = frozenset({5, 6})) -> list[CalendarDay]:
    """The days of ``year`` that differ from an ordinary week, in order: the package's holidays
    (the law), the overrides (announced or an administrator's; they win), and the package's
    days not applied."""
    package = vietnam_holidays([year], language="vi")
    days: dict[date, CalendarDay] = {}
    for d, name in package.items():
        if is_not_applied(d):
            reason = next(n for n in not_applied() if (n.month, n.day) == (d.month, d.day))
            days[d] = CalendarDay(d, d.weekday() not in weekend, f"{name} — chưa áp dụng",
                                  reason.why, reason.source, False, "not_applied")
        else:
            days[d] = CalendarDay(d, False, name, LABOUR_CODE, "", True, "law")
    for d in getattr(package, "weekend_workdays", ()):
        if d.year == year:
            days[d] = CalendarDay(d, True, "Ngày làm bù (theo gói holidays)", LABOUR_CODE, "",
                                  False, "law")
    for row in overrides:
        if row.day.year == year:
            days[row.day] = CalendarDay(row.day, row.is_working, row.reason, row.legal_basis,
                                        row.source, row.verified, "override", row.id)
    return [days[d] for d in sorted(days)]


def year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year + 1, 1, 1) - timedelta(days=1)
