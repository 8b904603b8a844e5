"""The inbox and choices pages (who may see and change what), the back office's delivery
status, the kick after commit and the periodic run."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.core import mail
from django.test import Client
from huey.contrib.djhuey import HUEY

from dichvucong.accounts.models import User
from dichvucong.notify import inbox
from dichvucong.notify.models import Notification, Preference, SandboxMessage, Status
from dichvucong.notify.outbox import enqueue
from tests.test_backoffice import client_for, make_dossier

pytestmark = pytest.mark.django_db


def person(username: str, **fields) -> User:
    return User.objects.create(username=username, full_name="Lê Thị Bình", **fields)


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_inbox_needs_a_login_and_shows_only_ones_own_messages():
    mine, theirs = person("mine"), person("theirs")
    enqueue(event="received", context={"code": "MINE-1"}, dedupe_key="a", user=mine)
    enqueue(event="received", context={"code": "THEIRS-1"}, dedupe_key="b", user=theirs)
    assert Client().get("/hop-thu/").status_code == 302
    html = logged_in(mine).get("/hop-thu/").content.decode()
    assert "MINE-1" in html and "THEIRS-1" not in html
    assert "1<span class=\"visually-hidden\"> chưa đọc" in html


def test_one_cannot_mark_someone_elses_message_read():
    mine, theirs = person("mine"), person("theirs")
    [other] = enqueue(event="received", context={"code": "T"}, dedupe_key="b", user=theirs)
    response = logged_in(mine).post(f"/hop-thu/{other.pk}/da-doc/")
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.read_at is None
    assert logged_in(mine).get(f"/hop-thu/{other.pk}/da-doc/").status_code == 405


def test_mark_read_returns_only_to_this_site():
    user = person("mine")
    [row] = enqueue(event="received", context={"code": "M"}, dedupe_key="a", user=user)
    response = logged_in(user).post(f"/hop-thu/{row.pk}/da-doc/",
                                    {"next": "https://evil.example/"})
    assert response.url == "/hop-thu/"
    row.refresh_from_db()
    assert row.read_at is not None


def test_inbox_pages_by_key():
    user = person("many")
    for i in range(25):
        enqueue(event="received", context={"code": f"P-{i:02d}"}, dedupe_key=f"k{i}", user=user)
    client = logged_in(user)
    first = client.get("/hop-thu/")
    assert len(first.context["rows"]) == 20 and first.context["older"]
    second = client.get(f"/hop-thu/?truoc={first.context['older']}")
    assert [r.subject for r in second.context["rows"]][-1] == "Hồ sơ P-00 đã được tiếp nhận"
    assert second.context["older"] is None
    assert client.get("/hop-thu/?truoc=abc").status_code == 200
    # The header counts so many and no more (it is on every page): «20+» beyond; the inbox's
    # API still tells the number.
    assert "25<span class=\"visually-hidden\"> chưa đọc" in first.content.decode()
    with mock.patch.object(inbox, "HEADER_CAP", 21):
        html = client.get("/hop-thu/").content.decode()
    assert "20+<span class=\"visually-hidden\"> chưa đọc" in html
    assert client.get("/api/v1/notifications").json()["unread"] == 25


def test_preferences_saved_and_bad_input_explained():
    user = person("chooser", phone="0905123123")
    client = logged_in(user)
    page = client.get("/tai-khoan/thong-bao/").content.decode()
    assert "Gửi tới số 0905123123" in page
    response = client.post("/tai-khoan/thong-bao/", {"phone": "pigeon", "language": "vi"})
    assert response.status_code == 200 and "error-summary" in response.content.decode()
    assert not Preference.objects.filter(user=user).exists()
    client.post("/tai-khoan/thong-bao/", {"phone": "none", "language": "en"})
    pref = Preference.objects.get(user=user)
    assert (pref.email, pref.phone, pref.language) == (False, "none", "en")
    assert "Nhận thông báo" in client.get("/tai-khoan/").content.decode()


def test_back_office_shows_delivery_status_to_the_agency():
    dossier = make_dossier("received")
    Notification.objects.filter(dossier=dossier, event="received").update(
        status=Status.PENDING, attempts=2, last_error="Cổng SMS tạm từ chối (103)")
    html = client_for("motcua.haichau").get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert "Thông báo đã gửi" in html
    assert "Cổng SMS tạm từ chối (103)" in html and "Chưa gửi được sau 2 lần" in html
    other = client_for("motcua.sotuphap").get(f"/mot-cua/ho-so/{dossier.code}/")
    assert other.status_code in (403, 404)


def test_commit_kicks_the_worker(django_capture_on_commit_callbacks, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    user = person("kicked", phone="0905456456", email="kicked@example.vn")
    with django_capture_on_commit_callbacks(execute=True):
        enqueue(event="received", context={"code": "KICK-1"}, dedupe_key="kick", user=user)
    assert [m.subject for m in mail.outbox] == ["Hồ sơ KICK-1 đã được tiếp nhận"]
    assert SandboxMessage.objects.filter(phone="0905456456").exists()
    assert set(Notification.objects.filter(dedupe_key="kick").values_list("status", flat=True)
               ) == {Status.SENT}


def test_delivery_runs_every_minute():
    due = [task.name for task in HUEY.read_periodic(dt.datetime(2026, 11, 24, 10, 7))]
    assert "notify.deliver_periodic" in due


def test_the_worker_command_delivers_and_stops_with_once(settings):
    from django.core.management import call_command

    user = person("command", phone="0905789789")
    enqueue(event="received", context={"code": "CMD-1"}, dedupe_key="cmd", user=user)
    call_command("deliver_notifications", "--once")
    assert Notification.objects.get(dedupe_key="cmd", channel="sms").status == Status.SENT


def test_inbox_api_lists_pages_and_marks_read():
    user, other = person("api-user"), person("api-other")
    for i in range(22):
        enqueue(event="received", context={"code": f"API-{i:02d}"}, dedupe_key=f"a{i}",
                user=user)
    [foreign] = enqueue(event="received", context={"code": "NOT-MINE"}, dedupe_key="x",
                        user=other)
    client = logged_in(user)
    assert Client().get("/api/v1/notifications").status_code == 401
    page = client.get("/api/v1/notifications").json()
    assert page["unread"] == 22 and len(page["items"]) == 20 and page["older"]
    assert page["items"][0]["subject"] == "Hồ sơ API-21 đã được tiếp nhận"
    rest = client.get(f"/api/v1/notifications?before={page['older']}").json()
    assert [i["subject"] for i in rest["items"]][-1] == "Hồ sơ API-00 đã được tiếp nhận"
    assert rest["older"] is None
    first = page["items"][0]["id"]
    assert client.post(f"/api/v1/notifications/{first}/read").json() == {"changed": 1}
    assert client.post(f"/api/v1/notifications/{foreign.pk}/read").json() == {"changed": 0}
    assert client.post("/api/v1/notifications/read").json() == {"changed": 21}
    assert client.get("/api/v1/notifications").json()["unread"] == 0


def test_preferences_api():
    user = person("api-pref")
    client = logged_in(user)
    assert client.get("/api/v1/notifications/preferences").json() == {
        "email": True, "phone": "sms", "language": "vi"}
    bad = client.put("/api/v1/notifications/preferences", {"email": True, "phone": "fax",
                                                            "language": "vi"},
                     content_type="application/json")
    assert bad.status_code == 422
    ok = client.put("/api/v1/notifications/preferences",
                    {"email": False, "phone": "zalo", "language": "en"},
                    content_type="application/json")
    assert ok.status_code == 200
    pref = Preference.objects.get(user=user)
    assert (pref.email, pref.phone, pref.language) == (False, "zalo", "en")


def test_system_checks_name_missing_notification_settings(settings):
    from dichvucong.notify.checks import notification_checks

    settings.MODE, settings.ESMS_URL = "production", ""
    settings.ZNS_URL, settings.ZNS_ACCESS_TOKEN = "https://zns.example/message/template", ""
    settings.ZNS_TEMPLATES = {"recieved": "1"}
    settings.NOTIFY_LEASE_SECONDS = 5
    ids = {p.id for p in notification_checks(None)}
    assert ids == {"dichvucong.notify.W001", "dichvucong.notify.W002",
                   "dichvucong.notify.W003", "dichvucong.notify.W004"}
