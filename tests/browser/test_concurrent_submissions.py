"""50 citizens' submissions at the same moment against the live server: 50 dossiers, 50 distinct
codes, no error (run on SQLite and on PostgreSQL like the rest of the suite)."""

from __future__ import annotations

import http.cookiejar
import re
import secrets
import threading
import urllib.parse
import urllib.request

import pytest

from dichvucong.dossiers.models import Dossier
from tests.birth_helpers import birth_form

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SUBMISSIONS = 50


def _multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = secrets.token_hex(16)
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                     f"{value}\r\n".encode())
    for name, (filename, content) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                     f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'.encode()
                     + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Citizen:
    """A browser-like HTTP client with its own cookies."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def csrf(self, path: str) -> str:
        html = self.opener.open(self.base + path, timeout=60).read().decode()
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)

    def post(self, path: str, fields: dict, files: dict | None = None):
        fields = {"csrfmiddlewaretoken": self.csrf(path), **fields}
        body, content_type = _multipart(fields, files or {})
        request = urllib.request.Request(self.base + path, data=body, method="POST",
                                         headers={"Content-Type": content_type,
                                                  "Referer": self.base + path})
        return self.opener.open(request, timeout=120)


def test_fifty_concurrent_submissions(live_url, django_db_blocker):
    from django.conf import settings
    from django.test import Client

    from dichvucong.accounts.models import User
    from dichvucong.agencies.models import Agency

    with django_db_blocker.unblock():
        agency_id = Agency.objects.get(name="Ủy ban nhân dân phường Hải Châu").pk
        before = set(Dossier.objects.exclude(code=None).values_list("code", flat=True))
        # Each citizen's own session, made as a login makes it (the login form is tested
        # elsewhere; 50 of them here were 100 requests before the ones that matter).
        user = User.objects.get(username="congdan")
        sessions = []
        for _ in range(SUBMISSIONS):
            login = Client()
            login.force_login(user)
            sessions.append(login.cookies[settings.SESSION_COOKIE_NAME].value)
    host = urllib.parse.urlsplit(live_url).hostname
    citizens = []
    for session in sessions:
        citizen = Citizen(live_url)
        citizen.jar.set_cookie(http.cookiejar.Cookie(
            0, settings.SESSION_COOKIE_NAME, session, None, False, host, False, False, "/",
            True, False, None, False, None, None, {}))
        citizens.append(citizen)
    start = threading.Barrier(SUBMISSIONS)
    landed, failures = [], []

    def submit(citizen: Citizen) -> None:
        try:
            token = citizen.csrf("/thu-tuc/1.001193/nop-ho-so/")
            body, content_type = _multipart(
                {"csrfmiddlewaretoken": token, "agency": str(agency_id), "delivery": "online",
                 "action": "submit", **birth_form()},
                {"doc-0": ("to-khai.pdf", PDF), "doc-1": ("giay-chung-sinh.pdf", PDF)})
            headers = {"Referer": live_url + "/"}
            request = urllib.request.Request(
                live_url + "/thu-tuc/1.001193/nop-ho-so/", data=body, method="POST",
                headers={"Content-Type": content_type, **headers})
            # The form first: «Kiểm tra lại thông tin» names the draft; then all file at once.
            check = citizen.opener.open(request, timeout=120).read().decode()
            draft = re.search(r'name="draft" value="(\d+)"', check).group(1)
            confirm = urllib.request.Request(
                live_url + "/thu-tuc/1.001193/nop-ho-so/", method="POST", headers=headers,
                data=urllib.parse.urlencode({"csrfmiddlewaretoken": token, "draft": draft,
                                             "action": "confirm"}).encode())
            start.wait(timeout=60)
            response = citizen.opener.open(confirm, timeout=120)
            landed.append(response.geturl())
        except Exception as exc:  # noqa: BLE001 - every failure is reported below
            failures.append(repr(exc))

    threads = [threading.Thread(target=submit, args=(c,)) for c in citizens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not failures, failures[:3]
    codes = [re.search(r"/ho-so/([^/]+)/$", url).group(1) for url in landed]
    assert len(codes) == SUBMISSIONS and len(set(codes)) == SUBMISSIONS
    with django_db_blocker.unblock():
        new = set(Dossier.objects.exclude(code=None).values_list("code", flat=True)) - before
        assert new == set(codes)
        assert Dossier.objects.filter(code__in=codes, state="submitted").count() == SUBMISSIONS
