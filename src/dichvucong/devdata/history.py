"""Synthetic history: years of realistic dossiers and their events, written fast.

``generate(dossiers=N, years=Y, seed=S)`` fills the database with dossiers received by the
reference agencies (the city's departments and the 94 wards' committees and police) for the loaded
catalogue's procedures, and with the events of their lifecycle, so that the monitoring centre,
its dashboards and the alert scan have data of the size a city has after some years.

What makes it realistic:

* Procedures are drawn by their popularity (the catalogue's weight: civil status, land and
  business registration dominate); commune-level procedures go to one of the wards (some wards
  busier than others), province-level ones to their department.
* Seasonality: working days carry the counters (Mondays busiest, Fridays lighter), online
  submissions arrive any day and hour (less at night and at weekends); the month before Tết and
  December are busy, the Tết weeks nearly empty (the real holidays of the ``holidays`` calendar).
  The volume grows a little year on year.
* Channels: the online share rises from about 40 % to 85 % over the period (Đà Nẵng's path), for
  the procedures that can be done online; a few percent by post.
* Deadlines: the procedure version's own time limit for the channel, computed on the working
  calendar exactly as the deadline engine does (``workflow.deadlines``; a test checks samples
  against ``compute_due``). Most dossiers finish early; a small late share (falling from about
  4 % to 0.3 %, the IOC's trend) finishes after the due time, most of them with an apology and a
  new appointment (Mẫu 04). Some wait for a supplement (the clock pauses; the due time moves by
  the waiting time), a few are rejected at reception, refused, or withdrawn.
* Every dossier's events follow the lifecycle's transitions (``dossiers.lifecycle``), with the
  roles allowed to take them; the dossier's row is the state after its last event before now, so
  the dossiers filed in the last weeks are still open — the alert scan's work.
* Codes are ``<unit>-<yyMMdd>-<sequence>``, unique, the sequence restarting daily per unit.
* About 15 % of finished dossiers are rated (Circular 01/2018's nine indicators).
* Assisted channels (``assisted.py``): a register of community digital teams, post offices and
  service agents for every ward at Đà Nẵng's reported scale; 5 % to 9 % of a ward agency's
  online dossiers filed for the citizen by a member's account (channel ``agent``); account helps
  and weekend «ngày hội chuyển đổi số» each month.

It writes set-based: rows are built as text and streamed with PostgreSQL's COPY (psycopg), or
inserted with ``executemany`` in large transactions on SQLite; then the monitoring facts are
rebuilt. A range of days (``start``/``end``) can be generated at a time: the benchmark grows
the history backwards, older windows holding only finished dossiers.
"""

from __future__ import annotations

import bisect
import json
import math
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db import DatabaseError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from dichvucong.accounts.models import Membership, Role
from dichvucong.agencies.models import Agency
from dichvucong.catalog.models import Procedure
from dichvucong.devdata.assisted import Assisting
from dichvucong.dossiers import queuecounts
from dichvucong.dossiers.clock import time_limit
from dichvucong.dossiers.codes import CODE as DOSSIER_CODE
from dichvucong.dossiers.lifecycle import national_status
from dichvucong.dossiers.models import Dossier, DossierCodeSequence, DossierEvent
from dichvucong.monitor import facts
from dichvucong.payments import fees
from dichvucong.payments.models import DossierFee, Payment, PaymentEvent
from dichvucong.payments.services import REFERENCE_ALPHABET
from dichvucong.ratings.models import Rating
from dichvucong.results.models import ResultNumberSequence
from dichvucong.workflow.calendar_data import vietnam_holidays
from dichvucong.workflow.deadlines import TimeLimitSpec, WorkingCalendar
from dichvucong.workflow.models import CalendarOverride

# The default working periods, in minutes of the day (07:30-11:30, 13:30-17:00): 450 a day.
AM_START, AM_END, PM_START, PM_END = 450, 690, 810, 1020
DAY = 450
UTC_OFFSET = 7 * 60  # Vietnam: UTC+7, no daylight saving time
CHUNK = 100_000  # dossiers written at a time (with their ~800,000 events)

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi",
          "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Trương", "Đoàn", "Mai", "Tạ"]
MIDDLE = ["Văn", "Thị", "Hữu", "Minh", "Ngọc", "Thanh", "Quốc", "Đức", "Thu", "Kim", "Xuân"]
GIVEN = ["An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hòa", "Hùng",
         "Hương", "Khoa", "Lan", "Linh", "Long", "Mai", "Minh", "Nam", "Nga", "Nhung", "Phong",
         "Phúc", "Phương", "Quân", "Quang", "Sơn", "Tâm", "Thảo", "Thắng", "Trang", "Trung",
         "Tuấn", "Tú", "Vân", "Việt", "Yến"]
COMPANY = ["Công ty TNHH", "Công ty cổ phần", "Hộ kinh doanh"]


@dataclass
class Stats:
    dossiers: int = 0
    events: int = 0
    ratings: int = 0
    open: int = 0
    late: int = 0
    finished: int = 0
    payments: int = 0
    digital_results: int = 0
    other_rows: int = 0  # fees, payments and their audit trail; assisted channels' activity
    seconds: float = 0.0
    facts_seconds: float = 0.0

    @property
    def rows(self) -> int:
        return self.dossiers + self.events + self.ratings + self.other_rows

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


# --- working time, in integers ---------------------------------------------------------------


class IntegerWorkingTime:
    """Working-time arithmetic on integers: instants are (working-day index, minute of the day);
    the same semantics as ``workflow.deadlines`` (normalisation to the next working moment,
    earliest instant on period boundaries, same clock time N working days later, Art. 148 for
    calendar days and months) with the default working hours, fast enough for millions."""

    def __init__(self, calendar: WorkingCalendar, first: date, last: date) -> None:
        self.calendar = calendar
        o = first.toordinal()
        self.days: list[int] = []
        while o <= last.toordinal():
            if calendar.is_working_day(date.fromordinal(o)):
                self.days.append(o)
            o += 1
        self.first = first.toordinal()

    def index_on_or_after(self, ordinal: int) -> int:
        return bisect.bisect_left(self.days, ordinal)

    def normalise(self, ordinal: int, minute: int) -> tuple[int, int]:
        """The next working moment of a local instant (ordinal day, minute of the day)."""
        i = self.index_on_or_after(ordinal)
        if self.days[i] == ordinal:
            if minute < AM_START:
                return i, AM_START
            if minute < AM_END:
                return i, minute
            if minute < PM_START:
                return i, PM_START
            if minute < PM_END:
                return i, minute
            return i + 1, AM_START
        return i, AM_START

    @staticmethod
    def position(minute: int) -> int:
        if minute <= AM_START:
            return 0
        if minute < AM_END:
            return minute - AM_START
        if minute <= PM_START:
            return AM_END - AM_START
        if minute < PM_END:
            return minute - PM_START + AM_END - AM_START
        return DAY

    @staticmethod
    def earliest(position: int) -> int:
        """Minute of the day at a working position, a boundary being the earlier period's end."""
        if position <= AM_END - AM_START:
            return AM_START + position
        return PM_START + position - (AM_END - AM_START)

    def add_minutes(self, i: int, minute: int, need: int) -> tuple[int, int]:
        position = self.position(minute)
        if need <= DAY - position:
            return i, self.earliest(position + need)
        need -= DAY - position
        days, last = divmod(need, DAY)
        if last == 0:
            days, last = days - 1, DAY
        return i + days + 1, self.earliest(last)

    def end_of_working_day(self, ordinal: int) -> tuple[int, int]:
        return self.index_on_or_after(ordinal), PM_END

    def due(self, i: int, minute: int, limit: TimeLimitSpec) -> tuple[int, int]:
        """The due time of a dossier received at (normalised) working day ``i``, ``minute``."""
        if limit.same_day:
            if limit.cutoff is not None and minute > limit.cutoff.hour * 60 + limit.cutoff.minute:
                return i + 1, PM_END
            return i, PM_END
        value = limit.value
        if limit.unit == "working_days":
            whole = int(value)
            result = (i + whole, minute)
            fraction = value - whole
            if fraction:
                extra = math.ceil(fraction * DAY)
                result = self.add_minutes(*result, extra)
            return result
        if limit.unit == "hours":
            return self.add_minutes(i, minute, math.ceil(value * 60))
        ordinal = self.days[i]
        if limit.unit == "days":
            stamp = ordinal * 1440 + minute + int(
                (value * 1440).to_integral_value())
            return self.end_of_working_day(stamp // 1440)
        day = date.fromordinal(ordinal)
        index = day.year * 12 + day.month - 1 + int(value)
        year, month = divmod(index, 12)
        for clamp in range(day.day, 27, -1) if day.day > 28 else (day.day,):
            try:
                target = date(year, month + 1, clamp)
                break
            except ValueError:
                continue
        return self.end_of_working_day(target.toordinal())

    def working(self, i: int, minute: int) -> int:
        """A working instant as working minutes since the first day."""
        return i * DAY + self.position(minute)

    def at(self, w: int) -> tuple[int, int]:
        """Working minutes since the first day -> (index, minute); never a period's end."""
        i, position = divmod(w, DAY)
        return i, (AM_START + position if position < AM_END - AM_START
                   else PM_START + position - (AM_END - AM_START))

    def local(self, i: int, minute: int) -> int:
        """(index, minute) -> local minutes since 0001-01-01."""
        return self.days[i] * 1440 + minute


# --- the timeline of one dossier -------------------------------------------------------------


@dataclass
class Plan:
    """A procedure as the generator uses it."""

    id: int
    version_id: int
    agencies: list[int]
    agency_weights: list[float] | None  # cumulative
    online: bool
    limit_online: TimeLimitSpec | None
    limit_counter: TimeLimitSpec | None
    fee_rows: list  # the procedure's fee rows (catalog.definition.Fee)
    fee_bounds: list[date]  # the days the rows in force change (a row or a reduction starts/ends)
    fee_due: str  # payments.fees.Due: when the fee is asked for
    quotes: dict[tuple[bool, int], tuple[int, dict]] = field(default_factory=dict)

    def fee(self, online: bool, day: date) -> tuple[int, dict]:
        """(amount owed, the quote as payments keeps it) for a dossier of ``day``: the rows in
        force that day, as ``payments.services.quote_for`` gives them, computed once per span of
        days over which the rows do not change."""
        key = (online, bisect.bisect_right(self.fee_bounds, day))
        if key not in self.quotes:
            quote = fees.quote(self.fee_rows, fees.Applicant(online=online, submitted_on=day))
            self.quotes[key] = (quote.total, quote.to_json())
        return self.quotes[key]


@dataclass
class Dossier_:
    """The row of one generated dossier (local minutes for instants)."""

    id: int
    plan: Plan
    agency: int
    channel: str
    submitted: int  # local minutes
    state: str = "submitted"
    received: int | None = None
    due: int | None = None
    original_due: int | None = None
    paused: int | None = None
    finished: int | None = None
    assignee: int | None = None
    late: bool = False
    apology_due: int | None = None
    cash_at_return: bool = False  # the fee is paid in cash when the result is collected
    events: list[tuple[str, str, str, str, int, dict | None]] = field(default_factory=list)


def _quote(d: Dossier_) -> tuple[int, dict]:
    """The dossier's fee and quote, on the day it was submitted online or received at the
    counter (as ``payments.services.quote_for`` takes it)."""
    at = d.submitted if d.channel == "online" or d.received is None else d.received
    return d.plan.fee(d.channel == "online", date.fromordinal(at // 1440))


def _late_rate(progress: float) -> float:
    # From about 4 % to 0.3 % (the IOC's 3.6 % → 0.1 %, with some slack).
    return 0.04 * (1 - progress) + 0.003 * progress


def _online_share(progress: float) -> float:
    return 0.40 + 0.45 * progress


def _online_payment_share(progress: float) -> float:
    # Fees of online dossiers paid online: from about a third to 80 % (the city's target is 60 %).
    return 0.35 + 0.45 * progress


def _counter_transfer_share(progress: float) -> float:
    # At the counter, a growing share pays by scanning the VietQR code instead of in cash.
    return 0.05 + 0.25 * progress


def _digital_result_share(progress: float) -> float:
    # Results issued as signed electronic documents: from a quarter to 95 %.
    return 0.25 + 0.70 * progress


# Events that record something without moving the dossier: they carry the state it is in.
STATELESS = ("apology", "fee_requested", "payment_confirmed")
ENDED_EARLY = ("withdrawn", "rejected", "refused")


class Generator:
    def __init__(self, *, seed: int, start: date, end: date, now: datetime,
                 calendar: WorkingCalendar, era: tuple[date, date] | None = None) -> None:
        self.rng = random.Random(seed)
        self.start, self.end = start, end
        # The whole history's span, for the trends (growth, online share, late share), when
        # it is written in several windows.
        self.era = era or (start, end)
        self.now_local = _local_minutes(now)
        self.clock = IntegerWorkingTime(calendar, start - timedelta(days=3),
                                        end + timedelta(days=6000))
        self.plans, self.weights = self._plans()
        self.specialists = self._specialists()

    # -- reference data --

    def _plans(self) -> tuple[list[Plan], list[float]]:
        communes: dict[str, list[int]] = {}
        for pk, kind in Agency.objects.filter(level=Agency.Level.COMMUNE, is_active=True
                                              ).order_by("code").values_list("pk", "kind"):
            communes.setdefault(kind, []).append(pk)
        busy = {kind: list(_accumulate([self.rng.lognormvariate(0, 0.6) for _ in ids]))
                for kind, ids in communes.items()}  # cumulative weights: some wards busier
        plans, weights = [], []
        rows = (Procedure.objects.filter(is_active=True, current_version__isnull=False)
                .select_related("current_version").order_by("code"))
        for procedure in rows:
            definition = procedure.current_version.parsed()
            if procedure.at_province and procedure.agency_id:
                agencies, agency_weights = [procedure.agency_id], None
            else:
                kind = procedure.commune_agency_kind or Agency.Kind.COMMUNE_COMMITTEE
                agencies, agency_weights = communes.get(kind, []), busy.get(kind)
            if not agencies:
                continue
            bounds = sorted({bound for row in definition.fees for bound in (
                row.valid_from, row.online_valid_from,
                row.valid_until and row.valid_until + timedelta(days=1),
                row.online_valid_until and row.online_valid_until + timedelta(days=1))
                if bound is not None})
            plans.append(Plan(
                id=procedure.pk, version_id=procedure.current_version_id, agencies=agencies,
                agency_weights=agency_weights, online=procedure.online_mode != "none",
                limit_online=time_limit(definition, "online"),
                limit_counter=time_limit(definition, "in_person"),
                fee_rows=definition.fees, fee_bounds=bounds,
                fee_due=fees.quote(definition.fees, fees.Applicant(
                    online=True, submitted_on=timezone.localdate())).due.value))
            weights.append(procedure.popularity + 1)
        if not plans:
            raise RuntimeError("Chưa có thủ tục và cơ quan: chạy load_reference_data và "
                               "load_catalog trước.")
        return plans, weights

    def _specialists(self) -> dict[int, list[int]]:
        found: dict[int, list[int]] = {}
        for agency, user in Membership.objects.filter(role=Role.SPECIALIST).values_list(
                "agency_id", "user_id"):
            found.setdefault(agency, []).append(user)
        return found

    # -- volume by day --

    def day_weights(self) -> list[tuple[date, float, float]]:
        """(day, weight of counter work, weight of online submissions) for each day."""
        result = []
        span = max((self.era[1] - self.era[0]).days, 1)
        tet = _tet_days(self.clock.calendar, self.start, self.end)
        day = self.start
        while day <= self.end:
            progress = (day - self.era[0]).days / span
            trend = 0.85 + 0.3 * progress
            month = {1: 1.1, 2: 0.8, 3: 1.05, 6: 1.0, 7: 0.95, 8: 1.0, 12: 1.15}.get(day.month, 1.0)
            before_tet = any(0 < (t - day).days <= 21 for t in tet)
            after_tet = any(0 <= (day - t).days <= 7 for t in tet)
            season = month * (1.35 if before_tet else 1.0) * (0.5 if after_tet else 1.0)
            working = self.clock.calendar.is_working_day(day)
            weekday = (1.25, 1.05, 1.0, 1.0, 0.85, 0.25, 0.15)[day.weekday()]
            counter = trend * season * (weekday if working else 0.0)
            online = trend * season * (weekday if working else 0.3)
            result.append((day, counter, online))
            day += timedelta(days=1)
        return result

    def dossiers(self, count: int, first_id: int) -> Iterator[Dossier_]:
        days = self.day_weights()
        total = sum(c + o for _d, c, o in days) or 1.0
        cumulative = list(_accumulate(self.weights))
        # On a day off only online submissions come in: a counter dossier drawn for it would be
        # received after the day (even after now, leaving it without events and the history a
        # dossier short).
        online_only = list(_accumulate([w if plan.online else 0.0
                                        for plan, w in zip(self.plans, self.weights,
                                                           strict=True)]))
        span = max((self.era[1] - self.era[0]).days, 1)
        made = 0
        carry = 0.0
        next_id = first_id
        for index, (day, counter_w, online_w) in enumerate(days):
            share = (counter_w + online_w) / total * count + carry
            n = int(share)
            carry = share - n
            if index == len(days) - 1:
                n = count - made
            if n <= 0:
                continue
            progress = (day - self.era[0]).days / span
            weights = cumulative if counter_w > 0 or not online_only[-1] else online_only
            plans = self.rng.choices(self.plans, cum_weights=weights, k=n)
            batch = []
            for plan in plans:
                batch.append(self._one(next_id, plan, day, progress, counter_w, online_w))
                next_id += 1
            made += n
            yield from batch

    def _one(self, pk: int, plan: Plan, day: date, progress: float, counter_w: float,
              online_w: float) -> Dossier_:
        rng = self.rng
        if plan.agency_weights:
            cumulative = plan.agency_weights
            agency = plan.agencies[bisect.bisect(cumulative, rng.random() * cumulative[-1])]
        else:
            agency = plan.agencies[0]
        online = plan.online and counter_w + online_w > 0 and (
            counter_w == 0 or rng.random() < _online_share(progress))
        ordinal = day.toordinal()
        if online:
            channel = "online"
            # Any hour, most in the day; fewer at night.
            hour = rng.choices(range(24), weights=ONLINE_HOURS)[0]
            submitted = ordinal * 1440 + hour * 60 + rng.randrange(60)
        else:
            channel = "post" if rng.random() < 0.04 else "in_person"
            minute = rng.choice((rng.randrange(AM_START, AM_END), rng.randrange(PM_START, PM_END)))
            submitted = ordinal * 1440 + minute
        d = Dossier_(id=pk, plan=plan, agency=agency, channel=channel, submitted=submitted)
        self._lifecycle(d, progress)
        return d

    # -- the lifecycle --

    def _event(self, d: Dossier_, action: str, source: str, target: str, role: str, at: int,
               data: dict | None = None) -> None:
        d.events.append((action, source, target, role, at, data))

    def _lifecycle(self, d: Dossier_, progress: float) -> None:
        rng, clock = self.rng, self.clock
        ordinal, minute = divmod(d.submitted, 1440)
        i, m = clock.normalise(ordinal, minute)
        if d.channel == "online":
            self._event(d, "submit", "draft", "submitted", "applicant", d.submitted)
            if d.plan.fee_due == "submission":
                self._ask_fee(d, d.submitted, progress)
            w = clock.working(i, m)
            r = rng.random()
            if r < 0.01:  # rejected at reception
                at = clock.local(*clock.at(w + rng.randint(10, 400)))
                self._event(d, "reject", "submitted", "rejected", "reception_officer", at,
                            {"note": "Hồ sơ không thuộc thẩm quyền"})
                d.finished = at
                return
            if r < 0.04:  # supplement at reception, answered days later
                at = clock.local(*clock.at(w + rng.randint(10, 400)))
                self._event(d, "request_supplement", "submitted", "reception_supplement",
                            "reception_officer", at)
                w += rng.randint(1, 8) * DAY + rng.randint(0, 300)
                self._event(d, "provide_supplement", "reception_supplement", "submitted",
                            "applicant", clock.local(*clock.at(w)))
            if rng.random() < 0.003:  # withdrawn before reception
                self._event(d, "withdraw", "submitted", "withdrawn", "applicant",
                            clock.local(*clock.at(w + rng.randint(5, 200))))
                d.finished = d.events[-1][4]
                return
            # Most are received within 4 working hours; a tail is not.
            delay = int(rng.lognormvariate(4.2, 0.8)) + 5
            i, m = clock.at(w + delay)
            received = clock.local(i, m)
            self._event(d, "receive", "submitted", "received", "reception_officer", received)
        else:
            received = clock.local(i, m)
            d.submitted = received
            self._event(d, "enter_walk_in", "draft", "received", "reception_officer", received)
        d.received = received
        if d.plan.fee_due == "reception" or (d.plan.fee_due == "submission"
                                             and d.channel != "online"):
            self._ask_fee(d, received, progress)
        limit = d.plan.limit_online if d.channel == "online" else d.plan.limit_counter
        w_recv = clock.working(i, m)
        if limit is None:
            allowed = 5 * DAY  # no stated limit: no due time, a typical duration
            w_due = None
        else:
            di, dm = clock.due(i, m, limit)
            w_due = clock.working(di, dm)
            d.due = d.original_due = clock.local(di, dm)
            allowed = max(w_due - w_recv, 60)
        # Some catalogue limits run to years; nobody takes that long: work within 60 days.
        late = w_due is not None and allowed <= 60 * DAY and rng.random() < _late_rate(progress)
        factor = rng.uniform(1.03, 1.6) if late else min(rng.betavariate(4, 2.2), 0.97)
        actual = max(int(min(allowed, 60 * DAY) * factor), 20)
        shift = 0  # working minutes the citizen's supplement paused the clock

        def at(fraction: float) -> int:
            return clock.local(*clock.at(w_recv + shift + int(actual * fraction)))

        state = "received"
        if rng.random() < 0.003:
            self._event(d, "withdraw", state, "withdrawn", "applicant", at(0.2))
            d.finished = d.events[-1][4]
            return
        self._event(d, "assign", state, "examining", "leader", at(0.05))
        specialists = self.specialists.get(d.agency)
        d.assignee = rng.choice(specialists) if specialists else None
        state = "examining"
        if rng.random() < 0.05:  # one supplement during processing
            paused_at = at(0.3)
            self._event(d, "request_supplement", state, "processing_supplement", "specialist",
                        paused_at, {"note": "Bổ sung giấy tờ còn thiếu"})
            wait = rng.randint(1, 12) * DAY + rng.randint(0, DAY - 1)
            if rng.random() < 0.02:
                wait = rng.randint(40, 120) * DAY  # forgotten for months
            resumed_w = w_recv + int(actual * 0.3) + wait
            self._event(d, "provide_supplement", "processing_supplement", state, "applicant",
                        clock.local(*clock.at(resumed_w)))
            shift = wait
            if d.due is not None:
                di, dm = clock.at(w_due + wait)
                w_due += wait
                d.due = d.original_due = clock.local(di, dm)
            d.paused = paused_at  # kept only while still waiting (see _truncate)
        self._event(d, "examine", state, "awaiting_approval", "specialist", at(0.6))
        if late and d.due is not None and rng.random() < 0.55 + 0.4 * progress:
            # The apology at least a working day before the due time, with a new appointment.
            when = clock.local(*clock.at(max(w_due - DAY - rng.randint(0, DAY), w_recv + 1)))
            extra = int(actual - allowed) + rng.randint(DAY // 2, 3 * DAY)
            new_i, new_m = clock.at(w_due + extra)
            new_due = clock.local(new_i, new_m)
            self._event(d, "apology", "", "", "specialist",
                        when, {"new_due_at": _iso(new_due), "old_due_at": _iso(d.due),
                               "note": "Cần xác minh thêm"})
            d.apology_due = new_due
        if rng.random() < 0.004:
            self._event(d, "refuse", "awaiting_approval", "refused", "leader", at(0.85),
                        {"note": "Không đủ điều kiện theo quy định"})
            d.finished = d.events[-1][4]
            return
        self._event(d, "approve", "awaiting_approval", "approved", "leader", at(0.85))
        finished = at(1.0)
        # A digital result: its number is given when the rows are written (numbering follows
        # the agency and the year, results.services.format_number).
        self._event(d, "issue_result", "approved", "result_ready", "specialist", finished,
                    {"result": None} if rng.random() < _digital_result_share(progress) else None)
        d.finished = finished
        d.late = d.due is not None and finished > d.original_due
        if d.plan.fee_due == "return":
            self._ask_fee(d, finished, progress)
        handed = clock.local(*clock.at(w_recv + shift + actual + rng.randint(0, 2 * DAY)))
        if d.cash_at_return:
            self._event(d, "payment_confirmed", "", "", "reception_officer", handed,
                        {"amount": self._fee(d), "reference": None, "provider": "cash"})
        self._event(d, "return_result", "result_ready", "returned", "reception_officer", handed)
        self._event(d, "close", "returned", "done", "reception_officer", handed)

    @staticmethod
    def _fee(d: Dossier_) -> int:
        return _quote(d)[0]

    def _ask_fee(self, d: Dossier_, at: int, progress: float) -> None:
        """The fee asked for at ``at`` (local minutes), as ``payments.services.request_fee``
        records it, and its payment: online (VNPay, VietQR) within hours, in cash at the
        counter at once, or in cash when the result is collected. References are given when
        the rows are written."""
        amount = self._fee(d)
        if amount <= 0:
            return
        rng = self.rng
        online = d.channel == "online"
        self._event(d, "fee_requested", "", "", "system" if online else "reception_officer",
                    at + 1, {"amount": amount, "reference": None, "due": d.plan.fee_due})
        if online and (d.plan.fee_due == "submission"
                       or rng.random() < _online_payment_share(progress)):
            provider = "vnpay" if rng.random() < 0.7 else "vietqr"
        elif not online and rng.random() < _counter_transfer_share(progress):
            provider = "vietqr"
        elif not online and d.plan.fee_due != "return":
            self._event(d, "payment_confirmed", "", "", "reception_officer",
                        at + rng.randint(2, 15),
                        {"amount": amount, "reference": None, "provider": "cash"})
            return
        else:
            d.cash_at_return = True
            return
        paid = at + 2 + int(rng.lognormvariate(3.5, 1.3))  # minutes: most within hours
        self._event(d, "payment_confirmed", "", "", "system", paid,
                    {"amount": amount, "reference": None, "provider": provider})

    def truncate(self, d: Dossier_) -> None:
        """Keep the events up to now; the row becomes the state after the last one kept."""
        now = self.now_local
        # In time order; an apology takes the state the dossier is in when it is written.
        kept, state = [], "draft"
        for event in sorted(d.events, key=lambda e: e[4]):
            if event[4] > now:
                break
            if event[0] in STATELESS:
                if state in ENDED_EARLY:
                    continue  # nothing is paid or promised after the dossier ended
                event = (event[0], state, state, *event[3:])
            kept.append(event)
            state = event[2]
        # A supplement planned but still ahead of now has not moved the due time yet.
        supplement_ahead = any(e[0] == "provide_supplement" and e[4] > now for e in d.events)
        d.events = kept
        d.state = kept[-1][2] if kept else "draft"
        times = {e[0]: e[4] for e in kept}
        if "receive" not in times and "enter_walk_in" not in times:
            d.received = d.due = d.original_due = None
        if d.finished is not None and d.finished > now:
            d.finished = None
        if d.state in ("rejected", "refused", "withdrawn") and d.finished is None:
            d.finished = kept[-1][4]
        if "assign" not in times:
            d.assignee = None
        if supplement_ahead and d.due is not None and d.state != "processing_supplement":
            d.due = d.original_due = self._unshifted_due(d)
        if d.apology_due is not None and "apology" in times:
            d.due = d.apology_due
        if d.state == "processing_supplement":
            d.paused = times["request_supplement"]
            if d.due is not None:  # the due time moves only when the citizen answers
                d.due = d.original_due = self._unshifted_due(d)
        else:
            d.paused = None
        d.late = d.late and d.state in ("result_ready", "returned", "done")

    def _unshifted_due(self, d: Dossier_) -> int:
        # While the supplement is awaited the due time is the one before the shift: recompute
        # from the reception as the engine did then.
        limit = d.plan.limit_online if d.channel == "online" else d.plan.limit_counter
        ordinal, minute = divmod(d.received, 1440)
        i, m = self.clock.normalise(ordinal, minute)
        return self.clock.local(*self.clock.due(i, m, limit))


ONLINE_HOURS = [1, 0.6, 0.4, 0.3, 0.4, 1, 3, 6, 9, 10, 10, 9, 6, 6, 8, 9, 9, 8, 6, 6, 7, 6,
                4, 2]


def _accumulate(values: list[float]) -> Iterator[float]:
    total = 0.0
    for value in values:
        total += value
        yield total


def _tet_days(calendar: WorkingCalendar, start: date, end: date) -> list[date]:
    found = []
    for year in range(start.year, end.year + 2):
        vn = vietnam_holidays([year])
        found += [d for d, name in vn.items() if name == "Lunar New Year"]
    return found


def _local_minutes(moment: datetime) -> int:
    utc = moment.astimezone(UTC)
    return (utc.date().toordinal() * 1440 + utc.hour * 60 + utc.minute + UTC_OFFSET)


_DAY_TEXT: dict[int, str] = {}


def _utc_text(local: int) -> str:
    """Local minutes -> 'YYYY-MM-DD HH:MM:00' in UTC (how Django stores datetimes)."""
    day, minute = divmod(local - UTC_OFFSET, 1440)
    text = _DAY_TEXT.get(day)
    if text is None:
        text = _DAY_TEXT[day] = date.fromordinal(day).isoformat()
    return f"{text} {minute // 60:02d}:{minute % 60:02d}:00"


def _iso(local: int) -> str:
    day, minute = divmod(local, 1440)
    return f"{date.fromordinal(day).isoformat()}T{minute // 60:02d}:{minute % 60:02d}:00+07:00"


# --- writing ----------------------------------------------------------------------------------


class Writer:
    """Rows for one table, buffered, then written in one go: COPY on PostgreSQL (one COPY at a
    time per connection, so the tables of a chunk are written one after the other),
    executemany on SQLite."""

    def __init__(self, model, columns: list[str]) -> None:
        self.table = model._meta.db_table
        self.columns = columns
        self.rows: list[tuple] = []
        self.lines: list[str] = []
        self.count = 0

    def add(self, row: tuple) -> None:
        self.rows.append(row)

    def add_line(self, line: str) -> None:
        """A row already in COPY's text format (PostgreSQL only)."""
        self.lines.append(line)

    def flush(self) -> None:
        if not self.rows and not self.lines:
            return
        names = ", ".join(self.columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                raw = cursor.cursor  # psycopg's own cursor under Django's wrapper
                with raw.copy(f"COPY {self.table} ({names}) FROM STDIN") as copy:
                    for start in range(0, len(self.lines), 50_000):
                        copy.write("".join(self.lines[start:start + 50_000]))
                    for start in range(0, len(self.rows), 20_000):
                        copy.write("".join(
                            "\t".join(_copy_text(v) for v in row) + "\n"
                            for row in self.rows[start:start + 20_000]))
            else:
                marks = ", ".join("%s" for _ in self.columns)
                cursor.executemany(
                    f"INSERT INTO {self.table} ({names}) VALUES ({marks})",  # noqa: S608
                    self.rows)
        self.count += len(self.rows) + len(self.lines)
        self.rows, self.lines = [], []


def _code32(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, digit = divmod(number, len(REFERENCE_ALPHABET))
        digits.append(REFERENCE_ALPHABET[digit])
    return "".join(reversed(digits))


class _MoneyWriters:
    """The payments app's rows behind a generated dossier's fee events (``DossierFee``,
    ``Payment`` and its audit trail ``PaymentEvent``), and the numbers of its digital results:
    filled into the events' data (their ``None`` placeholders) once the events kept are known.
    Payment references have the app's shape (``DVC`` + day + six characters), the tail from
    the payment's id, so they never repeat; provider transaction numbers start with ``H``
    (history), never one a real gateway sends."""

    def __init__(self, agency_codes: dict[int, str]) -> None:
        self.codes = agency_codes
        self.models = (DossierFee, Payment, PaymentEvent)
        self.fee_cols = ["id", "dossier_id", "amount", "quote", "due", "state", "requested_at",
                         "paid_at", "created_at"]
        self.payment_cols = ["id", "fee_id", "reference", "provider", "amount", "state",
                             "provider_transaction", "bank_code", "response_code", "created_at",
                             "paid_at", "updated_at"]
        self.event_cols = ["payment_id", "from_state", "to_state", "source", "data",
                           "created_at"]
        self.extras = []
        for model, cols in zip(self.models, (self.fee_cols, self.payment_cols, self.event_cols),
                               strict=True):
            extra = _defaults(model, set(cols))
            cols += list(extra)
            self.extras.append(tuple(extra.values()))
        self.writers = tuple(Writer(model, cols) for model, cols in zip(
            self.models, (self.fee_cols, self.payment_cols, self.event_cols), strict=True))
        self.next_fee = (DossierFee.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        self.next_payment = (Payment.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        self.sequence_model = ResultNumberSequence
        self.numbers: dict[tuple[int, int], int] = dict(
            ((a, y), last) for a, y, last in ResultNumberSequence.objects.values_list(
                "agency_id", "year", "last"))
        self.numbered: set[tuple[int, int]] = set()
        self.payments = self.results = 0

    def add(self, d: Dossier_, code: str) -> None:
        requested = paid = None
        for index, event in enumerate(d.events):
            action, data = event[0], event[5]
            if action == "fee_requested":
                requested = event
            elif action == "payment_confirmed":
                paid = event
            elif action == "issue_result" and data and "result" in data:
                year = date.fromordinal(event[4] // 1440).year
                key = (d.agency, year)
                self.numbers[key] = self.numbers.get(key, 0) + 1
                self.numbered.add(key)
                number = f"{self.numbers[key]:06d}/{year}/KQ-{self.codes[d.agency]}"
                d.events[index] = (*event[:5], {"result": number})
                self.results += 1
        if requested is None:
            return
        fee_id = self.next_fee
        self.next_fee += 1
        amount = requested[5]["amount"]
        provider = paid[5]["provider"] if paid else None
        reference = code
        if paid is not None:
            payment_id = self.next_payment
            self.next_payment += 1
            day = date.fromordinal(paid[4] // 1440)
            reference = f"DVC{day:%y%m%d}{_code32(payment_id, 6)}"
            paid[5]["reference"] = reference
            started = paid[4] - (0 if provider == "cash" else 2)
            self.writers[1].add((
                payment_id, fee_id, reference, provider, amount, "paid",
                "" if provider == "cash" else f"H{payment_id}",
                "NCB" if provider == "vnpay" else "", "00" if provider == "vnpay" else "",
                _utc_text(started), _utc_text(paid[4]), _utc_text(paid[4]), *self.extras[1]))
            source = {"vnpay": "ipn", "vietqr": "bank_transfer", "cash": "cash"}[provider]
            self.writers[2].add((payment_id, "", "pending", "start", "{}", _utc_text(started),
                                 *self.extras[2]))
            self.writers[2].add((payment_id, "pending", "paid", source, "{}",
                                 _utc_text(paid[4]), *self.extras[2]))
            self.payments += 1
        requested[5]["reference"] = reference if provider == "vietqr" else code
        quote = _quote(d)[1]
        self.writers[0].add((
            fee_id, d.id, amount, json.dumps(quote, ensure_ascii=False), d.plan.fee_due,
            "paid" if paid else "due", _utc_text(requested[4]),
            _utc_text(paid[4]) if paid else None, _utc_text(requested[4]), *self.extras[0]))

    def continue_numbering(self) -> None:
        """Results numbered from now on continue after the generated numbers."""
        for (agency, year) in sorted(self.numbered):
            last = self.numbers[(agency, year)]
            row, _ = self.sequence_model.objects.get_or_create(
                agency_id=agency, year=year, defaults={"last": last})
            if row.last < last:
                self.sequence_model.objects.filter(pk=row.pk).update(last=last)


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
    return text


def _defaults(model, known: set[str]) -> dict[str, object]:
    """Database values for the columns the generator does not fill (other apps may add fields):
    each field's default."""
    values = {}
    for f in model._meta.concrete_fields:
        if f.column in known or f.primary_key:
            continue
        default = f.get_default()
        prepared = f.get_db_prep_save(default, connection)
        if isinstance(prepared, dict | list):
            prepared = json.dumps(prepared)
        elif hasattr(prepared, "dumps"):  # psycopg's Jsonb adapter
            prepared = json.dumps(getattr(prepared, "obj", {}))
        values[f.column] = prepared
    return values


@contextmanager
def _bulk_mode() -> Iterator[None]:
    """Skip the foreign-key checks while writing rows whose references the generator itself
    guarantees (it reads the agencies, procedures and users it points to, and numbers the
    dossiers it writes the events of): per-row checks cost more than the rows. PostgreSQL: the
    session's replication role (a superuser's, as on the benchmark's server; otherwise the checks
    stay), which skips the triggers as well: the queue counts are rebuilt after. SQLite: the
    pragma, which only takes effect outside a transaction."""
    if connection.vendor == "postgresql":
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = replica")
            replica = True
        except DatabaseError:
            replica = False
        try:
            yield
        finally:
            if replica:
                with connection.cursor() as cursor:
                    cursor.execute("SET session_replication_role = DEFAULT")
                # The replica role skips the triggers too: the back office's queue counts
                # (dossiers/queuecounts.py) missed the dossiers written, so count them afresh.
                queuecounts.rebuild()
        return
    outside = not connection.in_atomic_block
    if outside:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        if outside:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA foreign_keys = ON")


def generate(dossiers: int, *, years: float = 3.0, seed: int = 1,
             start: date | None = None, end: date | None = None, now: datetime | None = None,
             era: tuple[date, date] | None = None, rebuild: bool = True,
             progress: Callable[[str], None] | None = None) -> Stats:
    """Generate ``dossiers`` dossiers submitted from ``start`` to ``end`` (default: the last
    ``years`` years up to yesterday) with their events and ratings. ``era`` is the span of the
    whole history when it is written window by window (the trends follow it)."""
    started = time.perf_counter()
    now = now or timezone.now()
    today = timezone.localdate(now)
    end = end or today - timedelta(days=1)  # whole days, all in the past
    start = start or end - timedelta(days=max(int(years * 365.25), 1))
    overrides = dict(CalendarOverride.objects.filter(agency__isnull=True)
                     .values_list("day", "is_working"))
    calendar = WorkingCalendar.vietnam(
        range(min(start, era[0] if era else start).year - 1, end.year + 18),
        extra_holidays=[d for d, w in overrides.items() if not w],
        extra_working_days=[d for d, w in overrides.items() if w])
    gen = Generator(seed=seed, start=start, end=end, now=now, calendar=calendar, era=era)
    assisting = Assisting(seed, start, end, person=lambda r: (
        f"{r.choice(FAMILY)} {r.choice(MIDDLE)} {r.choice(GIVEN)}"), writer=Writer,
        dossiers=dossiers)
    era_first, era_days = gen.era[0].toordinal(), max((gen.era[1] - gen.era[0]).days, 1)
    stats = Stats()
    first_dossier = (Dossier.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    first_event = (DossierEvent.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    codes = {pk: code for pk, code in Agency.objects.values_list("pk", "code")}

    dossier_cols = ["id", "code", "procedure_id", "procedure_version_id", "agency_id",
                    "applicant_type", "applicant_name", "applicant_id_number", "applicant_phone",
                    "applicant_email", "channel", "state", "national_status", "form_data",
                    "delivery", "delivery_address", "fee_amount", "assignee_id", "submitted_by_id",
                    "submitted_at", "received_at", "due_at", "original_due_at", "paused_at",
                    "finished_at", "revision", "created_at", "updated_at"]
    extra = _defaults(Dossier, set(dossier_cols))
    dossier_cols += list(extra)
    extra_values = tuple(extra.values())
    event_cols = ["id", "dossier_id", "action", "from_state", "to_state", "actor_id",
                  "actor_role", "note", "data", "created_at"]
    event_extra = _defaults(DossierEvent, set(event_cols))
    event_cols += list(event_extra)
    event_extra_values = tuple(event_extra.values())
    event_extra_text = "".join("\t" + _copy_text(v) for v in event_extra_values)
    postgres = connection.vendor == "postgresql"
    rating_cols = ["dossier_id", "dossier_code", "agency_id", "procedure_id", "dossier_state",
                   *[f"indicator_{n}" for n in range(1, 10)], "overall", "comment",
                   "created_at"]
    rating_extra = _defaults(Rating, set(rating_cols))
    rating_cols += list(rating_extra)
    rating_extra_values = tuple(rating_extra.values())
    money = _MoneyWriters(codes)

    sequences: dict[tuple[int, int], int] = {}
    # A history added to one already there numbers each agency's day after the codes it has
    # (the load kit tops a database up to the size asked for).
    taken: dict[tuple[str, str], int] = {}
    if first_dossier > 1:
        for existing in Dossier.objects.exclude(code=None).values_list("code", flat=True
                                                                        ).iterator(10000):
            if parts := DOSSIER_CODE.match(existing):
                day_key = (parts["unit"], parts["day"])
                taken[day_key] = max(taken.get(day_key, 0), int(parts["seq"]))
    event_id = first_event
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:  # room for the indexes being filled (~400 MB)
            cursor.execute("PRAGMA cache_size = -400000")
    rng = random.Random(seed * 7919 + 1)
    with _bulk_mode(), transaction.atomic():
        dw, ew = Writer(Dossier, dossier_cols), Writer(DossierEvent, event_cols)
        rw = Writer(Rating, rating_cols)
        # Codes need the day's order: generate day by day (the generator yields in order).
        for d in gen.dossiers(dossiers, first_dossier):
            gen.truncate(d)
            if not d.events:
                continue
            code_day = d.events[0][4] // 1440
            key, day_text = (d.agency, code_day), f"{date.fromordinal(code_day):%y%m%d}"
            if key not in sequences:
                sequences[key] = taken.get((codes[d.agency], day_text), 0)
            sequences[key] += 1
            code = f"{codes[d.agency]}-{day_text}-{sequences[key]:04d}"
            enterprise = rng.random() < 0.12
            name = (f"{rng.choice(COMPANY)} {rng.choice(GIVEN)} {rng.choice(GIVEN)}"
                    if enterprise else
                    f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}")
            last = d.events[-1][4]
            money.add(d, code)
            # An online dossier a ward's digital team member or post office filed for the
            # citizen: the agent's channel (its fee and time limit are the online ones).
            agent = (assisting.filed_by(d.agency, (code_day - era_first) / era_days)
                     if d.channel == "online" else None)
            dw.add((d.id, code, d.plan.id, d.plan.version_id, d.agency,
                    "enterprise" if enterprise else "citizen", name, "", "", "",
                    "agent" if agent else d.channel, d.state, national_status(d.state), "{}",
                    "online" if d.channel == "online" else "counter", "{}",
                    gen._fee(d), d.assignee, agent,
                    _utc_text(d.submitted) if d.channel == "online" else None,
                    _utc_text(d.received) if d.received is not None else None,
                    _utc_text(d.due) if d.due is not None else None,
                    _utc_text(d.original_due) if d.original_due is not None else None,
                    _utc_text(d.paused) if d.paused is not None else None,
                    _utc_text(d.finished) if d.finished is not None else None,
                    len(d.events), _utc_text(d.events[0][4]), _utc_text(last),
                    *extra_values))
            for action, source, target, role, at, data in d.events:
                note = ""
                if data and "note" in data:
                    data = dict(data)
                    note = data.pop("note")
                if postgres:  # the line itself: our values hold no tab, newline or backslash
                    ew.add_line(f"{event_id}\t{d.id}\t{action}\t{source}\t{target}\t\\N\t"
                                f"{role}\t{note}\t{json.dumps(data) if data else '{}'}\t"
                                f"{_utc_text(at)}{event_extra_text}\n")
                else:
                    ew.add((event_id, d.id, action, source, target, None, role, note,
                            json.dumps(data) if data else "{}", _utc_text(at),
                            *event_extra_values))
                event_id += 1
            stats.dossiers += 1
            stats.events += len(d.events)
            if d.state in ("result_ready", "returned", "done") or d.state in (
                    "rejected", "refused", "withdrawn"):
                stats.finished += 1
            else:
                stats.open += 1
            stats.late += d.late
            if d.state == "done" and rng.random() < 0.15:
                good = rng.random() < 0.93
                points = [2 if good or rng.random() < 0.5 else rng.choice((1, 0))
                          for _ in range(9)]
                overall = ("very_satisfied" if good and rng.random() < 0.6 else
                           "satisfied" if good else "not_satisfied")
                rw.add((d.id, code, d.agency, d.plan.id, "done", *points, overall, "",
                        _utc_text(min(last + rng.randint(10, 4000), gen.now_local)),
                        *rating_extra_values))
                stats.ratings += 1
            if stats.dossiers % CHUNK == 0:  # bounded memory: write the chunk
                for writer in (dw, ew, rw, *money.writers):
                    writer.flush()
                if progress and stats.dossiers % 500_000 == 0:
                    progress(f"{stats.dossiers:,} hồ sơ, {stats.events:,} sự kiện …")
        for writer in (dw, ew, rw, *money.writers):
            writer.flush()
        stats.payments, stats.digital_results = money.payments, money.results
        stats.other_rows = sum(writer.count for writer in money.writers)
        stats.other_rows += assisting.write_activity()
        money.continue_numbering()
        # Numbers given today must continue after the generated ones.
        today_ordinal = today.toordinal()
        for (agency, day), last in sequences.items():
            if day == today_ordinal:
                row, _ = DossierCodeSequence.objects.get_or_create(agency_id=agency, day=today)
                if row.last < last:
                    DossierCodeSequence.objects.filter(pk=row.pk).update(last=last)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for model in (Dossier, DossierEvent, Rating, *money.models):
                    table = model._meta.db_table
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                        f"(SELECT COALESCE(MAX(id), 1) FROM {table}))")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Dossier, DossierEvent, Rating, *money.models):
                cursor.execute(f"ANALYZE {model._meta.db_table}")
    stats.seconds = time.perf_counter() - started
    if rebuild:
        facts = time.perf_counter()
        # The days this window's dossiers were received or finished on (they finish within
        # months): the facts of older and newer windows stay as they are.
        with _bulk_mode():
            rebuild_facts(start, min(end + timedelta(days=400), today))
        if connection.vendor == "postgresql":
            # Fresh statistics for the facts just written: without them the planner reads the
            # dashboards' tables as if they were still small (1.9 s instead of 0.4 s at 1M).
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        stats.facts_seconds = time.perf_counter() - facts
    return stats


def rebuild_facts(start: date | None = None, end: date | None = None) -> None:
    """The monitoring centre's pre-aggregated facts of the days ``start`` … ``end`` (all when
    not given), from the dossiers just written (rows written in bulk move no facts)."""
    facts.rebuild(start, end)


__all__ = ["Generator", "IntegerWorkingTime", "Stats", "generate", "rebuild_facts"]
