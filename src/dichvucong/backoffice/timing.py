"""Working time as officers read it: "Còn 1 ngày 2 giờ", "Trễ hạn 35 phút"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dichvucong.workflow.deadlines import WorkingCalendar, remaining_working_minutes

RECEPTION_LIMIT_MINUTES = 240  # an online dossier should be received within 4 working hours


def minutes_per_day(calendar: WorkingCalendar) -> int:
    return int(calendar.hours.minutes_per_day)


def duration(minutes: int, per_day: int) -> str:
    """``minutes`` of working time in working days, hours and minutes (absolute value)."""
    minutes = abs(int(minutes))
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
    near: bool  # overdue or due within one working day
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
    if left < 0:
        return DueStatus(left, True, True,
                         _("Trễ hạn %(time)s") % {"time": duration(left, per_day)})
    text = _("Còn %(time)s") % {"time": duration(left, per_day)}
    if paused_at is not None:
        text += " " + _("(tạm dừng tính thời gian)")
    return DueStatus(left, False, left <= per_day, text)


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
    text = _("Đã chờ %(time)s làm việc") % {"time": duration(waited, minutes_per_day(calendar))}
    return ReceptionClock(waited, waited > RECEPTION_LIMIT_MINUTES, text)
