"""Deadline alerts: the rules on the working calendar (a weekend, Tết 2027), the scan with a frozen
clock (raise once, clear when the cause goes, recipients through the notification outbox),
acknowledgement, the list page and the API with their scopes."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Q
from django.db.models.sql.compiler import SQLCompiler
from django.urls import reverse

from dichvucong.accounts.models import User
from dichvucong.agencies.models import Agency
from dichvucong.alerts import queries, rules
from dichvucong.alerts.models import Alert, StepSplit
from dichvucong.alerts.rules import Kind, Rules, StepThreshold
from dichvucong.alerts.scan import scan
from dichvucong.backoffice import services as backoffice
from dichvucong.catalog.models import Procedure
from dichvucong.dossiers import actions
from dichvucong.dossiers.lifecycle import Action, LifecycleRole, State
from dichvucong.dossiers.models import Dossier, DossierChannel, DossierEvent
from dichvucong.workflow.deadlines import WorkingCalendar, step_bounds, step_deadlines
from tests import builders

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = WorkingCalendar.vietnam(range(2026, 2029))


def at(y, m, d, hh=0, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=VN)


# --- the rules, on the calendar ---------------------------------------------------------------


def test_reception_window_across_a_weekend():
    # Monday 09:00: 90 working minutes this morning, 150 more on Friday afternoon.
    window = rules.window(CAL, at(2027, 1, 25, 9), Rules())
    assert window.submitted_before == at(2027, 1, 22, 14, 30)


def test_near_due_is_one_working_day_before_across_a_weekend_and_tet():
    # An ordinary weekday: exactly S1's due − 24 h.
    assert rules.window(CAL, at(2027, 1, 19, 10), Rules()).near_until == at(2027, 1, 20, 10)
    # Friday 10:00 warns of what is due by Monday 10:00.
    assert rules.window(CAL, at(2027, 1, 22, 10), Rules()).near_until == at(2027, 1, 25, 10)
    # Tết 2027 (Thu 4 – Wed 10 February off): Wednesday 3 February warns of Thursday 11.
    assert rules.window(CAL, at(2027, 2, 3, 10), Rules()).near_until == at(2027, 2, 11, 10)


def test_supplement_window_counts_working_days():
    window = rules.window(CAL, at(2027, 2, 11, 10), Rules(supplement_working_days=2))
    # Two working days before Thu 11 February 10:00, skipping Tết: Tue 2 February 10:00.
    assert window.supplement_before == at(2027, 2, 2, 10)


def test_step_threshold_parses_days_and_shares():
    assert StepThreshold.parse("1d") == StepThreshold("working_days", Decimal(1))
    assert StepThreshold.parse("25%") == StepThreshold("share", Decimal("0.25"))
    assert StepThreshold.parse("25%").minutes(1350, 450) == 338
    assert StepThreshold.parse("0.5d").minutes(1350, 450) == 225
    for bad in ("", "x", "120%", "-1d"):
        with pytest.raises(ValueError):
            StepThreshold.parse(bad)


def test_running_step_follows_the_state():
    roles = ["specialist", "leader", "reception_officer"]
    assert rules.running_step("examining", roles) == 0
    assert rules.running_step("received", roles) == 0
    assert rules.running_step("awaiting_approval", roles) == 1
    assert rules.running_step("approved", roles) == 2
    assert rules.running_step("approved", ["specialist", "leader", "specialist"]) == 2
    assert rules.running_step("submitted", roles) is None
    assert rules.running_step("awaiting_approval", ["specialist"]) is None
    # A two-level path: the step of the state's kind, not the first leader's.
    path = ["leader", "specialist", "leader", "agency_head", "reception_officer"]
    kinds = ["assign", "process", "review", "approve", "issue"]
    assert rules.running_step("awaiting_review", path, kinds) == 2
    assert rules.running_step("awaiting_approval", path, kinds) == 3
    assert rules.running_step("awaiting_approval", path) == 0  # by role alone


def test_step_check_of_the_default_plan():
    # Five working days from Monday 18 January; the specialist's 60 % ends Wednesday 17:00.
    shares = [Decimal("0.6"), Decimal("0.3"), Decimal("0.1")]
    received, due = at(2027, 1, 18, 7, 30), at(2027, 1, 25, 7, 30)
    threshold = StepThreshold.parse("25%")
    early = rules.step_check(CAL, at(2027, 1, 19, 17), received, due, shares, 0, threshold)
    assert early.due_at == at(2027, 1, 20, 17)
    assert early.threshold_minutes == 338 and not early.near
    late = rules.step_check(CAL, at(2027, 1, 20, 11), received, due, shares, 0, threshold)
    assert late.near and late.remaining_minutes == 240
    # What the scan stores: the step's due time and the instant it becomes near, which is when
    # step_check says near; each step's bounds as step_deadlines gives them.
    due_at, near_from = rules.step_split(CAL, received, due, shares, 0, threshold)
    assert due_at == early.due_at and near_from == at(2027, 1, 20, 9, 22)
    assert rules.step_check(CAL, near_from, received, due, shares, 0, threshold).near
    assert not rules.step_check(CAL, near_from - timedelta(minutes=1), received, due, shares,
                                0, threshold).near
    for moment in (received, at(2027, 1, 18, 12), at(2027, 1, 16, 9)):
        deadlines = step_deadlines(CAL, moment, due, shares)
        starts = [CAL.next_working_moment(moment), *deadlines[:-1]]
        assert [step_bounds(CAL, moment, due, shares, i) for i in range(3)] == list(
            zip(starts, deadlines, strict=True))


def test_cause_keys_carry_the_deadline():
    assert rules.cause(Kind.not_received, 7) == "not_received:7"
    assert rules.cause(Kind.no_apology, 7) == "no_apology:7"
    due = at(2027, 2, 11, 10)
    assert rules.cause(Kind.overdue, 7, due) != rules.cause(Kind.overdue, 7, due + timedelta(1))
    assert rules.cause(Kind.step_near_due, 7, due, 1).startswith("step_near_due:7:s1:")


# --- the scan ------------------------------------------------------------------------------------


@pytest.fixture
def people(db):
    names = ["chuyenvien.sotuphap", "lanhdao.sotuphap", "motcua.sotuphap", "kiemsoat", "ioc",
             "chuyenvien.haichau", "congdan"]
    return {u.username: u for u in User.objects.filter(username__in=names)}


@pytest.fixture
def justice(db):
    return Agency.objects.get(name="Sở Tư pháp")


@pytest.fixture
def procedure(justice):
    found = (Procedure.objects.filter(agency=justice, is_active=True,
                                      current_version__isnull=False)
             .exclude(current_version__definition__has_key="workflow").order_by("code").first())
    if found is None:  # every version lists its workflow: take one whose list is empty
        found = Procedure.objects.filter(agency=justice, current_version__isnull=False).first()
    return found


def make(procedure, justice, people, *, state: str, submitted: datetime,
         received: datetime | None = None, due: datetime | None = None,
         paused: datetime | None = None, assignee: str | None = "chuyenvien.sotuphap",
         channel: str = DossierChannel.ONLINE) -> Dossier:
    """A dossier filed and moved through the lifecycle at the given instants."""
    dossier = builders.filed(procedure, where=justice, citizen=people["congdan"], now=submitted,
                             channel=channel)
    if state == State.submitted.value:
        return dossier
    if state == State.reception_supplement.value:
        actions.perform(dossier.pk, Action.request_supplement, people["motcua.sotuphap"],
                        LifecycleRole.reception_officer, "Thiếu bản sao giấy khai sinh",
                        now=submitted)
        DossierEvent.objects.filter(dossier=dossier, action="request_supplement").update(
            created_at=paused)
        return Dossier.objects.get(pk=dossier.pk)
    actions.perform(dossier.pk, Action.receive, people["motcua.sotuphap"],
                    LifecycleRole.reception_officer, now=received)
    actions.perform(dossier.pk, Action.assign, people["lanhdao.sotuphap"], LifecycleRole.leader,
                    now=received)
    fields = {"due_at": due, "original_due_at": due, "received_at": received,
              "assignee": people[assignee] if assignee else None}
    if state == State.processing_supplement.value:
        actions.perform(dossier.pk, Action.request_supplement, people["chuyenvien.sotuphap"],
                        LifecycleRole.specialist, "Thiếu giấy tờ", now=paused)
        fields["paused_at"] = paused
    elif state == State.awaiting_approval.value:
        actions.perform(dossier.pk, Action.examine, people["chuyenvien.sotuphap"],
                        LifecycleRole.specialist, now=received)
    Dossier.objects.filter(pk=dossier.pk).update(**fields)
    return Dossier.objects.get(pk=dossier.pk)


def alerts_of(dossier: Dossier, *, open_only: bool = True) -> dict[str, Alert]:
    qs = Alert.objects.filter(dossier=dossier)
    if open_only:
        qs = qs.filter(cleared_at__isnull=True)
    return {alert.kind: alert for alert in qs}


def notifications(alert: Alert):
    from dichvucong.notify.models import Notification

    return Notification.objects.filter(dedupe_key__startswith=f"alert:{alert.pk}:")


def test_not_received_across_tet_raised_once_then_cleared_on_reception(procedure, justice,
                                                                        people):
    # Submitted the afternoon before Tết: one working hour that day, then a week off.
    dossier = make(procedure, justice, people, state="submitted", submitted=at(2027, 2, 3, 16))
    scan(at(2027, 2, 11, 9))  # 60 + 90 working minutes: not yet
    assert alerts_of(dossier) == {}
    first = scan(at(2027, 2, 11, 10, 45))  # 60 + 195 minutes: over 4 working hours
    alert = alerts_of(dossier)[Kind.not_received]
    assert alert.raised_at == at(2027, 2, 11, 10, 45) and first.raised >= 1
    # The reception officers, the unit's leader, the city's procedure controller.
    told = set(notifications(alert).values_list("user__username", flat=True))
    assert told == {"motcua.sotuphap", "lanhdao.sotuphap", "kiemsoat"}
    assert set(notifications(alert).values_list("event", flat=True)) == {"alert.not_received"}
    sent = notifications(alert).count()

    scan(at(2027, 2, 11, 11))  # the same cause: nothing new
    assert Alert.objects.filter(dossier=dossier).count() == 1
    assert notifications(alert).count() == sent

    actions.perform(dossier.pk, Action.receive, people["motcua.sotuphap"],
                    LifecycleRole.reception_officer, now=at(2027, 2, 11, 11, 10))
    scan(at(2027, 2, 11, 11, 15))
    alert.refresh_from_db()
    assert alert.cleared_at == at(2027, 2, 11, 11, 15)
    # Submitted in time (received within the 4 hours): never alerted.
    quick = make(procedure, justice, people, state="submitted", submitted=at(2027, 2, 11, 9))
    scan(at(2027, 2, 11, 11, 15))
    assert alerts_of(quick) == {}


def test_near_due_before_tet_then_overdue_without_apology_then_apology_clears(
        procedure, justice, people):
    dossier = make(procedure, justice, people, state="examining",
                   submitted=at(2027, 1, 28, 9), received=at(2027, 1, 28, 9),
                   due=at(2027, 2, 11, 10))
    scan(at(2027, 2, 3, 9))  # the due time is more than one working day away
    assert Kind.near_due not in alerts_of(dossier)
    scan(at(2027, 2, 3, 10, 30))  # the last working day before Tết warns
    near = alerts_of(dossier)[Kind.near_due]
    assert near.due_at == at(2027, 2, 11, 10)
    told = set(notifications(near).values_list("user__username", flat=True))
    assert told == {"chuyenvien.sotuphap", "lanhdao.sotuphap", "kiemsoat"}
    scan(at(2027, 2, 5, 10))  # during Tết: still the same alert
    assert Alert.objects.filter(dossier=dossier, kind=Kind.near_due).count() == 1

    scan(at(2027, 2, 11, 10, 30))
    found = alerts_of(dossier)
    assert {Kind.overdue, Kind.no_apology} <= set(found)
    assert Kind.near_due not in found  # no longer near: late
    # The missing apology is its own message, to the same people as the delay.
    unapologised = notifications(found[Kind.no_apology])
    assert set(unapologised.values_list("event", flat=True)) == {"alert.no_apology"}
    assert set(unapologised.values_list("user__username", flat=True)) == set(
        notifications(found[Kind.overdue]).values_list("user__username", flat=True))
    near.refresh_from_db()
    assert near.cleared_at == at(2027, 2, 11, 10, 30)

    backoffice.apologise(dossier.pk, people["chuyenvien.sotuphap"], "Chờ xác minh",
                         at(2027, 2, 18, 17), Dossier.objects.get(pk=dossier.pk).revision,
                         now=at(2027, 2, 11, 11))
    scan(at(2027, 2, 11, 11, 5))
    after = alerts_of(dossier)
    assert Kind.overdue not in after and Kind.no_apology not in after
    cleared = alerts_of(dossier, open_only=False)
    assert cleared[Kind.overdue].cleared_at == at(2027, 2, 11, 11, 5)
    # Late again on the new appointment: a new cause, raised once; the apology still stands.
    scan(at(2027, 2, 19, 8))
    again = Alert.objects.filter(dossier=dossier, kind=Kind.overdue)
    assert again.count() == 2 and again.filter(cleared_at__isnull=True).count() == 1
    assert not Alert.objects.filter(dossier=dossier, kind=Kind.no_apology,
                                    cleared_at__isnull=True).exists()


def test_near_due_over_a_weekend_and_result_clears(procedure, justice, people):
    dossier = make(procedure, justice, people, state="awaiting_approval",
                   submitted=at(2027, 1, 18, 9), received=at(2027, 1, 18, 9),
                   due=at(2027, 1, 25, 9))
    scan(at(2027, 1, 21, 16))  # Thursday: Monday 09:00 is more than a working day away
    assert Kind.near_due not in alerts_of(dossier)
    scan(at(2027, 1, 22, 10))  # Friday 10:00, 71 hours before: the last working day
    assert Kind.near_due in alerts_of(dossier)
    actions.perform(dossier.pk, Action.approve, people["lanhdao.sotuphap"], LifecycleRole.leader,
                    now=at(2027, 1, 22, 11))
    actions.perform(dossier.pk, Action.issue_result, people["chuyenvien.sotuphap"],
                    LifecycleRole.specialist, now=at(2027, 1, 22, 14))
    scan(at(2027, 1, 25, 10))  # result ready: neither near nor overdue
    assert alerts_of(dossier) == {}


def test_step_near_its_own_deadline(procedure, justice, people, monkeypatch):
    dossier = make(procedure, justice, people, state="examining",
                   submitted=at(2027, 1, 18, 7, 30), received=at(2027, 1, 18, 7, 30),
                   due=at(2027, 1, 25, 7, 30))
    if procedure.current_version.parsed().workflow:
        pytest.skip("the fixture procedure has its own workflow")
    scan(at(2027, 1, 19, 17))
    assert Kind.step_near_due not in alerts_of(dossier)
    scan(at(2027, 1, 20, 11))  # 240 working minutes left of the specialist's 1,350
    step = alerts_of(dossier)[Kind.step_near_due]
    assert step.due_at == at(2027, 1, 20, 17) and step.step == "Thẩm định, xử lý hồ sơ"
    assert set(notifications(step).values_list("event", flat=True)) == {"alert.step_near_due"}
    # The split is stored: a scan in a new process (the command) reads it instead of splitting
    # every running dossier's time again.
    stored = StepSplit.objects.get(dossier=dossier)
    assert (stored.step, stored.due_at) == (0, at(2027, 1, 20, 17))
    with monkeypatch.context() as patched:
        patched.setattr(rules, "step_split", lambda *a, **k: pytest.fail("split again"))
        scan(at(2027, 1, 21, 9))  # past the step's deadline: the same alert stays
    assert Alert.objects.filter(dossier=dossier, kind=Kind.step_near_due).count() == 1
    actions.perform(dossier.pk, Action.examine, people["chuyenvien.sotuphap"],
                    LifecycleRole.specialist, now=at(2027, 1, 21, 9, 30))
    scan(at(2027, 1, 21, 10))  # the leader's step is not near: the specialist's alert clears
    assert Kind.step_near_due not in alerts_of(dossier)
    assert StepSplit.objects.get(dossier=dossier).step == 1  # a new state: split again
    Dossier.objects.filter(pk=dossier.pk).update(paused_at=at(2027, 1, 21, 10))
    scan(at(2027, 1, 21, 11))  # no longer running: its split is forgotten
    assert not StepSplit.objects.filter(dossier=dossier).exists()


def test_supplement_not_answered(procedure, justice, people):
    waiting = make(procedure, justice, people, state="processing_supplement",
                   submitted=at(2027, 1, 4, 9), received=at(2027, 1, 4, 9),
                   due=at(2027, 1, 29, 9), paused=at(2027, 1, 11, 9))
    counter = make(procedure, justice, people, state="reception_supplement",
                   submitted=at(2027, 1, 11, 9), paused=at(2027, 1, 11, 9))
    scan(at(2027, 1, 22, 9))  # nine working days: not yet
    assert alerts_of(waiting) == {} and alerts_of(counter) == {}
    scan(at(2027, 1, 25, 10))
    assert Kind.supplement_unanswered in alerts_of(waiting)
    assert Kind.supplement_unanswered in alerts_of(counter)
    actions.perform(waiting.pk, Action.provide_supplement, people["congdan"],
                    LifecycleRole.applicant, now=at(2027, 1, 25, 11))
    scan(at(2027, 1, 25, 12))
    assert Kind.supplement_unanswered not in alerts_of(waiting)
    assert Kind.supplement_unanswered in alerts_of(counter)


def test_scan_reads_few_queries(procedure, justice, people, django_assert_max_num_queries):
    for hour in (8, 9, 10):
        make(procedure, justice, people, state="examining", submitted=at(2027, 1, 18, hour),
             received=at(2027, 1, 18, hour), due=at(2027, 1, 20, hour))
    scan(at(2027, 1, 21, 9))
    # A repeated scan: constant, whatever the data (18: the feedback near due, one query; the
    # stored step splits, one).
    with django_assert_max_num_queries(18):
        scan(at(2027, 1, 21, 9, 5))


# --- acknowledging, the page, the API --------------------------------------------------------


@pytest.fixture
def raised(procedure, justice, people):
    dossier = make(procedure, justice, people, state="examining", submitted=at(2027, 1, 18, 9),
                   received=at(2027, 1, 18, 9), due=at(2027, 1, 20, 9))
    scan(at(2027, 1, 21, 9))
    return alerts_of(dossier)[Kind.overdue]


def listed(response, dossier: Dossier) -> bool:
    """The dossier's code as an item of the list (not in a flash message)."""
    return f">{dossier.code}<" in response.content.decode()


def test_list_page_scopes_and_acknowledges(client, raised, people):
    url = reverse("alerts:list")
    client.force_login(people["chuyenvien.haichau"])  # another agency: not shown
    page = client.get(url)
    assert page.status_code == 200 and not listed(page, raised.dossier)
    assert client.post(reverse("alerts:acknowledge", args=[raised.pk])).status_code == 404

    client.force_login(people["ioc"])  # the city
    page = client.get(url, {"loai": "overdue"})
    assert listed(page, raised.dossier)
    client.force_login(people["kiemsoat"])  # the city's controller watches every agency
    assert listed(client.get(url), raised.dossier)

    client.force_login(people["lanhdao.sotuphap"])
    assert listed(client.get(url, {"trang-thai": "unacknowledged"}), raised.dossier)
    response = client.post(reverse("alerts:acknowledge", args=[raised.pk]),
                           {"next": f"{url}?trang-thai=open"})
    assert response.status_code == 302 and response["Location"] == f"{url}?trang-thai=open"
    raised.refresh_from_db()
    assert raised.acknowledged_by == people["lanhdao.sotuphap"] and raised.acknowledged_at
    first = raised.acknowledged_at
    client.force_login(people["chuyenvien.sotuphap"])
    client.post(reverse("alerts:acknowledge", args=[raised.pk]), {"next": "https://evil.example/"})
    raised.refresh_from_db()
    assert raised.acknowledged_at == first  # the first acknowledgement stands
    mark = f'id="canh-bao-{raised.pk}"'
    assert mark not in client.get(url, {"trang-thai": "unacknowledged"}).content.decode()
    assert mark in client.get(url, {"trang-thai": "acknowledged"}).content.decode()


def test_citizens_may_not_see_alerts(client, raised, people):
    client.force_login(people["congdan"])
    assert client.get(reverse("alerts:list")).status_code == 403
    assert client.get("/api/v1/alerts").status_code == 403


def test_back_office_home_counts_open_alerts(client, raised, people):
    client.force_login(people["lanhdao.sotuphap"])
    html = client.get(reverse("backoffice:home")).content.decode()
    open_now = Alert.objects.filter(Q(agency=raised.agency) | Q(agency__parent=raised.agency),
                                    cleared_at__isnull=True, acknowledged_at__isnull=True).count()
    assert f"{open_now} cảnh báo chưa xác nhận" in html


def test_the_open_count_is_composed_once_per_shape_of_scope(raised, people, monkeypatch):
    """The back office's home counted its alerts through the ORM at every page (about 1 ms of
    composing, issue #19): one query per shape of scope now, its agencies the parameters."""
    justice, haichau = raised.agency, Agency.objects.exclude(pk=raised.agency_id).first()
    scopes = [queries.scope_of(people[name]) for name in people]
    scopes += [queries.Scope(agencies=frozenset({haichau.pk}), watched=frozenset({justice.pk})),
               queries.Scope(agencies=frozenset({justice.pk}), watched=frozenset({justice.pk})),
               queries.Scope(agencies=frozenset({haichau.pk, justice.pk})),
               queries.Scope(agencies=frozenset({justice.pk}))]
    expected = [queries.visible(s).filter(cleared_at__isnull=True, acknowledged_at__isnull=True)
                .count() for s in scopes]
    assert any(expected) and 0 in expected
    assert [queries.open_count(s) for s in scopes] == expected
    other = queries.Scope(agencies=frozenset({haichau.pk}))
    others = queries.visible(other).filter(cleared_at__isnull=True,
                                           acknowledged_at__isnull=True).count()
    # Another agency, same shape as one counted: nothing composed again.
    monkeypatch.setattr(SQLCompiler, "as_sql", lambda *a, **k: pytest.fail("composed again"))
    assert queries.open_count(other) == others
    assert queries.open_count(queries.Scope(agencies=frozenset({justice.pk}))) == expected[-1]


def test_api_lists_and_acknowledges(client, raised, people):
    client.force_login(people["ioc"])
    body = client.get("/api/v1/alerts", {"kind": "overdue"}).json()
    ours = [item for item in body["items"] if item["id"] == raised.pk]
    assert ours and ours[0]["dossier_code"] == raised.dossier.code
    assert ours[0]["kind_label"] == "Quá hạn"
    assert all(item["kind"] == "overdue" for item in body["items"])
    client.force_login(people["chuyenvien.haichau"])
    assert client.post(f"/api/v1/alerts/{raised.pk}/acknowledge").status_code == 404
    client.force_login(people["chuyenvien.sotuphap"])
    done = client.post(f"/api/v1/alerts/{raised.pk}/acknowledge",
                       data=json.dumps({}), content_type="application/json").json()
    assert done["acknowledged_by"] and done["acknowledged_at"]


def test_every_alert_kind_has_its_message_in_both_languages():
    from django.utils import translation

    from dichvucong.alerts.scan import event_for
    from dichvucong.notify import texts

    for kind in Kind:
        text = texts.EVENTS[event_for(kind)]
        assert text.for_official
        with translation.override("en"):
            english = str(text.subject)
        assert english.startswith("Alert: ") and str(text.subject).startswith("Cảnh báo: "), kind


def test_the_partial_index_conditions_are_the_migrations():
    import importlib

    from dichvucong.alerts import scan as scan_module

    migration = importlib.import_module("dichvucong.alerts.migrations.0002_dossier_partial_indexes")
    conditions = {name: condition for name, _table, _cols, condition in migration.INDEXES}
    # The processing index was rebuilt with the review state (two approval levels).
    rebuilt = importlib.import_module("dichvucong.alerts.migrations.0004_routing_review_state")
    assert f"state IN ({rebuilt.NEW})" == scan_module.PROCESSING_INDEX
    assert f"state IN ({rebuilt.OLD})" == conditions["alert_dossier_processing_due"]
    assert conditions["alert_dossier_submitted"] == scan_module.SUBMITTED_INDEX
    assert conditions["alert_dossier_supplement"] == scan_module.SUPPLEMENT_INDEX
    assert f"state IN ({', '.join(repr(s) for s in rules.PROCESSING_STATES)})" == \
        scan_module.PROCESSING_INDEX


def test_every_scan_query_on_the_dossiers_reads_a_partial_index(procedure, justice, people):
    """The scan must not read the history: each of its queries on the dossier table is planned
    on a partial index of the open dossiers (the alert scan's own, or the reception queue's),
    with the parameters as the scan binds them."""
    from django.db import connection

    make(procedure, justice, people, state="examining", submitted=at(2027, 1, 28, 9),
         received=at(2027, 1, 28, 9), due=at(2027, 2, 11, 10))
    queries: list[tuple[str, tuple]] = []

    def capture(execute, sql, params, many, context):
        queries.append((sql, tuple(params or ())))
        return execute(sql, params, many, context)

    from dichvucong.alerts.scan import find

    with connection.execute_wrapper(capture):
        assert find(at(2027, 2, 11, 10, 30))  # finding the causes: the part that reads dossiers
    on_dossiers = [(sql, params) for sql, params in queries
                   if sql.lstrip().startswith("SELECT") and 'FROM "dossiers_dossier"' in sql]
    assert len(on_dossiers) >= 6
    with connection.cursor() as cursor:
        for sql, params in on_dossiers:
            if connection.vendor == "postgresql":
                # Tiny test tables would be read whole anyway: ask which index could serve.
                cursor.execute("SET LOCAL enable_seqscan = off")
                cursor.execute("EXPLAIN " + sql, params)
            else:
                cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = " ".join(str(cell) for row in cursor.fetchall() for cell in row)
            # The reception queue's index (dossiers/0015) holds the same submitted dossiers as
            # the scan's own, and a planner may take either.
            assert "alert_dossier_" in plan or "reception_queue" in plan, (sql, plan)
