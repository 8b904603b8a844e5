"""The monitoring centre's facts, dashboards, public page, API and reports.

* Facts moved by events equal facts rebuilt from scratch, for random event sequences
  (hypothesis), and a rebuild of a range of days equals a full one.
* Every number on the dashboards links to a drill-down listing exactly that many dossiers.
* Who may see what; query counts of the dashboard pages.
"""

from __future__ import annotations

import datetime as dt
from datetime import date, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dichvucong.dossiers import lifecycle
from dichvucong.dossiers.actions import perform
from dichvucong.dossiers.models import Dossier
from dichvucong.monitor import facts
from dichvucong.monitor.models import DailyFact, DossierFact
from dichvucong.ratings.models import Rating

from .monitor_fixture import VN, Actors, draft, pay, rate, user

pytestmark = pytest.mark.django_db


def snapshot() -> tuple[dict, dict]:
    dossier_facts = {r["dossier_id"]: r for r in DossierFact.objects.values(*facts.FACT_COLUMNS)}
    measures = [m.name for m in facts.MEASURES]
    daily = {}
    for r in DailyFact.objects.values("day", *facts.KEY_FIELDS, *measures):
        values = tuple(r[m] for m in measures)
        if any(values):  # a decrement may leave a row of zeros behind; it counts nothing
            daily[(r["day"], *(r[k] for k in facts.KEY_FIELDS))] = values
    return dossier_facts, daily


# --- facts by events = facts rebuilt ------------------------------------------------------------

CHANNELS = ("online", "in_person", "post", "agent")
ONLINE = ("online", "agent")
FORWARD = ("submit", "enter_walk_in", "receive", "assign", "provide_supplement", "examine",
           "approve", "issue_result", "return_result", "close")
START = dt.datetime(2025, 4, 21, 8, 0, tzinfo=VN)  # the week before the 30/4 and 1/5 holidays


def _role_for(state: str, action: str) -> str:
    for row in lifecycle.TRANSITIONS[lifecycle.Action(action)]:
        if lifecycle.State(state) in row.sources:
            return sorted(r.value for r in row.roles if r.value != "system")[0]
    raise AssertionError(action)


dossier_plans = st.lists(
    st.tuples(st.sampled_from(CHANNELS), st.booleans(),
              st.lists(st.tuples(st.integers(0, 40), st.integers(1, 30),
                                 st.sampled_from(["act", "act", "act", "pay_online", "pay_counter",
                                                  "rate_bad", "rate_good"])),
                       min_size=1, max_size=14)),
    min_size=1, max_size=4)


def _play(plans) -> None:
    from dichvucong.agencies.models import Agency
    from dichvucong.catalog.models import Procedure

    justice = Agency.objects.get(name="Sở Tư pháp")
    hai_chau = Agency.objects.get(name="Ủy ban nhân dân phường Hải Châu")
    lltp = Procedure.objects.select_related("current_version").get(code="DNG.707970")
    birth = Procedure.objects.select_related("current_version").get(code="1.001193")
    actors = {justice.pk: Actors("sotuphap"), hai_chau.pk: Actors("haichau")}
    by_role = {"reception_officer": "reception", "specialist": "specialist",
               "leader": "leader", "applicant": "citizen"}
    agent = user("daily.buudien")
    dossiers = []
    for channel, at_ward, _ in plans:
        agency, procedure = (hai_chau, birth) if at_ward else (justice, lltp)
        dossiers.append(draft(procedure, agency, channel,
                              agent=agent if channel == "agent" else None))
    # Interleave the dossiers' steps, as a real day does.
    steps = [(i, step) for i, (_, _, plan) in enumerate(plans) for step in plan]
    steps.sort(key=lambda s: s[1][0])
    clock = {i: START for i in range(len(dossiers))}
    for i, (_, hours, what) in steps:
        clock[i] += timedelta(hours=hours)
        d = Dossier.objects.get(pk=dossiers[i].pk)
        who = actors[d.agency_id]
        if what == "pay_online":
            pay(d, "vnpay")
        elif what == "pay_counter":
            pay(d, "counter")
        elif what.startswith("rate"):
            if d.state in {"returned", "done", "refused", "rejected"} and not hasattr(d, "rating"):
                rate(d, "not_satisfied" if what == "rate_bad" else "satisfied")
        else:
            roles = ["applicant", "reception_officer", "specialist", "leader"]
            allowed = [a for a in lifecycle.allowed_actions(d.state, roles)
                       if not (d.channel not in ONLINE and a == lifecycle.Action.submit)
                       and not (d.channel in ONLINE and a == lifecycle.Action.enter_walk_in)]
            if not allowed:
                continue
            # Mostly forward, so that many dossiers get resolved; now and then any action.
            forward = [a for a in FORWARD if a in allowed]
            action = forward[0] if forward and hours % 4 else allowed[hours % len(allowed)]
            role = _role_for(d.state, action)
            data = {"attachment": 1} if action == "issue_result" and hours % 3 else {}
            perform(d.pk, action, getattr(who, by_role[role]), role, "ghi chú",
                    now=clock[i], data=data)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(plans=dossier_plans)
def test_facts_moved_by_events_equal_facts_rebuilt(plans):
    with transaction.atomic():
        _play(plans)
        moved = snapshot()
        facts.rebuild()
        rebuilt = snapshot()
        assert moved[0] == rebuilt[0]
        assert moved[1] == rebuilt[1]
        # Only dossiers that left the draft state have facts.
        assert set(moved[0]) == set(Dossier.objects.exclude(state="draft")
                                    .values_list("pk", flat=True))
        transaction.set_rollback(True)


def test_rebuilding_a_range_of_days_equals_a_full_rebuild():
    from .monitor_fixture import build

    build()
    full = snapshot()
    # Spoil the facts of 5/3 – 18/3, then rebuild only those days.
    DailyFact.objects.filter(day__range=(date(2025, 3, 5), date(2025, 3, 18))).update(
        received=99, on_time=99)
    DossierFact.objects.filter(finished_on=date(2025, 3, 18)).update(on_time=None)
    facts.rebuild(date(2025, 3, 5), date(2025, 3, 18))
    assert snapshot() == full
    facts.rebuild()
    assert snapshot() == full


def test_a_rolled_back_action_leaves_the_facts_alone():
    d = draft(__import__("dichvucong.catalog.models", fromlist=["Procedure"]).Procedure.objects
              .get(code="DNG.707970"), user("lanhdao.sotuphap").memberships.first().agency,
              "in_person")
    before = snapshot()
    with pytest.raises(RuntimeError), transaction.atomic():
        perform(d.pk, "enter_walk_in", user("motcua.sotuphap"), "reception_officer")
        assert DossierFact.objects.filter(dossier=d).exists()
        raise RuntimeError("the rest of the action failed")
    assert snapshot() == before


def test_rating_moves_the_satisfaction_facts():
    from .monitor_fixture import build

    fx = build()
    d4 = fx.dossiers["D4"]
    assert not DossierFact.objects.get(dossier=d4).rated
    rate(d4, "not_satisfied")
    fact = DossierFact.objects.get(dossier=d4)
    assert fact.rated and fact.not_satisfied
    day = DailyFact.objects.get(day=date(2025, 3, 7), agency=fx.justice, channel="online")
    assert (day.rated, day.not_satisfied) == (1, 1)
    Rating.objects.filter(dossier=d4).delete()
    day.refresh_from_db()
    assert (day.rated, day.not_satisfied) == (0, 0)
