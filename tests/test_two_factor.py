"""Two-factor login (issue #21 item 1), through HTTP: with ``TWO_FACTOR_FOR_OFFICIALS`` on an
official must enrol an authenticator app before any other page, then can no longer get past the
password alone; recovery codes work once each; a citizen may turn it on and off; the API refuses
a session that still owes its code. The browser walk: ``browser/test_two_factor_browser.py``."""

from __future__ import annotations

import base64
import re
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from dichvucong.accounts.models import Membership, Role, User
from tests.builders import agency

pytestmark = pytest.mark.django_db
PASSWORD = "mat-khau-rat-dai-2fa"


def official(username: str = "chuyenvien.2fa") -> User:
    user = User.objects.create_user(username, password=PASSWORD, full_name="Lê Văn Hai")
    Membership.objects.create(user=user, agency=agency(), role=Role.SPECIALIST)
    return user


def logged_in(user: User) -> Client:
    client = Client()
    response = client.post("/dang-nhap/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def code_from_page(html: str, step_offset: int = 0) -> str:
    """What the app would show after scanning: computed from the key the page shows."""
    secret = re.search(r'<code id="otp-secret">([A-Z2-7 ]+)</code>', html).group(1)
    key = base64.b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8))
    return code_for(key, step_offset)


def code_for(key: bytes, step_offset: int = 0) -> str:
    totp = TOTP(key)
    totp.time = time.time() + 30 * step_offset
    return f"{totp.token():06d}"


def a_second_later() -> None:
    """The throttle's wait has passed (its failure moved back in time, not slept through)."""
    for kind in (TOTPDevice, StaticDevice):
        kind.objects.exclude(throttling_failure_timestamp=None).update(
            throttling_failure_timestamp=timezone.now() - timedelta(seconds=2))


def enrol(client: Client) -> list[str]:
    page = client.get("/tai-khoan/xac-thuc-hai-buoc/").content.decode()
    assert "<svg" in page  # the QR code to scan
    wrong = client.post("/tai-khoan/xac-thuc-hai-buoc/", {"action": "confirm", "code": "000000"})
    assert "Mã không đúng" in wrong.content.decode()
    # Each wrong code doubles the wait before the next; the page says how long.
    right = code_from_page(page)
    waiting = client.post("/tai-khoan/xac-thuc-hai-buoc/", {"action": "confirm", "code": right})
    assert "Vui lòng chờ 1 giây" in waiting.content.decode()
    a_second_later()
    done = client.post("/tai-khoan/xac-thuc-hai-buoc/",
                       {"action": "confirm", "code": right})
    codes = re.findall(r"<code>(\d{4}-\d{4})</code>", done.content.decode())
    assert len(codes) == 10
    return codes


def test_an_official_must_enrol_then_cannot_pass_with_the_password_alone(settings):
    settings.TWO_FACTOR_FOR_OFFICIALS = True
    user = official()
    client = logged_in(user)
    blocked = client.get("/mot-cua/")
    assert blocked.status_code == 302
    assert blocked["Location"].startswith("/tai-khoan/xac-thuc-hai-buoc/?next=/mot-cua/")
    assert "phải dùng xác thực hai bước" in client.get(blocked["Location"]).content.decode()
    codes = enrol(client)
    assert client.get("/mot-cua/").status_code == 200  # this session is verified now

    again = logged_in(user)
    owed = again.get("/mot-cua/")
    assert owed["Location"].startswith("/dang-nhap/ma-xac-thuc/?next=")
    api = again.get("/api/v1/dossiers")
    assert api.status_code == 403 and api.json()["code"] == "second_factor_required"
    assert again.get("/tai-khoan/xac-thuc-hai-buoc/")["Location"].startswith(
        "/dang-nhap/ma-xac-thuc/")  # no re-enrolment around the code
    refused = again.post("/dang-nhap/ma-xac-thuc/?next=/mot-cua/", {"code": "123456"})
    assert "Mã không đúng" in refused.content.decode()
    a_second_later()
    key = TOTPDevice.objects.get(user=user).bin_key
    passed = again.post("/dang-nhap/ma-xac-thuc/?next=/mot-cua/",
                        {"code": code_for(key, 1), "next": "/mot-cua/"})
    assert passed.status_code == 302 and passed["Location"] == "/mot-cua/"
    assert again.get("/mot-cua/").status_code == 200

    # A recovery code works once.
    third = logged_in(user)
    assert third.post("/dang-nhap/ma-xac-thuc/", {"code": codes[0]}).status_code == 302
    fourth = logged_in(user)
    assert "Mã không đúng" in fourth.post("/dang-nhap/ma-xac-thuc/",
                                          {"code": codes[0]}).content.decode()
    # Required of officials: it cannot be turned off.
    third.post("/tai-khoan/xac-thuc-hai-buoc/", {"action": "off"})
    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def test_a_citizen_may_turn_it_on_and_then_needs_it_and_may_turn_it_off(settings):
    settings.TWO_FACTOR_FOR_OFFICIALS = True
    citizen = User.objects.create_user("congdan.2fa", password=PASSWORD)
    client = logged_in(citizen)
    assert client.get("/ho-so/").status_code == 200  # not required of citizens
    assert "Xác thực hai bước" in client.get("/tai-khoan/").content.decode()
    enrol(client)
    later = logged_in(citizen)
    assert later.get("/ho-so/")["Location"].startswith("/dang-nhap/ma-xac-thuc/")
    key = TOTPDevice.objects.get(user=citizen).bin_key
    later.post("/dang-nhap/ma-xac-thuc/", {"code": code_for(key, 1)})
    later.post("/tai-khoan/xac-thuc-hai-buoc/", {"action": "off"})
    assert not TOTPDevice.objects.filter(user=citizen).exists()
    assert logged_in(citizen).get("/ho-so/").status_code == 200


def test_without_the_requirement_officials_are_not_asked(settings):
    settings.TWO_FACTOR_FOR_OFFICIALS = False
    assert logged_in(official()).get("/mot-cua/").status_code == 200


def test_guessing_codes_is_limited(settings):
    settings.TWO_FACTOR_FOR_OFFICIALS = True
    user = official()
    enrol(logged_in(user))
    client = logged_in(user)
    for _ in range(10):
        client.post("/dang-nhap/ma-xac-thuc/", {"code": "111111"})
        a_second_later()
    key = TOTPDevice.objects.get(user=user).bin_key
    over = client.post("/dang-nhap/ma-xac-thuc/", {"code": code_for(key, 1)})
    assert "quá nhiều lần" in over.content.decode()
    assert client.get("/mot-cua/").status_code == 302
