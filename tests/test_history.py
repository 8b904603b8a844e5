"""The synthetic history generator: a small run gives dossiers and events that follow the
lifecycle, codes that are unique and well formed, due times the deadline engine agrees with, and
realistic shares (on time, online, still open)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Sum
from django.utils import timezone

from dichvucong.agencies.models import Agency
from dichvucong.alerts.scan import scan
from dichvucong.assisted import counts
from dichvucong.assisted.models import DigitalTeam, Member
from dichvucong.devdata.history import IntegerWorkingTime, generate
from dichvucong.dossiers import lifecycle, queuecounts
from dichvucong.dossiers.clock import time_limit
from dichvucong.dossiers.codes import CODE
from dichvucong.dossiers.lifecycle import PROCESSING, State
from dichvucong.dossiers.models import Dossier, DossierEvent
from dichvucong.monitor import facts
from dichvucong.monitor.models import DailyFact, DossierFact
from dichvucong.ratings.models import Rating
from dichvucong.workflow.deadlines import TimeLimitSpec, WorkingCalendar, compute_due
from dichvucong.workflow.models import CalendarOverride
from tests import builders

FINISHED_OK = {State.result_ready.value, State.returned.value, State.done.value}
ENDED = FINISHED_OK | {State.rejected.value, State.refused.value, State.withdrawn.value}


# A fixed instant: the dossiers left open, and so the alert scan's work, depend on where "now"
# falls in the generated year (a run on 2026-12-07 found nothing to alert).
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


def _history():
    before = set(Dossier.objects.values_list("pk", flat=True))
    stats = generate(2000, years=1, seed=5, now=NOW)
    dossiers = list(Dossier.objects.exclude(pk__in=before).select_related(
        "procedure_version", "agency"))
    events = defaultdict(list)
    for event in DossierEvent.objects.filter(dossier__in=[d.pk for d in dossiers]).order_by(
            "created_at", "id"):
        events[event.dossier_id].append(event)
    return stats, dossiers, events


def _counts_and_codes(history):
    stats, dossiers, _events = history
    assert stats.dossiers == len(dossiers) == 2000
    codes = [d.code for d in dossiers]
    assert len(set(codes)) == len(codes)
    for d in dossiers:
        match = CODE.match(d.code)
        assert match and match["unit"] == d.agency.code
    assert stats.rows_per_second > 0


def _events_follow_the_lifecycle(history):
    _stats, dossiers, events = history
    actions = Counter()
    for d in dossiers:
        state = State.draft.value
        for event in events[d.pk]:
            actions[event.action] += 1
            assert event.from_state == state, (d.code, event.action)
            if event.action == "apology":
                assert state in {s.value for s in PROCESSING} and event.to_state == state
                assert event.data["new_due_at"] > event.data["old_due_at"]
            elif event.action in ("fee_requested", "payment_confirmed"):
                assert event.to_state == state not in {"draft", *ENDED - FINISHED_OK}
            else:
                result = lifecycle.check(state, event.action, event.actor_role, note="x")
                assert result.target.value == event.to_state
            state = event.to_state
        assert d.state == state
        assert d.national_status == lifecycle.national_status(state)
        # The code's day is the day the dossier got its number (submission or walk-in).
        first = timezone.localtime(events[d.pk][0].created_at).date()
        assert CODE.match(d.code)["day"] == f"{first:%y%m%d}"
        if d.channel == "online":
            assert d.submitted_at == events[d.pk][0].created_at
        if state in ENDED:
            assert d.finished_at is not None
        if state == State.processing_supplement.value:
            assert d.paused_at is not None
    for action in ("submit", "receive", "enter_walk_in", "assign", "examine", "approve",
                   "issue_result", "return_result", "close", "request_supplement",
                   "provide_supplement", "apology", "reject"):
        assert actions[action] > 0, action


def _due_times_agree_with_the_deadline_engine(history):
    _stats, dossiers, events = history
    checked = 0
    # The city-wide overrides (the announced day swaps) count, as for every dossier.
    overrides = dict(CalendarOverride.objects.filter(agency__isnull=True)
                     .values_list("day", "is_working"))
    assert overrides  # seeded: workflow/data/announced_days.json
    for d in dossiers:
        if d.received_at is None or d.due_at is None:
            continue
        assert d.agency and d.due_at
        # (Some catalogue limits run to 1,100 working days: the calendar spans years ahead.)
        calendar = WorkingCalendar.vietnam(
            range(d.received_at.year - 1, d.received_at.year + 8),
            extra_holidays=[day for day, working in overrides.items() if not working],
            extra_working_days=[day for day, working in overrides.items() if working])
        assert calendar.is_due_time(d.due_at)
        if any(e.action in ("apology", "provide_supplement") and e.to_state != "submitted"
               for e in events[d.pk]):
            continue  # moved by a pause or a new appointment
        limit = time_limit(d.procedure_version.parsed(), d.channel)
        assert d.original_due_at == d.due_at == compute_due(calendar, d.received_at, limit)
        checked += 1
    assert checked > 1000


def _realistic_shares(history):
    stats, dossiers, _events = history
    finished = [d for d in dossiers if d.state in FINISHED_OK and d.original_due_at]
    on_time = sum(d.finished_at <= d.original_due_at for d in finished) / len(finished)
    assert 0.93 <= on_time <= 0.995
    online = sum(d.channel == "online" for d in dossiers) / len(dossiers)
    assert 0.4 <= online <= 0.9
    still_open = [d for d in dossiers if d.state not in ENDED]
    assert 0.005 <= len(still_open) / len(dossiers) <= 0.1 and stats.open == len(still_open)
    rated = Rating.objects.filter(dossier__in=[d.pk for d in dossiers])
    assert 0.08 <= rated.count() / sum(d.state == "done" for d in dossiers) <= 0.25
    assert not rated.exclude(dossier_state="done").exists()
    # The week's rhythm: Mondays busier than Saturdays at the counter.
    walk_ins = Counter(timezone.localtime(d.received_at).weekday() for d in dossiers
                       if d.channel == "in_person")
    assert walk_ins[0] > 3 * walk_ins[5]


def _fees_payments_and_results(history):
    """Fees follow the payment rules, each paid fee has exactly one paid payment recorded as the
    payments app records it, and the monitor reads the rates the generator aimed at."""
    from dichvucong.monitor.facts import ONLINE_PAYMENT_PROVIDERS
    from dichvucong.payments.models import DossierFee, Payment, PaymentEvent
    from dichvucong.payments.services import REFERENCE_PATTERN, quote_for
    from dichvucong.results.models import ResultNumberSequence

    _stats, dossiers, events = history
    fees = {f.dossier_id: f for f in DossierFee.objects.filter(dossier__in=dossiers)}
    payments = {p.fee.dossier_id: p for p in Payment.objects.select_related("fee").filter(
        fee__dossier__in=dossiers)}
    providers = Counter()
    for d in dossiers[:400]:
        assert d.fee_amount == quote_for(d).total
    for d in dossiers:
        asked = [e for e in events[d.pk] if e.action == "fee_requested"]
        confirmed = [e for e in events[d.pk] if e.action == "payment_confirmed"]
        assert len(asked) <= 1 and len(confirmed) <= 1
        if not d.fee_amount:
            assert not asked and d.pk not in fees
            continue
        if not asked:
            assert d.pk not in fees and d.received_at is None
            continue
        fee = fees[d.pk]
        assert fee.amount == d.fee_amount == asked[0].data["amount"]
        assert fee.requested_at == asked[0].created_at
        if not confirmed:
            assert fee.state == "due" and d.pk not in payments
            continue
        payment = payments[d.pk]
        assert (fee.state, payment.state, fee.paid_at) == ("paid", "paid", payment.paid_at)
        assert confirmed[0].data == {"amount": fee.amount, "reference": payment.reference,
                                     "provider": payment.provider}
        assert REFERENCE_PATTERN.fullmatch(payment.reference)
        assert list(PaymentEvent.objects.filter(payment=payment).values_list(
            "from_state", "to_state")) == [("", "pending"), ("pending", "paid")]
        providers[payment.provider] += 1
    assert len(payments) == sum(providers.values()) > 200
    assert {"vnpay", "vietqr", "cash"} <= set(providers)
    online = sum(n for p, n in providers.items() if p in ONLINE_PAYMENT_PROVIDERS)
    assert 0.3 < online / len(payments) < 0.9
    # The monitor's facts read the same payments.
    paid_online = set(DossierFact.objects.filter(dossier__in=dossiers, paid_online=True)
                      .values_list("dossier_id", flat=True))
    assert paid_online == {d for d, p in payments.items() if p.provider != "cash"}
    # Digital results are numbered as the results app numbers them, and numbering goes on.
    numbers = [e.data["result"] for d in dossiers for e in events[d.pk]
               if e.action == "issue_result" and e.data.get("result")]
    assert len(numbers) == len(set(numbers)) > 200
    issued = sum(e.action == "issue_result" for d in dossiers for e in events[d.pk])
    assert 0.3 < len(numbers) / issued < 0.99
    assert all(re.fullmatch(r"\d{6}/20\d\d/KQ-\S+", n) for n in numbers)
    last = {(s.agency_id, s.year): s.last for s in ResultNumberSequence.objects.all()}
    for number in numbers:
        sequence, year, _rest = number.split("/", 2)
        agency = next(d.agency_id for d in dossiers if d.agency.code == _rest[3:])
        assert int(sequence) <= last[(agency, int(year))]


def _assisted_channels(history):
    """The register for every ward (at a tenth of Đà Nẵng's scale for 2,000 dossiers), the online
    dossiers its member accounts filed for citizens (their own ward's, a few percent), and what
    the IOC's page counts."""
    _stats, dossiers, _events = history
    wards = dict(Agency.objects.filter(kind="commune_committee").values_list(
        "pk", "administrative_unit_id"))
    per_ward = Counter(DigitalTeam.objects.values_list("ward_id", flat=True))
    assert set(per_ward) == set(wards.values())
    assert all(2 <= n <= 6 for n in per_ward.values())  # 25–56 × 2,000 / 20,000
    assert 6 <= Member.objects.filter(team__isnull=False).count() / sum(per_ward.values()) <= 7
    assert Member.objects.get(user__username="tocongnghe").team.ward_id == wards[
        builders.agency().pk]
    ward_of = {pk: unit for pk, unit in Agency.objects.filter(level="commune").values_list(
        "pk", "administrative_unit_id")}
    online = [d for d in dossiers if d.channel in ("online", "agent") and d.agency_id in ward_of]
    agent = [d for d in online if d.channel == "agent"]
    assert 0.02 <= len(agent) / len(online) <= 0.15
    members = {m.user_id: m for m in Member.objects.filter(
        user__in=[d.submitted_by_id for d in agent]).select_related("team", "point")}
    for d in agent:
        member = members[d.submitted_by_id]
        assert (member.team or member.point).ward_id == ward_of[d.agency_id]
    assert not any(d.submitted_by_id for d in dossiers if d.channel != "agent")
    month = counts.Month.of(timezone.localdate(NOW) - timedelta(days=45))
    start, after = month.instants()
    rows = counts.ward_months(month, sorted(set(wards.values())))
    assert sum(r.assisted_dossiers for r in rows) == sum(
        start <= d.submitted_at < after for d in agent) > 0
    assert sum(r.events for r in rows) > 0 and sum(r.accounts_helped for r in rows) > 0


def test_windows_append_without_code_collisions(db):
    end = timezone.localdate() - timedelta(days=400)
    first = generate(300, start=end - timedelta(days=60), end=end, seed=7, rebuild=False)
    second = generate(300, start=end - timedelta(days=200), end=end - timedelta(days=61),
                      seed=8, rebuild=False)
    assert first.dossiers == second.dossiers == 300
    assert first.open == second.open == 0  # long finished
    # Topped up over the same days (the load kit adds to a database up to the size asked for):
    # each agency's day numbered on after the codes already there.
    generate(100, start=end - timedelta(days=60), end=end, seed=9, rebuild=False)
    codes = list(Dossier.objects.values_list("code", flat=True))
    assert len(codes) == 700
    assert len(codes) == len(set(codes))
    assert queuecounts.differences() == {}  # the back office's counts, by any writer


def test_copies_extend_the_history_back_with_facts_equal_to_a_rebuild(db):
    """``--by-copying``: the finished dossiers copied whole weeks back, with new ids and codes,
    their events and ratings; the facts of the copied days equal a full rebuild's."""
    from dichvucong.devdata.copies import SOURCE_STATES, copy_history
    from tests.test_monitor import snapshot

    end = timezone.localdate() - timedelta(days=400)
    generate(200, start=end - timedelta(days=60), end=end, seed=9, rebuild=False)
    source = {d.code: d for d in Dossier.objects.filter(state__in=SOURCE_STATES)}
    assert len(source) > 150
    before, top = Dossier.objects.count(), max(d.pk for d in Dossier.objects.all())
    copied = copy_history(len(source) + 40)  # one whole copy and the newest 40 again
    assert copied.copies == 2 and copied.dossiers == Dossier.objects.count() - before
    assert copied.dossiers == len(source) + 40
    assert queuecounts.differences() == {}
    copies = list(Dossier.objects.exclude(code__in=source).order_by("-created_at"))
    codes = [d.code for d in copies]
    assert len(set(codes)) == len(codes) == copied.dossiers
    oldest = min(d.created_at for d in source.values())
    events = Counter(DossierEvent.objects.values_list("dossier_id", flat=True))
    ratings = set(Rating.objects.values_list("dossier_code", flat=True))
    by_id = {d.pk: d for d in source.values()}
    for d in copies:
        match = CODE.match(d.code)
        assert match and match["unit"] == d.agency.code
        assert match["day"] == f"{timezone.localdate(d.created_at):%y%m%d}"
        assert d.created_at < oldest and d.state in SOURCE_STATES
        # The same dossier whole weeks earlier (its id after every existing one).
        original = by_id[(d.pk - 1) % top + 1]
        assert (original.agency_id, original.procedure_id, original.code[-4:]) == (
            d.agency_id, d.procedure_id, d.code[-4:])
        shift = original.created_at - d.created_at
        assert shift.days % 7 == 0 and shift.seconds == 0
        if original.finished_at:
            assert original.finished_at - d.finished_at == shift
        assert events[d.pk] == events[original.pk] > 0
        assert (d.code in ratings) == (original.code in ratings)
    copied_facts = snapshot()
    assert len(copied_facts[0]) == Dossier.objects.count()
    facts.rebuild()
    assert snapshot() == copied_facts


def test_copies_before_the_year_2000_are_refused_before_anything_is_written(db):
    """A copy before 2000 would get a code of a century later (two-digit year): the command
    refuses the count that needs one, with nothing copied, and accepts the count that fits."""
    from dichvucong.devdata.copies import SOURCE_STATES, copy_history

    end = timezone.localdate() - timedelta(days=400)
    generate(60, start=end - timedelta(days=3000), end=end, seed=5, rebuild=False)
    available = Dossier.objects.filter(state__in=SOURCE_STATES).count()
    before = Dossier.objects.count()
    # Eight years a copy from about 2017: the third copy would start before 2000. Asked as an
    # operator asks it, through the command.
    with pytest.raises(CommandError, match="trước năm 2000"):
        call_command("generate_history", dossiers=3 * available, by_copying=True,
                     no_facts=True)
    assert Dossier.objects.count() == before
    copied = copy_history(available, rebuild=False)
    assert copied.copies == 1
    oldest = min(Dossier.objects.values_list("created_at", flat=True))
    assert timezone.localdate(oldest).year >= 2000


def test_small_history_is_consistent(db):
    """One run of 2,000 dossiers, checked from every side (one run: it takes seconds)."""
    history = _history()
    _counts_and_codes(history)
    _events_follow_the_lifecycle(history)
    _due_times_agree_with_the_deadline_engine(history)
    _realistic_shares(history)
    _fees_payments_and_results(history)
    _assisted_channels(history)
    # The monitoring facts were rebuilt from the rows written in bulk.
    _stats, dossiers, _events = history
    ids = [d.pk for d in dossiers]
    # Every dossier filed has its fact: a rebuild of a range of days covers the dossiers
    # received or finished on them, and those neither received nor finished yet.
    filed = sum(d.state != "draft" for d in dossiers)
    assert DossierFact.objects.filter(dossier__in=ids).count() == filed > 1900
    received = sum(d.received_at is not None for d in dossiers)
    assert DailyFact.objects.aggregate(n=Sum("received"))["n"] == received
    # The open dossiers give the alert scan work.
    result = scan(now=NOW)
    assert result.found > 0 and result.raised == result.found


def test_clock_matches_the_engine_on_samples():
    calendar = WorkingCalendar.vietnam(range(2026, 2030))
    clock = IntegerWorkingTime(calendar, date(2026, 12, 1), date(2028, 12, 31))
    from datetime import datetime
    from decimal import Decimal
    from zoneinfo import ZoneInfo

    vn = ZoneInfo("Asia/Ho_Chi_Minh")
    limits = [TimeLimitSpec(Decimal(n), "working_days") for n in (1, 3, 5, 15)] + [
        TimeLimitSpec(Decimal("0.5"), "working_days"), TimeLimitSpec(Decimal(4), "hours"),
        TimeLimitSpec(Decimal(30), "days"), TimeLimitSpec(Decimal(2), "months"),
        TimeLimitSpec(Decimal(0), same_day=True)]
    start = datetime(2027, 1, 25, 6, 0, tzinfo=vn)
    for step in range(0, 24 * 60 * 20, 97):  # every 97 minutes over 20 days, Tết included
        moment = start + timedelta(minutes=step)
        ordinal, minute = moment.date().toordinal(), moment.hour * 60 + moment.minute
        i, m = clock.normalise(ordinal, minute)
        for limit in limits:
            local = clock.local(*clock.due(i, m, limit))
            expected = compute_due(calendar, moment, limit)
            assert local == expected.date().toordinal() * 1440 + expected.hour * 60 + \
                expected.minute, (moment, limit)


def test_cli_spells_commands_with_hyphens(db, capsys):
    from dichvucong.cli import main

    main(["scan-alerts"])
    assert "causes" in capsys.readouterr().out


def test_generate_history_command(db, capsys):
    call_command("generate_history", dossiers=200, years=0.5, seed=3, no_facts=True)
    out = capsys.readouterr().out
    assert "200 hồ sơ" in out and "dòng/giây" in out


def test_generate_history_refuses_a_production_database_unless_told(db, settings):
    """Synthetic dossiers in a city's real database would falsify its statistics and its sync."""
    settings.MODE = "production"
    with pytest.raises(CommandError, match="production"):
        call_command("generate_history", dossiers=10, years=0.5, no_facts=True)
    assert not Dossier.objects.exists()
    call_command("generate_history", dossiers=10, years=0.5, no_facts=True,
                 into_production_database=True)
    assert Dossier.objects.count() == 10
