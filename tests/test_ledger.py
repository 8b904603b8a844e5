"""The clock ledger (workflow/ledger.py) and the routing (workflow/routing.py): per-agency and
per-step working time adds up to the dossier's total over random routes (parallel handovers
included: their time counts once, for the agency the dossier waited for), holidays and
supplements, and a dossier finished exactly at its due time held exactly its time limit."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dichvucong.workflow.deadlines import TimeLimitSpec, WorkingCalendar, compute_due, resume_due
from dichvucong.workflow.ledger import US_PER_MINUTE, Mark, Part, ledger, transfer_holders
from dichvucong.workflow.routing import UNROUTED_HANDOVER, allowed_minutes, route, step_for

AGENCIES = ("HOME", "SO-TNMT", "THUE", "CONG-AN")
YEAR = [date(2026, 1, 1) + timedelta(days=i) for i in range(120)]
# A route move: hand to an agency (index), or back home (None), after some working minutes; or a
# supplement that stops the clock for some calendar minutes; or one transfer to several agencies
# at once (parallel handovers), each answering after its own working minutes, the dossier back
# home with the last answer.
moves = st.lists(st.one_of(
    st.tuples(st.just("hold"), st.integers(0, 3), st.integers(1, 2000)),
    st.tuples(st.just("supplement"), st.integers(0, 0), st.integers(1, 60 * 24 * 12)),
    st.tuples(st.just("parallel"), st.lists(st.integers(1, 3), min_size=2, max_size=3,
                                            unique=True), st.lists(st.integers(1, 1500),
                                                                   min_size=3, max_size=3)),
), max_size=8)


@settings(max_examples=60, deadline=None)
@given(holidays=st.sets(st.sampled_from(YEAR), max_size=12),
       start=st.datetimes(min_value=datetime(2026, 1, 5), max_value=datetime(2026, 2, 20)),
       days=st.integers(1, 20), route_moves=moves, open_tail=st.booleans())
def test_agencies_add_up_to_the_dossiers_time_and_to_its_limit(holidays, start, days,
                                                               route_moves, open_tail):
    calendar = WorkingCalendar(holidays=holidays, tz="Asia/Ho_Chi_Minh")
    received = calendar.next_working_moment(start.replace(tzinfo=calendar.tz))
    limit = TimeLimitSpec(Decimal(days), "working_days")
    due = compute_due(calendar, received, limit)
    limit_us = days * 450 * US_PER_MINUTE
    marks = [Mark(received, "HOME", "Thẩm định")]
    at, used = received, 0
    parts: list[Part] = []  # the parallel handovers, as ``exchange.ledger_of`` reads them
    spans: list[tuple[datetime, datetime | None, set[str]]] = []  # each group's time, agencies
    for position, (kind, which, amount) in enumerate(route_moves):
        holder = marks[-1].agency
        if kind == "parallel":
            answers = [calendar.add_working_minutes(at, minutes) for minutes in amount]
            group = [Part(at, AGENCIES[index], answered, None, len(parts) + n)
                     for n, (index, answered) in enumerate(zip(which, answers, strict=False))]
            last = max(p.answered_at for p in group)
            span = calendar.working_us_between(at, last)
            if used * US_PER_MINUTE + span >= limit_us:
                break
            if open_tail and position == len(route_moves) - 1:
                # Still with one agency at the end: it holds the dossier up to the due time.
                group[0] = Part(at, group[0].agency, None, due, group[0].order)
                last = None
            parts += group
            # Who holds the group's time is the reader's (``transfer_holders``) to say.
            marks.append(Mark(at, "?", "Liên thông song song"))
            spans.append((at, last, {p.agency for p in group}))
            if last is not None:
                marks.append(Mark(last, "HOME", "Thẩm định"))
                at, used = last, used + span // US_PER_MINUTE
            continue
        if kind == "supplement":
            paused = at
            at = at + timedelta(minutes=amount)
            # The engine moves the due time by the stopped working time.
            due = resume_due(calendar, due, paused, at, "pause")
            marks += [Mark(paused, holder, marks[-1].step, running=False),
                      Mark(at, holder, marks[-1].step)]
            continue
        if (used + amount) * US_PER_MINUTE >= limit_us:
            break  # the route stays inside the time limit, so the end below is the due time
        at, used = calendar.add_working_minutes(at, amount), used + amount
        agency = AGENCIES[which]
        marks.append(Mark(at, agency, "Thẩm định" if agency == "HOME" else f"Bước {agency}"))
    waited = iter(transfer_holders(parts))
    marks = [Mark(m.at, next(waited), m.step) if m.agency == "?" else m for m in marks]
    book = ledger(calendar, marks, due)
    # Of parallel handovers, each group's time counts once, for the agency the dossier waited
    # for: the last to answer, or the one still holding it.
    for (sent, back, agencies), holder in zip(spans, transfer_holders(parts), strict=True):
        group = [p for p in parts if p.sent_at == sent]
        assert holder in agencies
        if back is None:
            assert holder == next(p.agency for p in group if p.answered_at is None)
        else:
            assert max(p.answered_at for p in group if p.agency == holder) == back
    # The per-agency times and the per-step times both add up to the total …
    assert sum(h.held_us for h in book.agencies) == book.total_us
    assert sum(h.held_us for h in book.steps) == book.total_us
    # … which, with the supplements' stopped time, is all the working time from reception …
    assert book.total_us + book.stopped_us == calendar.working_us_between(received, due)
    # … and a dossier finished at its due time held exactly its limit (pauses excluded).
    assert book.total_us == limit_us


def test_a_ledger_counts_each_agency_against_its_share():
    calendar = WorkingCalendar()
    monday = datetime(2026, 3, 2, 7, 30, tzinfo=calendar.tz)
    marks = [Mark(monday, "HOME", "Thẩm định"),
             Mark(monday + timedelta(days=1), "THUE", "Xác định nghĩa vụ tài chính"),
             Mark(monday + timedelta(days=3), "THUE", "Xác định nghĩa vụ tài chính",
                  running=False),
             Mark(monday + timedelta(days=7), "HOME", "Thẩm định")]
    book = ledger(calendar, marks, monday + timedelta(days=8, hours=3),
                  {("THUE", "Xác định nghĩa vụ tài chính"): 450,
                   ("HOME", "Thẩm định"): 1200})
    by_agency = {h.agency: h for h in book.agencies}
    assert by_agency["THUE"].minutes == 2 * 450 and by_agency["THUE"].over
    assert by_agency["HOME"].minutes == 450 + 450 + 180 and not by_agency["HOME"].over
    assert book.stopped_us == 2 * 450 * US_PER_MINUTE  # Thursday, Friday; the weekend is free
    with pytest.raises(ValueError, match="time order"):
        ledger(calendar, list(reversed(marks)), monday + timedelta(days=9))


def test_routing_names_the_step_of_each_state_and_handover():
    steps = route([("Thẩm định", "specialist", Decimal("0.5"), None),
                   ("Xác định nghĩa vụ tài chính", "specialist", Decimal("0.3"), "THUE"),
                   ("Phê duyệt", "leader", Decimal("0.2"), "")])
    assert step_for(steps, "examining").name == "Thẩm định"
    assert step_for(steps, "awaiting_approval").name == "Phê duyệt"
    assert step_for(steps, "transferred", "THUE").share == Decimal("0.3")
    ad_hoc = step_for(steps, "transferred", "CONG-AN")
    assert ad_hoc.name == UNROUTED_HANDOVER and ad_hoc.share is None
    assert step_for(steps, "approved").share is None  # no step of the one-stop desk
    assert allowed_minutes(4500, Decimal("0.3")) == 1350 and allowed_minutes(10, None) is None


def test_a_dossier_whose_clock_has_not_started_yet_has_an_empty_ledger():
    """Received at lunchtime, its clock starts at the next working moment: asked before then,
    the ledger is empty (the ledger page crashed at lunchtime)."""
    calendar = WorkingCalendar.vietnam(range(2026, 2027))
    noon = datetime(2026, 12, 7, 12, 0)
    held = ledger(calendar, [Mark(noon.replace(hour=13, minute=30), "HOME", "Thẩm định")], noon)
    assert held.total_us == 0 and held.agencies == () and held.steps == ()
