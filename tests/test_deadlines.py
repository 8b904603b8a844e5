"""Deadline engine (dichvucong.workflow.deadlines): hand-computed tables, properties, and a
brute-force minute-by-minute reference that the fast period/day arithmetic must agree with.

No database: run with ``pytest tests/test_deadlines.py -p no:django``.

Holiday facts used below, from the `holidays` package (0.108) VN calendar:
* Tết 2026: Mon 16/02 - Fri 20/02/2026 (Giao thừa .. Mùng bốn), with the weekends either side the
  civil service's nine days off, Sat 14/02 - Sun 22/02.
* Tết 2027: Thu 04/02 - Wed 10/02/2027 (Mùng một falls on Saturday 06/02; the Saturday and Sunday
  are observed on the 29th and on Mùng năm).
* Substituted days: 2025 works Sat 26/04 for Fri 02/05 off; 2026 works Sat 22/08 for Mon 31/08
  off (the package exposes them as ``weekend_workdays``).
"""

from __future__ import annotations

import math
import os
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

os.environ.setdefault("DICHVUCONG_MODE", "test")

from dichvucong.workflow.calendar_data import announced_days  # noqa: E402
from dichvucong.workflow.deadlines import (  # noqa: E402
    Clock,
    TimeLimitSpec,
    WorkingCalendar,
    WorkingHours,
    compute_due,
    hours_until_due,
    is_near_due,
    remaining_working_minutes,
    resume_due,
    step_deadlines,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
YEARS = range(2024, 2030)
# Administrator overrides in the test calendar: two extra days off around Tết 2027 made up on
# two Saturdays (illustrative, not announced), and New Year 2026's announced swap (Friday 02/01
# off, Saturday 10/01 worked: 12729/VPCP-KGVX of 25/12/2025).
EXTRA_OFF = {date(2027, 2, 3), date(2027, 2, 11), date(2026, 1, 2)}
EXTRA_ON = {date(2027, 2, 20), date(2027, 2, 27), date(2026, 1, 10)}
CAL = WorkingCalendar.vietnam(YEARS, extra_holidays=EXTRA_OFF, extra_working_days=EXTRA_ON)
PLAIN = WorkingCalendar.vietnam(YEARS)

D = Decimal


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN)


def wd(value: str | int) -> TimeLimitSpec:
    return TimeLimitSpec(D(value), "working_days")


# -- brute-force reference ---------------------------------------------------------------------
# Independent of the engine: the day rule is rebuilt from the package, and time is walked one
# minute at a time as an index of minutes since EPOCH (wall clock in Vietnam).

PKG = holidays.country_holidays("VN", years=list(YEARS))
EPOCH = datetime(2024, 1, 1)
WORK_MINUTES = frozenset(range(7 * 60 + 30, 11 * 60 + 30)) | frozenset(range(13 * 60 + 30, 17 * 60))
PERIOD_ENDS = (11 * 60 + 30, 17 * 60)


@cache
def ref_working_day(day_index: int) -> bool:
    d = EPOCH.date() + timedelta(days=day_index)
    if d in EXTRA_OFF:
        return False
    if d in EXTRA_ON or d in PKG.weekend_workdays:
        return True
    # 24/11 «Ngày Văn hóa Việt Nam»: in the package, but no act in force makes it a day off.
    return d.weekday() < 5 and (d not in PKG or (d.month, d.day) == (11, 24))


def ref_working_minute(i: int) -> bool:
    day, minute = divmod(i, 1440)
    return minute in WORK_MINUTES and ref_working_day(day)


def to_index(dt: datetime) -> int:
    local = dt.astimezone(VN).replace(tzinfo=None)
    assert local.second == 0 and local.microsecond == 0
    return int((local - EPOCH).total_seconds()) // 60


def from_index(i: int) -> datetime:
    return (EPOCH + timedelta(minutes=i)).replace(tzinfo=VN)


def ref_next_working(i: int) -> int:
    while not ref_working_minute(i):
        i += 1
    return i


def ref_add_minutes(i: int, minutes: int) -> int:
    if minutes == 0:
        return ref_next_working(i)
    if minutes < 0:
        count = 0
        while count < -minutes:
            i -= 1
            count += ref_working_minute(i)
        return i
    count = 0
    while count < minutes:
        count += ref_working_minute(i)
        i += 1
    return i


def ref_minutes_between(a: int, b: int) -> int:
    return sum(ref_working_minute(i) for i in range(a, b))


def ref_add_working_days(i: int, days: Decimal) -> int:
    i = ref_next_working(i)
    whole = int(days)
    day, minute = divmod(i, 1440)
    found = 0
    while found < whole:
        day += 1
        found += ref_working_day(day)
    i = day * 1440 + minute
    fraction = days - whole
    if fraction:
        i = ref_add_minutes(i, math.ceil(fraction * 450))
    return i


def ref_is_due_time(dt: datetime) -> bool:
    i = to_index(dt.replace(second=0, microsecond=0))
    day, minute = divmod(i, 1440)
    on_boundary = minute in PERIOD_ENDS and dt.second == 0 and dt.microsecond == 0
    return ref_working_day(day) and (minute in WORK_MINUTES or on_boundary)


# -- strategies ----------------------------------------------------------------------------------

def _minute_datetimes(lo: datetime, hi: datetime) -> st.SearchStrategy[datetime]:
    return st.integers(0, int((hi - lo).total_seconds()) // 60).map(
        lambda m: (lo + timedelta(minutes=m)).replace(tzinfo=VN)
    )


# Over-sample the Tết breaks and the substituted days, where bugs would hide.
minute_receptions = st.one_of(
    _minute_datetimes(datetime(2025, 1, 1), datetime(2027, 12, 31, 23, 59)),
    _minute_datetimes(datetime(2026, 1, 25), datetime(2026, 2, 25)),
    _minute_datetimes(datetime(2027, 1, 20), datetime(2027, 3, 1)),
    _minute_datetimes(datetime(2025, 4, 20), datetime(2025, 5, 6)),
    _minute_datetimes(datetime(2026, 8, 15), datetime(2026, 9, 5)),
    _minute_datetimes(datetime(2025, 12, 25), datetime(2026, 1, 12)),
)
# Any second, any zone: the engine converts to Vietnam time.
receptions = st.tuples(
    minute_receptions,
    st.integers(0, 59_999_999),
    st.sampled_from([VN, UTC, ZoneInfo("Europe/Paris"), ZoneInfo("America/New_York")]),
).map(lambda t: (t[0] + timedelta(microseconds=t[1])).astimezone(t[2]))

working_days_values = st.decimals(min_value=0, max_value=15, places=2)
limit_values = {
    "working_days": working_days_values,
    "hours": st.decimals(min_value=0, max_value=120, places=1),
    "days": st.decimals(min_value=0, max_value=60, places=1),
    "months": st.integers(0, 12).map(D),
}
cutoffs = st.sampled_from([None, time(12, 0), time(15, 0), time(16, 30)])
units = st.sampled_from(["working_days", "hours", "days", "months", "same_day"])


def make_limit(unit: str, value: Decimal, cutoff: time | None = None) -> TimeLimitSpec:
    if unit == "same_day":
        return TimeLimitSpec(D(0), "working_days", same_day=True, cutoff=cutoff)
    return TimeLimitSpec(value, unit, cutoff=cutoff)  # type: ignore[arg-type]


@st.composite
def limits(draw: st.DrawFn) -> TimeLimitSpec:
    unit = draw(units)
    value = draw(limit_values.get(unit, st.just(D(0))))
    return make_limit(unit, value, draw(cutoffs))


PROPERTY = settings(max_examples=300, deadline=None)
BRUTE = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- properties ------------------------------------------------------------------------------------

@PROPERTY
@given(received=receptions, limit=limits())
def test_due_is_on_a_working_day_inside_working_hours(received, limit):
    due = compute_due(CAL, received, limit)
    assert due.tzinfo == VN
    assert ref_is_due_time(due), (received, limit, due)
    assert CAL.is_due_time(due)
    assert due >= CAL.next_working_moment(received)


@PROPERTY
@given(received=receptions, unit=units, data=st.data())
def test_more_time_never_gives_an_earlier_due(received, unit, data):
    strategy = limit_values.get(unit, st.just(D(0)))
    small, large = sorted([data.draw(strategy), data.draw(strategy)])
    cutoff = data.draw(cutoffs)
    assert compute_due(CAL, received, make_limit(unit, small, cutoff)) <= compute_due(
        CAL, received, make_limit(unit, large, cutoff)
    )


@PROPERTY
@given(first=receptions, second=receptions, limit=limits())
def test_later_reception_never_gives_an_earlier_due(first, second, limit):
    early, late = sorted([first, second])
    assert compute_due(CAL, early, limit) <= compute_due(CAL, late, limit)


@PROPERTY
@given(received=receptions, minutes=st.integers(0, 450 * 40))
def test_working_minutes_between_inverts_add_working_minutes(received, minutes):
    due = CAL.add_working_minutes(received, minutes)
    assert CAL.working_minutes_between(CAL.next_working_moment(received), due) == minutes
    assert CAL.working_minutes_between(received, due) == minutes
    assert CAL.working_minutes_between(due, received) == -minutes
    if minutes:
        assert ref_is_due_time(due)
    back = CAL.add_working_minutes(received, -minutes)
    assert CAL.working_minutes_between(back, received) == minutes


@PROPERTY
@given(received=receptions, days=working_days_values)
def test_add_working_days_is_the_working_time_of_the_days(received, days):
    due = CAL.add_working_days(received, days)
    expected = int(days) * 450 + math.ceil((days - int(days)) * 450)
    assert CAL.working_minutes_between(received, due) == expected


@PROPERTY
@given(received=receptions, limit=limits(), shares=st.lists(st.integers(0, 10), min_size=1,
                                                            max_size=6))
def test_step_deadlines_are_ordered_and_end_at_the_due(received, limit, shares):
    if sum(shares) == 0:
        shares = [1, *shares[1:]]
    total = sum(shares)
    fractions = [D(s) / D(total) for s in shares]
    fractions[-1] = 1 - sum(fractions[:-1])  # exact sum of 1 despite the division
    due = compute_due(CAL, received, limit)
    steps = step_deadlines(CAL, received, due, fractions)
    assert len(steps) == len(shares)
    assert steps[-1] == due
    assert steps == sorted(steps)
    assert all(ref_is_due_time(s) or s == CAL.next_working_moment(received) for s in steps)


@PROPERTY
@given(received=minute_receptions, limit=limits(), pause_at=st.integers(0, 450 * 20),
       wait=st.integers(0, 60 * 24 * 30))
def test_pause_keeps_the_remaining_working_time(received, limit, pause_at, wait):
    due = compute_due(CAL, received, limit)
    paused = CAL.add_working_minutes(received, pause_at)
    resumed = paused + timedelta(minutes=wait)
    new_due = resume_due(CAL, due, paused, resumed, "pause")
    left = CAL.working_minutes_between(paused, due)
    assert CAL.working_minutes_between(CAL.next_working_moment(resumed), new_due) == left
    assert new_due >= due
    if CAL.working_minutes_between(paused, resumed) == 0 and due >= resumed:
        assert new_due == due
    else:
        assert ref_is_due_time(new_due)
    assert resume_due(CAL, due, paused, resumed, "restart", limit) == compute_due(
        CAL, resumed, limit
    )


@PROPERTY
@given(received=minute_receptions, limit=limits(), pause_at=st.integers(0, 450 * 20),
       wait=st.integers(0, 60 * 24 * 30))
def test_resumed_clock_is_never_due_before_the_resumption(received, limit, pause_at, wait):
    # Issue #14 item 19: a dossier with time left (maybe none) at the pause must not be
    # overdue, even for a moment, when the applicant answers.
    due = compute_due(CAL, received, limit)
    paused = CAL.add_working_minutes(received, pause_at)
    if paused > due:
        return  # overdue at the pause: stays overdue (test_pause_of_an_overdue_dossier...)
    resumed = paused + timedelta(minutes=wait)
    clock = Clock(CAL, limit, received, due).pause(paused).resume(resumed)
    assert clock.due_at >= resumed
    assert clock.due_at >= CAL.next_working_moment(resumed)
    assert ref_is_due_time(clock.due_at)
    assert CAL.is_due_time(clock.due_at)


# -- brute force ---------------------------------------------------------------------------------

@BRUTE
@given(received=minute_receptions, minutes=st.integers(-450 * 10, 450 * 15))
def test_add_working_minutes_matches_minute_by_minute_walk(received, minutes):
    expected = from_index(ref_add_minutes(to_index(received), minutes))
    assert CAL.add_working_minutes(received, minutes) == expected


@BRUTE
@given(a=minute_receptions, span=st.integers(0, 60 * 24 * 21))
def test_working_minutes_between_matches_minute_by_minute_count(a, span):
    b = a + timedelta(minutes=span)
    expected = ref_minutes_between(to_index(a), to_index(b))
    assert CAL.working_minutes_between(a, b) == expected
    assert CAL.working_minutes_between(b, a) == -expected


@BRUTE
@given(received=minute_receptions, days=working_days_values)
def test_add_working_days_matches_day_by_day_walk(received, days):
    expected = from_index(ref_add_working_days(to_index(received), days))
    assert CAL.add_working_days(received, days) == expected


@BRUTE
@given(moment=minute_receptions)
def test_next_working_moment_and_day_test_match_the_reference(moment):
    assert CAL.next_working_moment(moment) == from_index(ref_next_working(to_index(moment)))
    day_index = (moment.date() - EPOCH.date()).days
    assert CAL.is_working_day(moment.date()) == ref_working_day(day_index)
    assert CAL.is_working_time(moment) == ref_working_minute(to_index(moment))


# -- hand-computed tables --------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("received", "limit", "due"),
    [
        # Friday 16:30 + 1 working day -> Monday 16:30.
        (vn(2025, 3, 7, 16, 30), wd(1), vn(2025, 3, 10, 16, 30)),
        # Online on Saturday evening: counts from Monday 07:30, due Tuesday 07:30.
        (vn(2025, 3, 8, 20, 0), wd(1), vn(2025, 3, 11, 7, 30)),
        # 16:59 is inside working time; 17:01 counts from the next morning.
        (vn(2025, 3, 11, 16, 59), wd(1), vn(2025, 3, 12, 16, 59)),
        (vn(2025, 3, 11, 17, 1), wd(1), vn(2025, 3, 13, 7, 30)),
        # Lunch-time reception counts from 13:30.
        (vn(2025, 3, 11, 12, 15), wd(1), vn(2025, 3, 12, 13, 30)),
        (vn(2025, 3, 11, 12, 15), TimeLimitSpec(D(2), "hours"), vn(2025, 3, 11, 15, 30)),
        # 4 working hours from 15:00: 2 h today, 2 h tomorrow morning (07:30 + 2 h).
        (vn(2025, 3, 11, 15, 0), TimeLimitSpec(D(4), "hours"), vn(2025, 3, 12, 9, 30)),
        # Exactly a period's worth lands on its end, not on the next period's start.
        (vn(2025, 3, 11, 13, 30), TimeLimitSpec(D("3.5"), "hours"), vn(2025, 3, 11, 17, 0)),
        # Half a working day (225 min) from 08:00: 210 min to 11:30, 15 after 13:30.
        (vn(2025, 3, 11, 8, 0), wd("0.5"), vn(2025, 3, 11, 13, 45)),
        (vn(2025, 3, 11, 8, 0), wd("1.5"), vn(2025, 3, 12, 13, 45)),
        # Tết 2026 (Mon 16/02 - Fri 20/02 off): Fri 13/02 + 3 -> Mon 23, Tue 24, Wed 25.
        (vn(2026, 2, 13, 10, 0), wd(3), vn(2026, 2, 25, 10, 0)),
        (vn(2026, 2, 13, 10, 0), wd(1), vn(2026, 2, 23, 10, 0)),
        # Submitted online during Tết: counts from Monday 23/02 07:30.
        (vn(2026, 2, 17, 9, 0), wd(1), vn(2026, 2, 24, 7, 30)),
        # 30/04 - 02/05/2025 off (02/05 substituted by Saturday 26/04, a working day).
        (vn(2025, 4, 25, 10, 0), wd(1), vn(2025, 4, 26, 10, 0)),
        (vn(2025, 4, 25, 10, 0), wd(3), vn(2025, 4, 29, 10, 0)),
        (vn(2025, 4, 25, 10, 0), wd(4), vn(2025, 5, 5, 10, 0)),
        # Calendar days: Wed + 4 days = Sunday -> end of Monday; Saturday -> end of Monday too;
        # Monday itself -> end of Monday (the whole last day counts, Civil Code Art. 148).
        (vn(2025, 3, 12, 10, 0), TimeLimitSpec(D(4), "days"), vn(2025, 3, 17, 17, 0)),
        (vn(2025, 3, 12, 10, 0), TimeLimitSpec(D(3), "days"), vn(2025, 3, 17, 17, 0)),
        (vn(2025, 3, 12, 10, 0), TimeLimitSpec(D(5), "days"), vn(2025, 3, 17, 17, 0)),
        (vn(2025, 3, 12, 10, 0), TimeLimitSpec(D(6), "days"), vn(2025, 3, 18, 17, 0)),
        # Received Friday 17:30: counts from Monday, so 1 day -> end of Tuesday.
        (vn(2025, 3, 14, 17, 30), TimeLimitSpec(D(1), "days"), vn(2025, 3, 18, 17, 0)),
        # Ending on 30/04/2025: 30/04 - 04/05 are days off -> end of Monday 05/05.
        (vn(2025, 4, 23, 10, 0), TimeLimitSpec(D(7), "days"), vn(2025, 5, 5, 17, 0)),
        # Half a calendar day from 10:00 is 22:00 -> end of that day.
        (vn(2025, 3, 12, 10, 0), TimeLimitSpec(D("0.5"), "days"), vn(2025, 3, 12, 17, 0)),
        # Months: 31/01 + 1 month = 29/02/2024 (leap year), 31/10 + 1 = 30/11 (Sunday).
        (vn(2024, 1, 31, 10, 0), TimeLimitSpec(D(1), "months"), vn(2024, 2, 29, 17, 0)),
        (vn(2025, 10, 31, 10, 0), TimeLimitSpec(D(1), "months"), vn(2025, 12, 1, 17, 0)),
        # Received Fri 31/01/2025, a Tết day: counts from Mon 03/02 -> end of Mon 03/03.
        (vn(2025, 1, 31, 10, 0), TimeLimitSpec(D(1), "months"), vn(2025, 3, 3, 17, 0)),
        # 15/01/2026 + 1 month = 15/02/2026, a Sunday inside Tết -> end of Monday 23/02.
        (vn(2026, 1, 15, 10, 0), TimeLimitSpec(D(1), "months"), vn(2026, 2, 23, 17, 0)),
        # Same day, cut-off 15:00.
        (vn(2025, 3, 11, 14, 59), TimeLimitSpec(D(0), same_day=True, cutoff=time(15)),
         vn(2025, 3, 11, 17, 0)),
        (vn(2025, 3, 11, 15, 0), TimeLimitSpec(D(0), same_day=True, cutoff=time(15)),
         vn(2025, 3, 11, 17, 0)),
        (vn(2025, 3, 11, 15, 1), TimeLimitSpec(D(0), same_day=True, cutoff=time(15)),
         vn(2025, 3, 12, 17, 0)),
        (vn(2025, 3, 14, 15, 30), TimeLimitSpec(D(0), same_day=True, cutoff=time(15)),
         vn(2025, 3, 17, 17, 0)),
        # Saturday online: counts from Monday 07:30, before the cut-off.
        (vn(2025, 3, 15, 9, 0), TimeLimitSpec(D(0), same_day=True, cutoff=time(15)),
         vn(2025, 3, 17, 17, 0)),
        (vn(2025, 3, 11, 16, 0), TimeLimitSpec(D(0), same_day=True), vn(2025, 3, 11, 17, 0)),
        # Cut-off for a multi-day limit (issue #14 item 20, "hồ sơ nhận sau 15 giờ được tính
        # từ ngày làm việc tiếp theo"): after 15:00 the limit counts from 07:30 next day.
        (vn(2025, 3, 11, 15, 1), TimeLimitSpec(D(3), cutoff=time(15)), vn(2025, 3, 17, 7, 30)),
        (vn(2025, 3, 11, 15, 0), TimeLimitSpec(D(3), cutoff=time(15)), vn(2025, 3, 14, 15, 0)),
        (vn(2025, 3, 14, 16, 0), TimeLimitSpec(D(1), cutoff=time(15)), vn(2025, 3, 18, 7, 30)),
        # 8 h = 480 min from Wed 07:30: 450 on Wednesday, 30 on Thursday.
        (vn(2025, 3, 11, 16, 0), TimeLimitSpec(D(8), "hours", cutoff=time(15)),
         vn(2025, 3, 13, 8, 0)),
        (vn(2025, 3, 11, 16, 0), TimeLimitSpec(D(2), "days", cutoff=time(15)),
         vn(2025, 3, 14, 17, 0)),
        # Zero limit: the normalised reception.
        (vn(2025, 3, 11, 18, 0), wd(0), vn(2025, 3, 12, 7, 30)),
    ],
)
def test_due_table(received, limit, due):
    assert compute_due(PLAIN, received, limit) == due


def test_reception_normalisation():
    assert PLAIN.next_working_moment(vn(2025, 3, 8, 20, 0)) == vn(2025, 3, 10, 7, 30)
    assert PLAIN.next_working_moment(vn(2025, 3, 10, 6, 0)) == vn(2025, 3, 10, 7, 30)
    assert PLAIN.next_working_moment(vn(2025, 3, 10, 11, 30)) == vn(2025, 3, 10, 13, 30)
    assert PLAIN.next_working_moment(vn(2025, 3, 10, 16, 59)) == vn(2025, 3, 10, 16, 59)
    assert PLAIN.next_working_moment(vn(2025, 3, 10, 17, 0)) == vn(2025, 3, 11, 7, 30)


def test_other_time_zones_are_converted_and_naive_ones_refused():
    # 09:30 UTC on Friday is 16:30 in Vietnam.
    due = PLAIN.add_working_days(datetime(2025, 3, 7, 9, 30, tzinfo=UTC), 1)
    assert due == vn(2025, 3, 10, 16, 30)
    assert due.tzinfo == VN
    with pytest.raises(ValueError, match="aware"):
        PLAIN.add_working_days(datetime(2025, 3, 7, 9, 30), 1)


def test_pause_of_two_working_days():
    received, limit = vn(2025, 3, 10, 8, 0), wd(5)
    due = compute_due(PLAIN, received, limit)
    assert due == vn(2025, 3, 17, 8, 0)
    # Paused Wed 10:00 with 300 + 450 + 450 + 30 = 1230 working minutes left.
    paused, resumed = vn(2025, 3, 12, 10, 0), vn(2025, 3, 14, 10, 0)
    assert remaining_working_minutes(PLAIN, paused, due) == 1230
    assert resume_due(PLAIN, due, paused, resumed, "pause") == vn(2025, 3, 19, 8, 0)
    assert resume_due(PLAIN, due, paused, resumed, "restart", limit) == vn(2025, 3, 21, 10, 0)
    # Resumed on Saturday: counts from Monday 07:30; 1230 min -> Wed 15:00.
    assert resume_due(PLAIN, due, paused, vn(2025, 3, 15, 9, 0), "pause") == vn(
        2025, 3, 19, 15, 0
    )
    # A pause holding no working time (Friday evening to Sunday) changes nothing.
    assert resume_due(PLAIN, due, vn(2025, 3, 14, 18, 0), vn(2025, 3, 16, 9, 0), "pause") == due
    with pytest.raises(ValueError, match="limit"):
        resume_due(PLAIN, due, paused, resumed, "restart")


def test_supplement_answered_with_no_time_left_is_due_at_the_resumption():
    # Issue #14 item 19: due Mon 10/03/2025 17:00, paused at 17:00 with nothing left; the
    # answer at Tue 07:30 or Mon 20:00 held no working time, and the due time stayed Monday
    # 17:00, before the answer: the dossier showed as overdue.
    due = vn(2025, 3, 10, 17, 0)
    assert resume_due(PLAIN, due, due, vn(2025, 3, 11, 7, 30), "pause") == vn(2025, 3, 11, 7, 30)
    assert resume_due(PLAIN, due, due, vn(2025, 3, 10, 20, 0), "pause") == vn(2025, 3, 11, 7, 30)
    assert resume_due(PLAIN, due, due, vn(2025, 3, 11, 9, 0), "pause") == vn(2025, 3, 11, 9, 0)
    # Paused at lunch with 0 left (due 11:30), answered at 13:30: due 13:30, not 11:30.
    noon = vn(2025, 3, 11, 11, 30)
    assert resume_due(PLAIN, noon, noon, vn(2025, 3, 11, 13, 30), "pause") == vn(
        2025, 3, 11, 13, 30)


def test_pause_of_an_overdue_dossier_keeps_it_overdue():
    due = vn(2025, 3, 10, 16, 30)
    paused, resumed = vn(2025, 3, 11, 8, 0), vn(2025, 3, 13, 9, 0)
    assert remaining_working_minutes(PLAIN, paused, due) == -60
    new_due = resume_due(PLAIN, due, paused, resumed, "pause")
    assert new_due == vn(2025, 3, 13, 8, 0)
    assert remaining_working_minutes(PLAIN, resumed, new_due) == -60


def test_clock_pause_and_resume():
    clock = Clock.start(PLAIN, vn(2025, 3, 10, 8, 0), wd(5))
    assert clock.due_at == vn(2025, 3, 17, 8, 0)
    paused = clock.pause(vn(2025, 3, 12, 10, 0))
    assert paused.paused
    assert paused.remaining_minutes(vn(2025, 3, 20, 10, 0)) == 1230
    resumed = paused.resume(vn(2025, 3, 14, 10, 0))
    assert resumed.due_at == vn(2025, 3, 19, 8, 0)
    assert not resumed.paused
    assert paused.resume(vn(2025, 3, 14, 10, 0), "restart").due_at == vn(2025, 3, 21, 10, 0)
    with pytest.raises(ValueError):
        clock.resume(vn(2025, 3, 14, 10, 0))


def test_step_deadlines_split_the_working_time():
    received, due = vn(2025, 3, 10, 8, 0), vn(2025, 3, 24, 8, 0)  # 10 working days
    assert PLAIN.working_minutes_between(received, due) == 4500
    steps = step_deadlines(PLAIN, received, due, [D("0.3"), D("0.5"), D("0.2")])
    # 1350 min = 3 days -> Thu 13/03 08:00; 3600 min = 8 days -> Thu 20/03 08:00.
    assert steps == [vn(2025, 3, 13, 8, 0), vn(2025, 3, 20, 8, 0), due]
    with pytest.raises(ValueError, match="sum to 1"):
        step_deadlines(PLAIN, received, due, [D("0.3"), D("0.5")])


def test_administrator_overrides():
    # Saturday 15/03/2025 made a working day, Wednesday 19/03 a holiday.
    cal = WorkingCalendar.vietnam(
        2025, extra_holidays=[date(2025, 3, 19)], extra_working_days=[date(2025, 3, 15)]
    )
    assert cal.is_working_day(date(2025, 3, 15))
    assert not cal.is_working_day(date(2025, 3, 19))
    assert not cal.is_working_day(date(2025, 3, 16))
    friday = vn(2025, 3, 14, 10, 0)
    assert cal.add_working_days(friday, 1) == vn(2025, 3, 15, 10, 0)
    assert cal.add_working_days(friday, 3) == vn(2025, 3, 18, 10, 0)
    assert cal.add_working_days(friday, 4) == vn(2025, 3, 20, 10, 0)
    # Saturday reception counts at once; Wednesday's counts from Thursday.
    assert cal.next_working_moment(vn(2025, 3, 15, 9, 0)) == vn(2025, 3, 15, 9, 0)
    assert cal.next_working_moment(vn(2025, 3, 19, 9, 0)) == vn(2025, 3, 20, 7, 30)
    # A calendar deadline on the made-up Saturday stays there.
    assert cal.add_calendar_days(vn(2025, 3, 12, 10, 0), 3) == vn(2025, 3, 15, 17, 0)
    # An extra holiday wins over the package's substituted Saturday.
    cal2 = WorkingCalendar.vietnam(2025, extra_holidays=[date(2025, 4, 26)])
    assert not cal2.is_working_day(date(2025, 4, 26))
    with pytest.raises(ValueError, match="both"):
        WorkingCalendar.vietnam(2025, [date(2025, 3, 19)], [date(2025, 3, 19)])
    with pytest.raises(ValueError, match="both"):
        WorkingCalendar(holidays=[date(2025, 3, 19)], working_days_override=[date(2025, 3, 19)])


def test_vietnam_calendar_from_the_package():
    tet_2026 = [date(2026, 2, 16) + timedelta(days=i) for i in range(5)]
    assert all(d in PKG for d in tet_2026)
    assert not any(PLAIN.is_working_day(date(2026, 2, 14) + timedelta(days=i)) for i in range(9))
    assert PLAIN.is_working_day(date(2026, 2, 23))
    assert PLAIN.is_working_day(date(2025, 4, 26))  # substituted Saturday
    assert PLAIN.is_working_day(date(2026, 8, 22))  # substituted Saturday
    assert not PLAIN.is_working_day(date(2026, 8, 31))
    assert not PLAIN.is_working_day(date(2026, 4, 27))  # Hùng Kings (Sunday 26/04) observed
    # 2025: 261 weekdays - 12 weekday holidays + Saturday 26/04 = 250 working days.
    assert PLAIN.working_days_between(date(2025, 1, 1), date(2026, 1, 1)) == 250
    year = PLAIN.working_minutes_between(vn(2025, 1, 1, 0, 0), vn(2026, 1, 1, 0, 0))
    assert year == 250 * 450


def announced_calendar() -> WorkingCalendar:
    """The package's calendar with the announced days seeded from workflow/data, as
    dossiers.clock.calendar_for builds it from the seeded overrides."""
    days = announced_days()
    return WorkingCalendar.vietnam(
        YEARS, extra_holidays=[d.day for d in days if not d.is_working],
        extra_working_days=[d.day for d in days if d.is_working])


def test_new_year_2026_day_swap():
    # Issue #14 item 18. 12729/VPCP-KGVX (25/12/2025): off Thursday 01/01 to Sunday 04/01/2026,
    # Friday 02/01 swapped for Saturday 10/01, which is worked.
    cal = announced_calendar()
    assert not cal.is_working_day(date(2026, 1, 2))
    assert cal.is_working_day(date(2026, 1, 10))
    # Wednesday 31/12/2025 10:00 + 1 working day: Thu 01/01 (New Year), Fri 02/01 (swapped),
    # Sat 03/01 and Sun 04/01 are off -> Monday 05/01/2026 10:00 (the engine said Fri 02/01).
    assert compute_due(cal, vn(2025, 12, 31, 10, 0), wd(1)) == vn(2026, 1, 5, 10, 0)
    # Friday 09/01/2026 16:00 + 1 working day: the next working day is Saturday 10/01, same
    # clock time (the engine said Monday 12/01).
    assert compute_due(cal, vn(2026, 1, 9, 16, 0), wd(1)) == vn(2026, 1, 10, 16, 0)
    # 8 working hours (480 min) from Friday 16:00 with 07:30-11:30, 13:30-17:00: 60 min on
    # Friday, 240 on Saturday morning, 180 from 13:30 -> Saturday 10/01/2026 16:30.
    assert compute_due(cal, vn(2026, 1, 9, 16, 0), TimeLimitSpec(D(8), "hours")) == vn(
        2026, 1, 10, 16, 30)
    # Every announced day changes the calendar the way it says.
    for day in announced_days():
        assert cal.is_working_day(day.day) == day.is_working, day


def test_vietnam_cultural_day_is_not_applied_without_an_act():
    # 24/11 comes from the holidays package; no act in force makes it a day off (issue #14
    # item 18): a working day unless an administrator adds it.
    assert date(2026, 11, 24) in PKG
    assert PLAIN.is_working_day(date(2026, 11, 24))
    cal = WorkingCalendar.vietnam(2026, extra_holidays=[date(2026, 11, 24)])
    assert not cal.is_working_day(date(2026, 11, 24))


def test_end_of_working_day():
    assert PLAIN.end_of_working_day(date(2025, 3, 11)) == vn(2025, 3, 11, 17, 0)
    assert PLAIN.end_of_working_day(date(2025, 3, 15)) == vn(2025, 3, 17, 17, 0)
    assert PLAIN.end_of_working_day(date(2026, 2, 14)) == vn(2026, 2, 23, 17, 0)


def test_near_due_and_hours_until_due():
    due = vn(2025, 3, 11, 9, 0)
    now = vn(2025, 3, 10, 16, 0)  # 60 + 90 working minutes before
    assert remaining_working_minutes(PLAIN, now, due) == 150
    assert is_near_due(PLAIN, now, due, 150)
    assert not is_near_due(PLAIN, now, due, 149)
    assert not is_near_due(PLAIN, vn(2025, 3, 11, 9, 1), due, 600)  # overdue, not "near"
    assert hours_until_due(PLAIN, now, due) == D("2.5")
    assert hours_until_due(PLAIN, now, due, working=False) == D(17)
    assert remaining_working_minutes(PLAIN, vn(2025, 3, 11, 9, 0, 30), due) == -1


def test_eight_hour_days_match_s1_arithmetic():
    # S1's hours (07:00-11:30, 13:30-17:00): 1 day = 8 h, so 12 h = 1 day + 4 h.
    s1 = WorkingCalendar.vietnam(2025, hours=WorkingHours.parse("07:00-11:30, 13:30-17:00"))
    received = vn(2025, 3, 10, 9, 0)
    assert s1.hours.minutes_per_day == 480
    assert s1.add_working_days(received, D("1.5")) == s1.add_working_minutes(received, 12 * 60)
    assert s1.add_working_days(received, D("1.5")) == vn(2025, 3, 11, 15, 0)


def test_working_hours_validation():
    assert str(WorkingHours()) == "07:30-11:30, 13:30-17:00"
    assert WorkingHours().minutes_per_day == 450
    with pytest.raises(ValueError, match="overlaps"):
        WorkingHours(((time(8), time(12)), (time(11), time(17))))
    with pytest.raises(ValueError, match="ends before"):
        WorkingHours(((time(12), time(8)),))
    with pytest.raises(ValueError):
        WorkingHours(())
    with pytest.raises(ValueError):
        WorkingCalendar(weekend=frozenset(range(7)))


def test_limit_validation():
    with pytest.raises(ValueError, match="cut-off"):
        TimeLimitSpec(D(1), "working_days", cutoff=time(15, tzinfo=UTC))
    assert TimeLimitSpec(D(1), "working_days", cutoff=time(15)).cutoff == time(15)
    with pytest.raises(ValueError, match="whole"):
        TimeLimitSpec(D("1.5"), "months")
    with pytest.raises(ValueError, match="unit"):
        TimeLimitSpec(D(1), "weeks")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        TimeLimitSpec(D(-1), "days")
    assert TimeLimitSpec(3, "days").value == D(3)  # type: ignore[arg-type]


def test_a_calendar_loads_the_vietnamese_holidays_alone():
    # ``holidays.country_holidays`` imports all ~200 countries (0.4 s), which every run of the
    # ``scan_alerts`` command paid before its first deadline: a fresh process building a
    # calendar must not import them, and must get the package's days exactly.
    import subprocess
    import sys

    from dichvucong.workflow.calendar_data import vietnam_holidays

    code = ("import sys; from dichvucong.workflow.deadlines import WorkingCalendar; "
            "WorkingCalendar.vietnam(2026); print('holidays.countries' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert out.stdout.strip() == "False"
    ours = vietnam_holidays(YEARS)
    assert dict(ours) == dict(PKG)
    assert ours.weekend_workdays == PKG.weekend_workdays
    assert dict(vietnam_holidays([2026], language="vi")) == dict(
        holidays.country_holidays("VN", years=[2026], language="vi"))


def test_the_holidays_module_loaded_by_two_threads_at_once(monkeypatch):
    # A web process's threads build their first calendars together. The module is registered
    # before it has run, so a second thread could read the half-made one: ``AttributeError: …
    # has no attribute 'Vietnam'`` and a 500 on the back office's first requests after a start
    # (seen in the load kit). The first thread's load is held open until the second has tried.
    import importlib.util
    import sys
    import threading

    from dichvucong.workflow import calendar_data

    name = "holidays.countries.vietnam"
    real_spec = importlib.util.spec_from_file_location
    loading, second_done = threading.Event(), threading.Event()

    def held_spec(*args, **kwargs):
        spec = real_spec(*args, **kwargs)
        run = spec.loader.exec_module

        def held_run(module):
            loading.set()
            second_done.wait(0.5)  # the lock makes the second thread wait: 0.5 s, then go on
            run(module)

        spec.loader.exec_module = held_run
        return spec

    results: dict[str, object] = {}

    def call(key: str) -> None:
        try:
            results[key] = calendar_data._vietnam_class()
        except Exception as error:  # noqa: BLE001 — the failure is what is looked for
            results[key] = error

    def second() -> None:
        loading.wait(5)
        call("second")
        second_done.set()

    saved = sys.modules.pop(name)
    monkeypatch.setattr(importlib.util, "spec_from_file_location", held_spec)
    calendar_data._vietnam_class.cache_clear()
    try:
        threads = [threading.Thread(target=call, args=("first",)), threading.Thread(target=second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert isinstance(results["first"], type)
        assert results["second"] is results["first"], results["second"]
    finally:
        sys.modules[name] = saved
        calendar_data._vietnam_class.cache_clear()
