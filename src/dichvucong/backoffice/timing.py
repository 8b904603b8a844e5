"""Working time as officers read it ("Còn 1 ngày 2 giờ", "Còn 6 giờ", "Trễ hạn 35 phút") and
when the apology and new appointment (Mẫu 04) is due.

Plain rules, tested directly in tests/test_timing.py:

* Remaining time of at most one working day is shown in working hours and minutes: a dossier
  due today at 17:00, seen at 07:30, has "7 giờ 30 phút" left, not "1 ngày" (which reads as
  "due tomorrow"). Longer times are shown in working days, hours and minutes.
* Apology (Decree 118/2025/NĐ-CP, as Decree 61/2018 Art. 19 before it): for a dossier that will
  not be resolved by its due time, the agency sends the apology with the reason and a new
  appointment no later than one working day before the due date; one new appointment only.
  Whether a dossier "will be late" is the officials' judgement; the platform only knows
  - an overdue dossier without an apology: the apology is required (the banner says so);
  - a dossier behind its steps' schedule (a step not finished by its own deadline) with at most
    one working day left: at risk, the banner asks to send the apology if it cannot be done;
  - any other dossier being processed: on schedule, no banner; the form stays reachable for an
    official who knows it will be late.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import lru_cache

from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from dichvucong.workflow.deadlines import WorkingCalendar, remaining_working_minutes
from dichvucong.workflow.ledger import Hold

RECEPTION_LIMIT_MINUTES = 240  # an online dossier should be received within 4 working hours


def minutes_per_day(calendar: WorkingCalendar) -> int:
    return int(calendar.hours.minutes_per_day)


def duration(minutes: int, per_day: int) -> str:
    """``minutes`` of working time in working days, hours and minutes (absolute value); with
    ``per_day`` 0, in hours and minutes only."""
    return _duration(get_language(), abs(int(minutes)), per_day)


# Each of the back-office queue's twenty rows wrote its clock and its due time through three to
# four catalogue lookups (about 8 µs each, issue #19); the same few values recur from page to
# page, and the text depends on the language only.
@lru_cache(maxsize=4096)
def _duration(language: str | None, minutes: int, per_day: int) -> str:
    days, rest = divmod(minutes, per_day) if per_day else (0, minutes)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(ngettext("%(n)s ngày", "%(n)s ngày", days) % {"n": days})
    if hours:
        parts.append(ngettext("%(n)s giờ", "%(n)s giờ", hours) % {"n": hours})
    if mins or not parts:
        parts.append(ngettext("%(n)s phút", "%(n)s phút", mins) % {"n": mins})
    return " ".join(parts)


@dataclass(frozen=True)
class DueStatus:
    minutes: int  # working minutes left; negative when overdue
    late: bool
    text: str


def due_status(calendar: WorkingCalendar, now: datetime, due: datetime | None,
               paused_at: datetime | None = None) -> DueStatus | None:
    """How much working time is left until ``due``; while the clock is paused (waiting for a
    supplement), what was left at the pause."""
    if due is None:
        return None
    moment = paused_at or now
    left = remaining_working_minutes(calendar, moment, due)
    per_day = minutes_per_day(calendar)
    # Past the due time is late, also when no working time has passed since (17:30 after a
    # 17:00 due time is "Trễ hạn 0 phút", not "Còn 0 phút").
    if left < 0 or moment > due:
        return DueStatus(left, True,
                         _("Trễ hạn %(time)s") % {"time": duration(left, per_day)})
    text = _("Còn %(time)s") % {"time": remaining(left, per_day)}
    if paused_at is not None:
        text += " " + _("(tạm dừng tính thời gian)")
    return DueStatus(left, False, text)


def remaining(minutes: int, per_day: int) -> str:
    """Working time left: in hours and minutes when at most one working day is left."""
    return duration(minutes, 0 if abs(int(minutes)) <= per_day else per_day)


class ApologyNeed(StrEnum):
    none = "none"  # not being processed, no due time, or the apology was sent
    available = "available"  # on schedule: no banner, the form is there if needed
    at_risk = "at_risk"  # behind schedule with at most one working day left
    required = "required"  # overdue without an apology

    @property
    def banner(self) -> bool:
        return self in (ApologyNeed.at_risk, ApologyNeed.required)


def apology_need(calendar: WorkingCalendar, now: datetime, due: datetime | None, *,
                 processing: bool, sent: bool, behind_schedule: bool,
                 paused_at: datetime | None = None) -> ApologyNeed:
    """Whether the apology and new appointment (Mẫu 04) is required, advised or only offered
    (see the module docstring)."""
    if not processing or sent or due is None:
        return ApologyNeed.none
    moment = paused_at or now
    left = remaining_working_minutes(calendar, moment, due)
    if left < 0 or moment > due:
        return ApologyNeed.required
    if behind_schedule and left <= minutes_per_day(calendar):
        return ApologyNeed.at_risk
    return ApologyNeed.available


@dataclass(frozen=True)
class ReceptionClock:
    minutes: int  # working minutes since the online submission
    over: bool  # more than 4 working hours
    text: str


def reception_clock(calendar: WorkingCalendar, now: datetime,
                    submitted_at: datetime | None) -> ReceptionClock | None:
    if submitted_at is None:
        return None
    waited = max(calendar.working_minutes_between(submitted_at, now), 0)
    text = _waited(get_language(), waited, minutes_per_day(calendar))
    return ReceptionClock(waited, waited > RECEPTION_LIMIT_MINUTES, text)


@lru_cache(maxsize=4096)
def _waited(language: str | None, minutes: int, per_day: int) -> str:
    return _("Đã chờ %(time)s làm việc") % {"time": _duration(language, minutes, per_day)}


@dataclass(frozen=True)
class HoldLine:
    """One line of a clock ledger as people read it (the IOC drill-down, the control slip)."""

    agency: str
    step: str
    held: str
    allowed: str  # "" when the routing gives it no share
    over: bool


def hold_lines(holds: Iterable[Hold], per_day: int, names: dict[str, str]) -> list[HoldLine]:
    """``holds`` of a ledger (``workflow/ledger.py``) in working days, hours and minutes, each
    agency by its name in ``names`` (code → name)."""
    return [HoldLine(agency=names.get(h.agency, h.agency), step=h.step,
                     held=duration(h.minutes, per_day), over=h.over,
                     allowed=duration(h.allowed_minutes, per_day)
                     if h.allowed_minutes is not None else "")
            for h in holds]
