"""The monitoring centre's facts, dashboards, public page, API and reports.

* Facts moved by events equal facts rebuilt from scratch, for random event sequences
  (hypothesis), and a rebuild of a range of days equals a full one.
* Every number on the dashboards links to a drill-down listing exactly that many dossiers.
* Who may see what; query counts of the dashboard pages.
"""

from __future__ import annotations

import datetime as dt
import re
from datetime import date, timedelta
from html import unescape

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dichvucong.dossiers import lifecycle
from dichvucong.dossiers.actions import perform
from dichvucong.dossiers.models import Dossier
from dichvucong.monitor import facts, metrics
from dichvucong.monitor.models import (
    AgencyDailyFact,
    AgencyMonthlyFact,
    AgencyYearlyFact,
    DailyFact,
    DossierFact,
    FieldMonthlyFact,
)
from dichvucong.pipeline import worker as pipeline
from dichvucong.ratings.models import Rating

from .monitor_fixture import VN, Actors, build, draft, pay, rate, user

pytestmark = pytest.mark.django_db


def snapshot() -> tuple[dict, dict]:
    dossier_facts = {r["dossier_id"]: r for r in DossierFact.objects.values(*facts.FACT_COLUMNS)}
    measures = [m.name for m in facts.MEASURES]
    sums = {}
    for table, model, keys in (("daily", DailyFact, ("day", *facts.KEY_FIELDS)),
                               ("agency", AgencyDailyFact, ("day", "agency_id", "channel")),
                               ("month", AgencyMonthlyFact, ("month", "agency_id", "channel")),
                               ("year", AgencyYearlyFact, ("year", "agency_id", "channel")),
                               ("field month", FieldMonthlyFact,
                                ("month", "agency_id", "field_id", "ward_id", "channel"))):
        for r in model.objects.values(*keys, *measures):
            values = tuple(r[m] for m in measures)
            if any(values):  # a decrement may leave a row of zeros behind; it counts nothing
                sums[(table, *(r[k] for k in keys))] = values
    return dossier_facts, sums


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
            pay(d, "cash")
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
        pipeline.drain()
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
    build()
    # An online dossier filed and not yet received: no day to rebuild by, yet a fact of its own.
    waiting = draft(lifecycle_procedure(), user("lanhdao.sotuphap").memberships.first().agency,
                    "online")
    perform(waiting.pk, "submit", Actors("sotuphap").citizen, "applicant")
    pipeline.drain()
    full = snapshot()
    # Spoil the facts of 5/3 – 18/3, then rebuild only those days.
    DailyFact.objects.filter(day__range=(date(2025, 3, 5), date(2025, 3, 18))).update(
        received=99, on_time=99)
    DossierFact.objects.filter(finished_on=date(2025, 3, 18)).update(on_time=None)
    # Any range rebuilds it (the history generator rebuilds by range, and left such out).
    DossierFact.objects.filter(dossier_id=waiting.pk).delete()
    facts.rebuild(date(2025, 3, 5), date(2025, 3, 18))
    assert snapshot() == full
    facts.rebuild()
    assert snapshot() == full


def lifecycle_procedure():
    from dichvucong.catalog.models import Procedure

    return Procedure.objects.get(code="DNG.707970")


def test_a_rolled_back_action_leaves_the_facts_alone():
    d = draft(__import__("dichvucong.catalog.models", fromlist=["Procedure"]).Procedure.objects
              .get(code="DNG.707970"), user("lanhdao.sotuphap").memberships.first().agency,
              "in_person")
    before = snapshot()
    with pytest.raises(RuntimeError), transaction.atomic():
        perform(d.pk, "enter_walk_in", user("motcua.sotuphap"), "reception_officer")
        pipeline.drain()
        assert DossierFact.objects.filter(dossier=d).exists()
        raise RuntimeError("the rest of the action failed")
    assert snapshot() == before


def test_rating_moves_the_satisfaction_facts():
    fx = build()
    d4 = fx.dossiers["D4"]
    assert not DossierFact.objects.get(dossier=d4).rated
    rate(d4, "not_satisfied")
    pipeline.drain()
    fact = DossierFact.objects.get(dossier=d4)
    assert fact.rated and fact.not_satisfied
    day = DailyFact.objects.get(day=date(2025, 3, 7), agency=fx.justice, channel="online")
    assert (day.rated, day.not_satisfied) == (1, 1)
    Rating.objects.filter(dossier=d4).delete()
    pipeline.drain()
    day.refresh_from_db()
    assert (day.rated, day.not_satisfied) == (0, 0)


# --- dashboards ---------------------------------------------------------------------------------

MARCH = "start=2025-03-01&end=2025-03-31"
COUNT_LINK = re.compile(r'<a href="([^"]+)" data-count="(\d+)">')


def logged_in(client, username: str):
    client.force_login(user(username))
    return client


def drilled_rows(client, href: str) -> tuple[int, int]:
    """(the total the drill-down page states, the rows it lists over all its pages)."""
    rows, total, url = 0, None, href
    while url:
        html = client.get(url).content.decode()
        if total is None:
            total = int(re.search(r'data-total="(\d+)"', html).group(1))
        rows += html.count('class="drill-row"')
        following = re.search(r'<a href="([^"]+)" rel="next">', html)
        url = unescape(following.group(1)) if following else None
    return total, rows


def assert_every_number_drills_down(client, path: str) -> int:
    html = client.get(path).content.decode()
    links = COUNT_LINK.findall(html)
    assert links, path
    for href, count in links:
        total, rows = drilled_rows(client, unescape(href))
        assert (total, rows) == (int(count), int(count)), (href, count, total, rows)
    return len(links)


def test_every_number_on_the_dashboards_links_to_exactly_its_dossiers(client):
    fx = build()
    logged_in(client, "ioc")
    city = assert_every_number_drills_down(client, f"/giam-sat/?{MARCH}")
    agency = assert_every_number_drills_down(client,
                                             f"/giam-sat/co-quan/{fx.justice.pk}/?{MARCH}")
    assert city > 20 and agency > 20


def test_drilldown_pages_by_key(client, monkeypatch):
    from dichvucong.monitor import views

    fx = build()
    monkeypatch.setattr(views, "PAGE_SIZE", 4)
    logged_in(client, "ioc")
    total, rows = drilled_rows(client, f"/giam-sat/ho-so/?{MARCH}&measure=received"
                                       f"&agency={fx.justice.pk}")
    assert (total, rows) == (11, 11)
    assert client.get("/giam-sat/ho-so/?measure=nothing").status_code == 404


def test_the_city_dashboard_shows_the_figures(client):
    fx = build()
    html = logged_in(client, "ioc").get(f"/giam-sat/?{MARCH}").content.decode()
    assert "Sở Tư pháp" in html and "Ủy ban nhân dân phường Hải Châu" in html
    assert "50,00 %" in html  # Sở Tư pháp's on-time rate
    assert "<svg" in html and "<script" not in html.split("<main", 1)[1]
    # The weekly targets are for the current week: nothing received in it here.
    assert "Chỉ tiêu tuần" in html
    assert fx.dossiers["D1"].code not in html  # codes only on drill-down pages


def test_who_may_see_what(client):
    fx = build()
    assert client.get("/giam-sat/").status_code == 302  # to the login page
    assert logged_in(client, "congdan").get("/giam-sat/").status_code == 403
    assert client.get("/giam-sat/ho-so/?measure=received").status_code == 403
    head = logged_in(client, "thutruong.sotuphap")
    response = head.get("/giam-sat/")
    assert response.status_code == 302 and response.url == f"/giam-sat/co-quan/{fx.justice.pk}/"
    assert head.get(f"/giam-sat/co-quan/{fx.justice.pk}/?{MARCH}").status_code == 200
    assert head.get(f"/giam-sat/co-quan/{fx.hai_chau.pk}/").status_code == 403
    assert head.get(f"/giam-sat/bao-cao/{fx.hai_chau.pk}.xlsx").status_code == 403
    # Another agency's dossiers are not listed, whatever the link says.
    page = head.get(f"/giam-sat/ho-so/?{MARCH}&measure=received&agency={fx.hai_chau.pk}")
    assert page.status_code == 403
    own = head.get(f"/giam-sat/ho-so/?{MARCH}&measure=received").content.decode()
    assert fx.dossiers["D1"].code in own and fx.dossiers["H1"].code not in own
    # The city's procedure-control office sees the whole city.
    assert logged_in(client, "kiemsoat").get(f"/giam-sat/?{MARCH}").status_code == 200


def _city_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/giam-sat/?{MARCH}").status_code == 200
    # The user's roles read once for the navigation and the access check (User.held_roles).
    assert sum("accounts_membership" in q["sql"] for q in queries.captured_queries) == 1
    return len(queries)


def test_dashboard_query_counts_do_not_grow_with_the_data(client):
    from .monitor_fixture import Actors, at, draft, examine, receive, resolve

    fx = build()
    logged_in(client, "ioc")
    client.get(f"/giam-sat/?{MARCH}")  # sessions, caches
    before = _city_queries(client)
    with CaptureQueriesContext(connection) as queries:
        client.get(f"/giam-sat/co-quan/{fx.justice.pk}/?{MARCH}")
    agency_before = len(queries)
    # More dossiers, at more agencies and procedures.
    from dichvucong.agencies.models import Agency
    from dichvucong.catalog.models import Procedure

    birth = Procedure.objects.get(code="1.001193")
    others = Agency.objects.filter(kind="commune_committee").exclude(pk=fx.hai_chau.pk)[:2]
    assert len(others) == 2
    for agency in others:
        for _ in range(3):
            d = draft(birth, agency, "in_person")
            who = Actors("haichau")
            receive(d, who, at(4))
            examine(d, who, at(4, 9))
            resolve(d, who, at(4, 10))
    assert _city_queries(client) == before <= 30
    with CaptureQueriesContext(connection) as queries:
        client.get(f"/giam-sat/co-quan/{fx.justice.pk}/?{MARCH}")
    assert len(queries) == agency_before <= 30


def test_the_dashboards_in_english(client):
    fx = build()
    logged_in(client, "ioc").post("/i18n/setlang/", {"language": "en"})
    html = client.get(f"/giam-sat/?{MARCH}").content.decode()
    assert "Key figures" in html and "Agency ranking" in html and "Dossiers received" in html
    html = client.get(f"/giam-sat/co-quan/{fx.justice.pk}/?{MARCH}").content.decode()
    assert "Decision 766 index" in html and "Download the report (PDF)" in html
    html = client.get(f"/giam-sat/ho-so/?{MARCH}&measure=late").content.decode()
    assert "Dossiers resolved late" in html and "3 dossiers" in html


def test_public_page_needs_no_login_and_shows_no_dossier(client):
    fx = build()
    html = client.get(f"/minh-bach/?{MARCH}").content.decode()
    assert "Sở Tư pháp" in html and "50,00 %" in html and "72,73 %" in html
    assert fx.dossiers["D1"].code not in html and "Nguyễn Văn An" not in html
    assert "data-count" not in html


def test_public_page_finds_agencies_by_level_ward_and_name_a_page_at_a_time(client, monkeypatch):
    from django.utils import translation

    from dichvucong.monitor import transparency

    fx = build()

    def names(**params) -> list[str]:
        html = client.get("/minh-bach/", {"start": "2025-03-01", "end": "2025-03-31",
                                          **params}).content.decode()
        return re.findall(r'<th scope="row">([^<]+)</th>', html)

    both = ["Sở Tư pháp", "Ủy ban nhân dân phường Hải Châu"]
    assert names() == both
    assert names(cap="province") == ["Sở Tư pháp"]
    assert names(cap="commune") == ["Ủy ban nhân dân phường Hải Châu"]
    ward = fx.hai_chau.administrative_unit.code
    assert names(xa=ward) == ["Ủy ban nhân dân phường Hải Châu"]
    assert names(q="hai chau") == names(q="P. HẢI Ch") == ["Ủy ban nhân dân phường Hải Châu"]
    assert names(q="hai chau", cap="province") == []
    assert names(q="tu phap", xa=ward) == []
    # Values that are not choices filter nothing.
    assert names(cap="all", xa="99999") == both
    # A page at a time; a page number out of range shows the last page.
    monkeypatch.setattr(transparency, "PAGE_SIZE", 1)
    assert names(trang="1") == ["Sở Tư pháp"]
    assert names(trang="2") == names(trang="9") == ["Ủy ban nhân dân phường Hải Châu"]
    html = client.get("/minh-bach/", {"period": "year", "cap": "commune"}).content.decode()
    assert 'href="?period=year&amp;cap=commune"' in html  # the period chips keep the filter
    # The requests activate English in this thread: override gives the language back after.
    with translation.override(translation.get_language()):
        client.post("/i18n/setlang/", {"language": "en"})
        html = client.get("/minh-bach/", {"start": "2025-03-01",
                                          "end": "2025-03-31"}).content.decode()
    main = html.split("<main", 1)[1]
    assert "Agency name" in main and "2 agencies" in main and "City level" in main


# --- API ----------------------------------------------------------------------------------------


def test_api_gives_the_dashboard_figures(client):
    fx = build()
    assert client.get("/api/v1/monitor/figures").status_code == 401
    logged_in(client, "ioc")
    body = client.get(f"/api/v1/monitor/figures?{MARCH}&agency={fx.justice.pk}").json()
    expected = metrics.figures(metrics.Scope(dt.date(2025, 3, 1), dt.date(2025, 3, 31),
                                             agency_ids=(fx.justice.pk,)))
    assert body["received"] == 11 and body["on_time_rate"] == 50.0
    assert {k: body[k] for k in ("received", "resolved", "late", "overdue")} == {
        k: getattr(expected, k) for k in ("received", "resolved", "late", "overdue")}
    rows = client.get(f"/api/v1/monitor/breakdown?by=channel&{MARCH}"
                      f"&agency={fx.justice.pk}").json()
    assert {r["key"]: r["figures"]["received"] for r in rows} == {
        "online": 7, "agent": 1, "counter": 2, "post": 1}
    index = client.get(f"/api/v1/monitor/index766?{MARCH}&agency={fx.justice.pk}").json()
    assert {i["code"]: i["points"] for i in index["indicators"]}["4.1"] == 4.8
    head = logged_in(client, "thutruong.sotuphap")
    assert head.get(f"/api/v1/monitor/figures?agency={fx.hai_chau.pk}").status_code == 403
    assert head.get("/api/v1/monitor/breakdown?by=everything").status_code == 422
    client.logout()
    public = client.get(f"/api/v1/monitor/public?{MARCH}").json()
    rates = {a["agency"]: (a["on_time_rate"], a["online_rate"]) for a in public["agencies"]}
    assert rates["Sở Tư pháp"] == (50.0, 72.73)


# --- reports ------------------------------------------------------------------------------------


def test_reports_as_xlsx_and_pdf(client):
    import io

    from openpyxl import load_workbook
    from pypdf import PdfReader

    fx = build()
    logged_in(client, "thutruong.sotuphap")
    response = client.get(f"/giam-sat/bao-cao/{fx.justice.pk}.xlsx?{MARCH}")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    summary = {row[0]: row[1] for row in book["Tổng hợp"].iter_rows(values_only=True) if row}
    assert summary["Hồ sơ tiếp nhận"] == "11"
    assert summary["Tỷ lệ giải quyết đúng hạn"] == "50,00 %"
    assert summary["  đúng hạn / trễ hạn"] == "3 / 3"
    procedures = list(book["Theo thủ tục"].iter_rows(values_only=True))
    assert procedures[1][0] == "DNG.707970" and procedures[1][2] == 11
    index = {r[0]: r[6] for r in book["Chỉ số 766"].iter_rows(values_only=True)}
    # A past period: (on time 3 + withdrawn 1 + stopped 1) ÷ (resolved 6 + 1 + 1) × 20.
    assert index["2.1"] == 12.5
    pdf = client.get(f"/giam-sat/bao-cao/{fx.justice.pk}.pdf?{MARCH}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "BÁO CÁO TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH" in text
    assert "Sở Tư pháp" in text and "Tỷ lệ giải quyết đúng hạn" in text
    assert client.get(f"/giam-sat/bao-cao/{fx.justice.pk}.doc").status_code == 404


def test_drill_links_are_the_scope_with_the_changes_over_it():
    """``views.drill_url`` encodes the scope's part and the path once (a cache): the link is
    still exactly urlencode's of the scope's parameters with the changes over them, under the
    request's script prefix."""
    from urllib.parse import urlencode

    from django.urls import reverse, set_script_prefix

    from dichvucong.monitor import views

    scope = metrics.Scope(date(2026, 1, 1), date(2026, 1, 31), agency_ids=(7,), field_id=3,
                          channel="online")
    expected = {"start": "2026-01-01", "end": "2026-01-31", "agency": 9, "field": 3,
                "channel": "counter", "measure": "received"}
    assert views.drill_url(scope, "received", agency=9, channel="counter", ward=None) == (
        f"{reverse('monitor:dossiers')}?{urlencode(expected)}")
    assert views.drill_url(scope, "late").endswith("&field=3&channel=online&measure=late")
    try:
        set_script_prefix("/cong-dich-vu/")
        assert views.drill_url(scope, "late").startswith("/cong-dich-vu/giam-sat/ho-so/?")
    finally:
        set_script_prefix("/")
