"""The demo's sandbox inbox (/hop-thu-thu-nghiem/) shows everyone's one-time codes: it exists
only in demo mode, says so prominently, is not indexed or cached, and shows only the last
hour. Production is checked in a process loaded with the production settings themselves."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

import dichvucong
from dichvucong.notify import views
from dichvucong.notify.models import SandboxMessage

ROOT = Path(__file__).resolve().parent.parent
INBOX = "/hop-thu-thu-nghiem/"


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def get_in_mode(mode: str, data_dir: Path, *paths: str) -> dict:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DICHVUCONG_", "DJANGO_", "REDIS_", "SECRET_KEY", "DEBUG"))}
    env.update({
        "DICHVUCONG_DATA_DIR": str(data_dir), "DATABASE_URL": _database_url(),
        "SECRET_KEY": "a-production-secret-for-this-test-only-0123456789abcdef",
        "ALLOWED_HOSTS": "testserver", "HUEY_IMMEDIATE": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [
            str(Path(dichvucong.__file__).resolve().parent.parent), str(ROOT),
            os.environ.get("PYTHONPATH", "")]))})
    if mode == "demo":
        env.pop("SECRET_KEY")
    done = subprocess.run([sys.executable, "-m", "tests.get_in_mode", mode, *paths], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.django_db(transaction=True)
def test_production_does_not_serve_the_sandbox_inbox_and_the_demo_marks_it(tmp_path):
    SandboxMessage.objects.create(phone="0905000111", content="Ma xac nhan: 424242",
                                  request_id="sandbox-test-1")
    production = get_in_mode("production", tmp_path, INBOX)
    assert production["mode"] == "production" and production["debug"] is False
    assert production[INBOX]["status"] == 404
    assert "424242" not in production[INBOX]["page"]
    assert "Không tìm thấy trang" in production[INBOX]["page"]  # the site's own 404 page

    demo = get_in_mode("demo", tmp_path, INBOX)
    assert demo["mode"] == "demo"
    page = demo[INBOX]["page"]
    assert demo[INBOX]["status"] == 200 and "424242" in page
    assert "Chỉ dùng cho bản trình diễn" in page
    assert '<meta name="robots" content="noindex, nofollow">' in page
    assert demo[INBOX]["robots"] == "noindex, nofollow"


@pytest.mark.django_db
def test_outside_demo_the_inbox_is_neither_routed_nor_served(client, settings):
    """The test settings are not the demo's either: no route, and the view refuses too."""
    with pytest.raises(NoReverseMatch):
        reverse("notify:sandbox_inbox")
    assert client.get(INBOX).status_code == 404
    settings.DEMO = False
    from django.http import Http404

    with pytest.raises(Http404):
        views.sandbox_inbox(RequestFactory().get(INBOX))


@pytest.mark.django_db
def test_the_demo_inbox_shows_only_the_last_hour(settings):
    settings.DEMO = True
    recent = SandboxMessage.objects.create(phone="0905000222", content="Ma: 111111",
                                           request_id="sandbox-recent")
    old = SandboxMessage.objects.create(phone="0905000333", content="Ma: 999999",
                                        request_id="sandbox-old")
    SandboxMessage.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(hours=2))
    request = RequestFactory().get(INBOX)
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    response = views.sandbox_inbox(request)
    page = response.content.decode()
    assert recent.content.split()[-1] in page and "999999" not in page
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
