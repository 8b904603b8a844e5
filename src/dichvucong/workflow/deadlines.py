"""Deadline engine: due times of dossiers in the working time of the receiving agency.

Plain typed Python (no Django), so it can be used from models, tasks and the API alike.

Time model
    A calendar has a time zone (default Asia/Ho_Chi_Minh), weekend days, public holidays,
    administrator overrides and the working periods of a day (default 07:30-11:30 and
    13:30-17:00, i.e. 450 working minutes). Arguments are aware datetimes in any zone; they are
    converted to the calendar's zone and every result is aware in that zone. Arithmetic is done
    on the wall clock of that zone (Vietnam has no daylight saving time). Periods are half-open:
    11:30 and 17:00 are not working time, but a due time may be exactly the end of a period.

Working days
    A day is a working day if an administrator made it one (``working_days_override``, e.g. a
    substituted Saturday), else if it is neither a weekend day nor a holiday (an extra holiday on
    a weekday makes it non-working). Declaring the same day both ways is an error.

Semantics (every ``add_*`` method and :func:`compute_due` first normalise the start)
    * Reception: a dossier received outside working time counts as received at the start of the
      next working period (an online submission at 20:00 or on Saturday counts from the next
      working morning; one at lunch counts from 13:30).
    * Working minutes / hours (giờ): ``add_working_minutes(start, m)`` is the *earliest* instant
      at which ``m`` working minutes have elapsed, so a result that lands on a period boundary
      is the end of the period (11:30, 17:00), never the start of the next one. Hours become
      ``value * 60`` minutes rounded up to a whole minute.
    * Working days (ngày làm việc): N working days after reception is the same clock time N
      working days later (S1's ``TinhNgayHenTra``: 1 day = one full working day), so 07:30
      Monday + 1 day is 07:30 Tuesday. After normalisation the clock time is inside a period,
      and every working day has the same periods, so it always exists; if it did not (a start
      that skipped normalisation), it is clamped to the earliest instant of that day with the
      same elapsed working time (the end of the last period before it), which never gives the
      agency time the limit did not grant. A fraction adds that share of a full working day's
      minutes, rounded up to a whole minute, after the whole days. With 8-hour days this is S1's
      ``days = hours / 8, rest = hours % 8`` arithmetic.
    * Calendar days (ngày) and months: added to the normalised reception (months with the day
      clamped to the month's length: 31/01 + 1 month = 28/02); the period ends at the end of
      working hours of the day reached, or of the next working day when that day is a day off
      (Civil Code Art. 148: a period in days or months ends at the end of its last day, and one
      ending on a day off at the end of the next working day). Keeping the reception's clock
      time instead would make a longer limit end earlier (received Wednesday 10:00: 3 days ->
      Saturday -> Monday 17:00, but 5 days -> Monday 10:00), so the whole last day counts.
    * Cut-off (any limit, set per procedure): a dossier received (after normalisation) after the
      cut-off hour counts from the start of the next working day ("hồ sơ nhận sau 15 giờ được
      tính từ ngày làm việc tiếp theo"); at or before it, from its reception. A same-day
      procedure is due at the end of the day it counts from: the reception day, or the next
      working day after the cut-off.
    * A due time is never on a non-working day nor outside working hours (the end of a period
      is allowed).
    * Pauses (supplements): ``pause`` keeps the working time left at the pause and counts it
      again from the (normalised) resumption; ``restart`` counts the full limit again from the
      resumption. Implemented as moving the due time later by the working time between pause
      and resumption, so a pause over a weekend leaves the due time unchanged, and a dossier
      already overdue at the pause stays overdue by the same working time. A dossier not
      overdue at the pause is never due before the (normalised) resumption: with no time left,
      it is due at the resumption, not at the end of the day it was paused.
    * Step deadlines split the working time between reception and due by the steps' shares.

Minutes returned by :meth:`WorkingCalendar.working_minutes_between` are whole minutes rounded
down (towards the past), so a dossier overdue by 30 seconds has -1 minute left.
"""

from __future__ import annotations

import calendar as _calendar
import hashlib
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import Literal
from zoneinfo import ZoneInfo

from dichvucong.workflow.calendar_data import is_not_applied, vietnam_holidays

__all__ = [
    "DEFAULT_TZ",
    "Clock",
    "ResumeMode",
    "TimeLimitSpec",
    "Unit",
    "WorkingCalendar",
    "WorkingHours",
    "compute_due",
    "counting_start",
    "hours_until_due",
    "is_near_due",
    "remaining_working_minutes",
    "resume_due",
    "step_bounds",
    "step_deadlines",
]

DEFAULT_TZ = "Asia/Ho_Chi_Minh"
Unit = Literal["working_days", "days", "hours", "months"]
ResumeMode = Literal["pause", "restart"]
UNITS: tuple[str, ...] = ("working_days", "days", "hours", "months")

_US_PER_MINUTE = 60_000_000
_US_PER_DAY = 86_400_000_000


def _time_us(t: time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond


def _parse_time(text: str) -> time:
    hour, _, minute = text.strip().partition(":")
    return time(int(hour), int(minute or 0))


def _to_decimal(value: Decimal | int | float | str) -> Decimal:
    # str() first so that 0.1 (float) becomes Decimal("0.1"), not its binary expansion.
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _ceil_minutes(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_CEILING))


@dataclass(frozen=True)
class WorkingHours:
    """The working periods of a day, as ordered, non-overlapping ``(start, end)`` pairs."""

    periods: tuple[tuple[time, time], ...] = (
        (time(7, 30), time(11, 30)),
        (time(13, 30), time(17, 0)),
    )

    def __post_init__(self) -> None:
        periods = tuple((start, end) for start, end in self.periods)
        object.__setattr__(self, "periods", periods)
        if not periods:
            raise ValueError("working hours need at least one period")
        previous_end: time | None = None
        for start, end in periods:
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("working hours are wall-clock times without a time zone")
            if not start < end:
                raise ValueError(f"period {start}-{end} ends before it starts")
            if previous_end is not None and start < previous_end:
                raise ValueError(f"period {start}-{end} overlaps or is out of order")
            previous_end = end

    @classmethod
    def parse(cls, text: str) -> WorkingHours:
        """``"07:30-11:30, 13:30-17:00"`` -> WorkingHours (the form administrators type)."""
        periods = []
        for part in text.split(","):
            start, _, end = part.partition("-")
            periods.append((_parse_time(start), _parse_time(end)))
        return cls(tuple(periods))

    @property
    def minutes_per_day(self) -> Decimal:
        total = sum(_time_us(end) - _time_us(start) for start, end in self.periods)
        return Decimal(total) / _US_PER_MINUTE

    def __str__(self) -> str:
        return ", ".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in self.periods)


class WorkingCalendar:
    """Working days and hours of an agency; all arithmetic on working time lives here."""

    def __init__(
        self,
        holidays: Iterable[date] = (),
        working_days_override: Iterable[date] = (),
        weekend: frozenset[int] = frozenset({5, 6}),
        hours: WorkingHours | None = None,
        tz: str | tzinfo = DEFAULT_TZ,
    ) -> None:
        self.weekend = frozenset(weekend)
        if not self.weekend <= set(range(7)) or len(self.weekend) == 7:
            raise ValueError("weekend must be a proper subset of weekdays 0 (Mon) .. 6 (Sun)")
        self.hours = hours if hours is not None else WorkingHours()
        self.tz: tzinfo = ZoneInfo(tz) if isinstance(tz, str) else tz
        self.holidays = frozenset(_as_date(d) for d in holidays)
        self.working_days_override = frozenset(_as_date(d) for d in working_days_override)
        both = self.holidays & self.working_days_override
        if both:
            days = ", ".join(sorted(d.isoformat() for d in both))
            raise ValueError(f"days both holiday and working day: {days}")

        self._holiday_ords = frozenset(d.toordinal() for d in self.holidays)
        self._override_ords = frozenset(d.toordinal() for d in self.working_days_override)
        # Only holidays on would-be working days and overrides on weekend days change the count
        # of working days in a range; keep them sorted for bisecting.
        self._minus = sorted(o for o in self._holiday_ords if _weekday(o) not in self.weekend)
        self._plus = sorted(o for o in self._override_ords if _weekday(o) in self.weekend)
        self._per_week = 7 - len(self.weekend)

        # (start, end, cumulative working time before start, cumulative at end), microseconds.
        spans = []
        acc = 0
        for start, end in self.hours.periods:
            s, e = _time_us(start), _time_us(end)
            spans.append((s, e, acc, acc + e - s))
            acc += e - s
        self._spans: tuple[tuple[int, int, int, int], ...] = tuple(spans)
        self._day_us = acc

    @classmethod
    def vietnam(
        cls,
        years: int | Iterable[int],
        extra_holidays: Iterable[date] = (),
        extra_working_days: Iterable[date] = (),
        *,
        hours: WorkingHours | None = None,
        tz: str | tzinfo = DEFAULT_TZ,
    ) -> WorkingCalendar:
        """The `holidays` package's VN calendar for ``years`` plus administrator overrides.

        The package's substituted working Saturdays (``weekend_workdays``) become working days;
        its days without an act in force (``calendar_data.not_applied``: 24/11) are not applied.
        The government's announced day swaps come as overrides (``calendar_data``, seeded into
        the database and maintained by administrators).
        An administrator's extra holiday wins over a package working day and an extra working
        day wins over a package holiday. Load every year a due time can reach (the reception
        year and the next one): outside the loaded years only weekends are days off.
        """
        year_list = [years] if isinstance(years, int) else list(years)
        vn = vietnam_holidays(year_list)
        extra_off = {_as_date(d) for d in extra_holidays}
        extra_on = {_as_date(d) for d in extra_working_days}
        both = extra_off & extra_on
        if both:
            days = ", ".join(sorted(d.isoformat() for d in both))
            raise ValueError(f"days both extra holiday and extra working day: {days}")
        package_on = {d for d in getattr(vn, "weekend_workdays", ()) if d.year in year_list}
        # A package day with no act in force behind it (24/11) is the administrators' to add.
        package_off = {d for d in vn if not is_not_applied(d)}
        off = (package_off | extra_off) - extra_on
        on = (package_on | extra_on) - extra_off
        return cls(holidays=off, working_days_override=on, hours=hours, tz=tz)

    @cached_property
    def fingerprint(self) -> str:
        """A digest of everything this calendar's arithmetic depends on, equal in every process
        for equal calendars: what is computed on a calendar can be stored with it."""
        text = repr((sorted(self._holiday_ords), sorted(self._override_ords),
                     sorted(self.weekend), self.hours.periods, str(self.tz)))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    # -- days ---------------------------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        return self._is_working_ord(self._date_of(d).toordinal())

    def _is_working_ord(self, o: int) -> bool:
        if o in self._override_ords:
            return True
        return _weekday(o) not in self.weekend and o not in self._holiday_ords

    def _count_working_days(self, a: int, b: int) -> int:
        """Working days with ordinal in [a, b), without walking the days."""
        if b <= a:
            return 0
        full, rest = divmod(b - a, 7)
        count = full * self._per_week
        first = _weekday(a)
        count += sum(1 for i in range(rest) if (first + i) % 7 not in self.weekend)
        count -= bisect_left(self._minus, b) - bisect_left(self._minus, a)
        count += bisect_left(self._plus, b) - bisect_left(self._plus, a)
        return count

    def _nth_working_day_after(self, o: int, k: int) -> int:
        # Jumping `need` days passes at most `need` working days, so we never overshoot; when the
        # jump finds exactly `need` of them every day in it works, so its last day is the answer.
        # Each jump cuts `need` to about 2/7, so a year takes a handful of iterations.
        need = k
        while need > 0:
            found = self._count_working_days(o + 1, o + 1 + need)
            o += need
            need -= found
        return o

    def _nth_working_day_before(self, o: int, k: int) -> int:
        need = k
        while need > 0:
            found = self._count_working_days(o - need, o)
            o -= need
            need -= found
        return o

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        return date.fromordinal(self._nth_working_day_after(self._date_of(d).toordinal(), 1))

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in [a, b)."""
        return self._count_working_days(self._date_of(a).toordinal(), self._date_of(b).toordinal())

    def end_of_working_day(self, d: date) -> datetime:
        """End of ``d``'s last working period; for a day off, of the next working day."""
        o = self._date_of(d).toordinal()
        if not self._is_working_ord(o):
            o = self._nth_working_day_after(o, 1)
        return self._make(o, self._spans[-1][1])

    # -- instants -----------------------------------------------------------------------------

    def localize(self, dt: datetime) -> datetime:
        """``dt`` in the calendar's zone; naive datetimes are refused (their zone is a guess)."""
        if dt.tzinfo is None or dt.utcoffset() is None:
            raise ValueError("deadline arithmetic needs aware datetimes")
        return dt.astimezone(self.tz)

    def _split(self, dt: datetime) -> tuple[int, int]:
        local = self.localize(dt)
        t = ((local.hour * 60 + local.minute) * 60 + local.second) * 1_000_000 + local.microsecond
        return local.toordinal(), t

    def _make(self, o: int, us: int) -> datetime:
        d = date.fromordinal(o)
        naive = datetime(d.year, d.month, d.day) + timedelta(microseconds=us)
        return naive.replace(tzinfo=self.tz)

    def _date_of(self, d: date) -> date:
        return self.localize(d).date() if isinstance(d, datetime) else d

    def _position(self, t: int) -> int:
        """Working time of a working day elapsed at time-of-day ``t``."""
        for s, e, before, _after in self._spans:
            if t <= s:
                return before
            if t < e:
                return before + t - s
        return self._day_us

    def _earliest_at(self, o: int, position: int) -> datetime:
        # A position on a boundary is the end of the earlier period (see module docstring).
        for s, _e, before, after in self._spans:
            if position <= after:
                return self._make(o, s + position - before)
        return self._make(o, self._spans[-1][1])

    def _latest_at(self, o: int, position: int) -> datetime:
        for s, _e, before, after in self._spans:
            if position < after:
                return self._make(o, s + position - before)
        return self._make(o, self._spans[-1][1])

    def is_working_time(self, dt: datetime) -> bool:
        o, t = self._split(dt)
        if not self._is_working_ord(o):
            return False
        return any(s <= t < e for s, e, _b, _a in self._spans)

    def is_due_time(self, dt: datetime) -> bool:
        """Working time or exactly the end of a working period of a working day."""
        o, t = self._split(dt)
        if not self._is_working_ord(o):
            return False
        return any(s <= t <= e for s, e, _b, _a in self._spans)

    def next_working_moment(self, dt: datetime) -> datetime:
        """``dt`` itself if it is working time, else the start of the next working period."""
        o, t = self._split(dt)
        if self._is_working_ord(o):
            for s, e, _b, _a in self._spans:
                if t < s:
                    return self._make(o, s)
                if t < e:
                    return self.localize(dt)
        return self._make(self._nth_working_day_after(o, 1), self._spans[0][0])

    def _working_us_between(self, a: datetime, b: datetime) -> int:
        oa, ta = self._split(a)
        ob, tb = self._split(b)
        if (ob, tb) < (oa, ta):
            return -self._working_us_between(b, a)
        pa = self._position(ta) if self._is_working_ord(oa) else 0
        pb = self._position(tb) if self._is_working_ord(ob) else 0
        if oa == ob:
            return pb - pa
        start_day = self._day_us - pa if self._is_working_ord(oa) else 0
        return start_day + self._day_us * self._count_working_days(oa + 1, ob) + pb

    def working_us_between(self, a: datetime, b: datetime) -> int:
        """Working microseconds in [a, b); negative when b is before a. Exact, so the working
        time of adjoining intervals adds up to that of their union (the clock ledger)."""
        return self._working_us_between(a, b)

    def working_minutes_between(self, a: datetime, b: datetime) -> int:
        """Working minutes in [a, b); negative when b is before a; rounded down."""
        return self._working_us_between(a, b) // _US_PER_MINUTE

    def add_working_minutes(self, start: datetime, minutes: int) -> datetime:
        """The earliest instant at which ``minutes`` working minutes after ``start`` elapsed.

        ``0`` gives the normalised start. Negative minutes walk back to the latest instant with
        that much working time before ``start`` (used to keep an overdue dossier overdue).
        """
        if minutes < 0:
            return self._subtract_us(start, -int(minutes) * _US_PER_MINUTE)
        if minutes == 0:
            return self.next_working_moment(start)
        return self._add_us(start, int(minutes) * _US_PER_MINUTE)

    def _add_us(self, start: datetime, need: int) -> datetime:
        o, t = self._split(start)
        if self._is_working_ord(o):
            position = self._position(t)
            if need <= self._day_us - position:
                return self._earliest_at(o, position + need)
            need -= self._day_us - position
        days, last = divmod(need, self._day_us)
        if last == 0:
            # Exactly whole days: finish at the end of the last one, not the next morning.
            days, last = days - 1, self._day_us
        return self._earliest_at(self._nth_working_day_after(o, days + 1), last)

    def _subtract_us(self, start: datetime, need: int) -> datetime:
        o, t = self._split(start)
        if self._is_working_ord(o):
            position = self._position(t)
            if need <= position:
                return self._latest_at(o, position - need)
            need -= position
        days, last = divmod(need, self._day_us)
        if last == 0:
            days, last = days - 1, self._day_us
        return self._latest_at(self._nth_working_day_before(o, days + 1), self._day_us - last)

    def add_working_days(self, start: datetime, days: Decimal | int) -> datetime:
        """Same clock time ``int(days)`` working days later, then the fraction in minutes."""
        value = _to_decimal(days)
        if value < 0:
            raise ValueError("working days must not be negative")
        whole = int(value)
        begin = self.next_working_moment(start)
        if whole:
            o, t = self._split(begin)
            target = self._nth_working_day_after(o, whole)
            if any(s <= t < e for s, e, _b, _a in self._spans):
                result = self._make(target, t)
            else:
                # Unreachable after normalisation (every working day has the same periods);
                # kept so the invariant "due inside working hours" cannot break.
                result = self._earliest_at(target, self._position(t))
        else:
            result = begin
        fraction = value - whole
        if fraction:
            minutes = _ceil_minutes(fraction * Decimal(self._day_us) / _US_PER_MINUTE)
            result = self.add_working_minutes(result, minutes)
        return result

    def _settle_calendar_result(self, result: datetime) -> datetime:
        # The whole last day counts, and a day off defers to the next working day (Art. 148);
        # end_of_working_day does both. See the module docstring for why not the clock time.
        return self.end_of_working_day(result.date())

    def add_calendar_days(self, start: datetime, days: Decimal | int) -> datetime:
        """End of the working day ``days`` calendar days after the normalised start."""
        value = _to_decimal(days)
        if value < 0:
            raise ValueError("calendar days must not be negative")
        begin = self.next_working_moment(start)
        us = int((value * _US_PER_DAY).to_integral_value(rounding=ROUND_HALF_UP))
        naive = begin.replace(tzinfo=None) + timedelta(microseconds=us)
        return self._settle_calendar_result(naive.replace(tzinfo=self.tz))

    def add_calendar_months(self, start: datetime, months: int) -> datetime:
        """End of the working day ``months`` months after the normalised start (day clamped)."""
        if int(months) != months or months < 0:
            raise ValueError("months must be a whole, non-negative number")
        begin = self.next_working_moment(start)
        index = begin.year * 12 + begin.month - 1 + int(months)
        year, month = divmod(index, 12)
        day = min(begin.day, _calendar.monthrange(year, month + 1)[1])
        return self._settle_calendar_result(begin.replace(year=year, month=month + 1, day=day))


def _weekday(ordinal: int) -> int:
    # date.fromordinal(1) is Monday 0001-01-01.
    return (ordinal + 6) % 7


def _as_date(d: date) -> date:
    return d.date() if isinstance(d, datetime) else d


@dataclass(frozen=True)
class TimeLimitSpec:
    """A procedure's time limit for one channel, e.g. ``TimeLimitSpec(Decimal(5), "working_days")``.

    ``same_day`` procedures are due at the end of the reception day (``value`` and ``unit`` are
    then ignored); ``cutoff`` makes receptions after it count from the next working day, for
    any limit.
    """

    value: Decimal
    unit: Unit = "working_days"
    same_day: bool = False
    cutoff: time | None = None

    def __post_init__(self) -> None:
        value = _to_decimal(self.value)
        object.__setattr__(self, "value", value)
        if self.unit not in UNITS:
            raise ValueError(f"unknown time unit {self.unit!r}; expected one of {UNITS}")
        if value < 0:
            raise ValueError("a time limit must not be negative")
        if self.unit == "months" and value != int(value):
            raise ValueError("a limit in months must be a whole number")
        if self.cutoff is not None and self.cutoff.tzinfo is not None:
            raise ValueError("a cut-off is a wall-clock time without a time zone")


def counting_start(calendar: WorkingCalendar, received_at: datetime,
                   cutoff: time | None) -> datetime:
    """The moment the limit counts from: the normalised reception, or, received after the
    cut-off, the start of the next working day."""
    received = calendar.next_working_moment(received_at)
    if cutoff is not None and received.time() > cutoff:
        return calendar.next_working_moment(calendar.end_of_working_day(received.date()))
    return received


def compute_due(calendar: WorkingCalendar, received_at: datetime, limit: TimeLimitSpec) -> datetime:
    """The due time of a dossier received at ``received_at`` (see the module docstring)."""
    if limit.cutoff is not None:
        received_at = counting_start(calendar, received_at, limit.cutoff)
    if limit.same_day:
        return calendar.end_of_working_day(calendar.next_working_moment(received_at).date())
    if limit.unit == "working_days":
        return calendar.add_working_days(received_at, limit.value)
    if limit.unit == "hours":
        return calendar.add_working_minutes(received_at, _ceil_minutes(limit.value * 60))
    if limit.unit == "days":
        return calendar.add_calendar_days(received_at, limit.value)
    return calendar.add_calendar_months(received_at, int(limit.value))


def remaining_working_minutes(calendar: WorkingCalendar, now: datetime, due: datetime) -> int:
    """Working minutes left until ``due``; negative when overdue."""
    return calendar.working_minutes_between(now, due)


def resume_due(
    calendar: WorkingCalendar,
    due_at: datetime,
    paused_at: datetime,
    resumed_at: datetime,
    mode: ResumeMode,
    limit: TimeLimitSpec | None = None,
) -> datetime:
    """The new due time after a pause (e.g. waiting for a supplement) from paused to resumed.

    ``pause`` keeps the working time left at the pause (negative if already overdue) and counts
    it from the normalised resumption, i.e. the due time moves later by the working time between
    pause and resumption; ``restart`` computes the full ``limit`` from the resumption.
    """
    if resumed_at < paused_at:
        raise ValueError("a clock cannot resume before it was paused")
    if mode == "restart":
        if limit is None:
            raise ValueError("restarting the clock needs the time limit")
        return compute_due(calendar, resumed_at, limit)
    if mode != "pause":
        raise ValueError(f"unknown resume mode {mode!r}")
    # Shifting the due time by the working time the clock stood still leaves exactly the working
    # time left at the pause (negative if overdue) between the resumption and the new due time,
    # and keeps the due time as it was when the pause held no working time (e.g. a weekend).
    stopped = calendar._working_us_between(paused_at, resumed_at)
    due = calendar.localize(due_at) if stopped == 0 else calendar._add_us(due_at, stopped)
    if calendar._working_us_between(paused_at, due_at) >= 0:
        # Time was left (maybe none): the applicant's answer can never make the dossier late.
        # With nothing left the shift can keep the old due time (a pause that ended before the
        # next period began held no working time), so the due time is at least the resumption.
        due = max(due, calendar.next_working_moment(resumed_at))
    return due


def _step_shares(shares: Sequence[Decimal]) -> list[Decimal]:
    values = [_to_decimal(s) for s in shares]
    if not values:
        raise ValueError("at least one step is needed")
    if any(v < 0 for v in values):
        raise ValueError("step shares must not be negative")
    if abs(sum(values) - 1) > Decimal("1e-9"):
        raise ValueError(f"step shares must sum to 1, not {sum(values)}")
    return values


def step_bounds(
    calendar: WorkingCalendar,
    received_at: datetime,
    due_at: datetime,
    shares: Sequence[Decimal],
    index: int,
) -> tuple[datetime, datetime]:
    """(start, due time) of step ``index``: ``step_deadlines``'s due times of the steps
    ``index - 1`` and ``index`` (the first step starts at the next working moment from
    reception), computing only those two: the alert scan splits thousands of dossiers."""
    values = _step_shares(shares)
    begin = calendar.next_working_moment(received_at)
    due = calendar.localize(due_at)
    total = Decimal(max(calendar.working_minutes_between(begin, due_at), 0))

    def deadline(step: int) -> datetime:
        if step == len(values) - 1:
            return due
        cumulative = sum(values[:step + 1], Decimal(0))
        minutes = int((cumulative * total).to_integral_value(rounding=ROUND_HALF_UP))
        return min(calendar.add_working_minutes(begin, minutes), due)

    return (deadline(index - 1) if index else begin), deadline(index)


def step_deadlines(
    calendar: WorkingCalendar,
    received_at: datetime,
    due_at: datetime,
    shares: Sequence[Decimal],
) -> list[datetime]:
    """Each step's due time: reception + its cumulative share of the working time to ``due_at``.

    Offsets are rounded to whole minutes; the last step's due time is ``due_at`` itself.
    """
    values = _step_shares(shares)
    begin = calendar.next_working_moment(received_at)
    total = Decimal(max(calendar.working_minutes_between(begin, due_at), 0))
    result = []
    cumulative = Decimal(0)
    for share in values[:-1]:
        cumulative += share
        minutes = int((cumulative * total).to_integral_value(rounding=ROUND_HALF_UP))
        result.append(min(calendar.add_working_minutes(begin, minutes), calendar.localize(due_at)))
    result.append(calendar.localize(due_at))
    return result


def is_near_due(
    calendar: WorkingCalendar, now: datetime, due: datetime, threshold_minutes: int
) -> bool:
    """Not yet overdue and at most ``threshold_minutes`` working minutes left."""
    if now >= due:
        return False
    return calendar.working_minutes_between(now, due) <= threshold_minutes


def hours_until_due(
    calendar: WorkingCalendar, now: datetime, due: datetime, *, working: bool = True
) -> Decimal:
    """Hours until ``due`` (negative when overdue): working hours, or wall-clock hours."""
    if working:
        return Decimal(calendar._working_us_between(now, due)) / (_US_PER_MINUTE * 60)
    seconds = (calendar.localize(due) - calendar.localize(now)).total_seconds()
    return Decimal(str(seconds)) / 3600


@dataclass(frozen=True)
class Clock:
    """The processing clock of a dossier: immutable; ``pause``/``resume`` return new clocks."""

    calendar: WorkingCalendar = field(compare=False)
    limit: TimeLimitSpec
    received_at: datetime
    due_at: datetime
    paused_at: datetime | None = None

    @classmethod
    def start(
        cls, calendar: WorkingCalendar, received_at: datetime, limit: TimeLimitSpec
    ) -> Clock:
        due = compute_due(calendar, received_at, limit)
        return cls(calendar, limit, calendar.localize(received_at), due)

    @property
    def paused(self) -> bool:
        return self.paused_at is not None

    def pause(self, at: datetime) -> Clock:
        if self.paused_at is not None:
            raise ValueError("the clock is already paused")
        return Clock(self.calendar, self.limit, self.received_at, self.due_at, at)

    def resume(self, at: datetime, mode: ResumeMode = "pause") -> Clock:
        if self.paused_at is None:
            raise ValueError("the clock is not paused")
        due = resume_due(self.calendar, self.due_at, self.paused_at, at, mode, self.limit)
        return Clock(self.calendar, self.limit, self.received_at, due)

    def remaining_minutes(self, now: datetime) -> int:
        """Working minutes left; while paused, what was left at the pause."""
        moment = self.paused_at if self.paused_at is not None else now
        return remaining_working_minutes(self.calendar, moment, self.due_at)
