"""An official enrols an authenticator app in Chromium, at desktop size, with axe-core on each
page, and from then on cannot get past the password alone (issue #21 item 1)."""

from __future__ import annotations

import time

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from dichvucong.accounts.models import Membership, Role, User
from tests.browser.conftest import DESKTOP, check_accessibility, new_context
from tests.builders import agency
from tests.test_two_factor import PASSWORD, a_second_later, code_for, code_from_page

pytestmark = pytest.mark.django_db
USERNAME = "lanhdao.hai-buoc"  # its own account: the live database is shared by browser tests


def test_an_official_enrols_and_then_needs_the_code(browser, live_url, settings):
    settings.TWO_FACTOR_FOR_OFFICIALS = True
    user, _ = User.objects.get_or_create(username=USERNAME,
                                         defaults={"full_name": "Trần Thị Hai"})
    user.set_password(PASSWORD)
    user.save()
    Membership.objects.get_or_create(user=user, agency=agency(), role=Role.LEADER)
    TOTPDevice.objects.filter(user=user).delete()
    context = new_context(browser, viewport=DESKTOP, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)

    def log_in() -> None:
        page.goto(f"{live_url}/dang-nhap/?next=/mot-cua/")
        page.get_by_label("Tên đăng nhập, số điện thoại hoặc email").fill(USERNAME)
        page.get_by_label("Mật khẩu").fill(PASSWORD)
        page.locator("main").get_by_role("button", name="Đăng nhập").click()

    try:
        log_in()
        expect(page.get_by_role("heading", level=1)).to_have_text("Bật xác thực hai bước")
        check_accessibility(page, "enrolment")
        code = code_from_page(page.content())
        page.get_by_label("Mã xác thực").fill(code)
        page.get_by_role("button", name="Bật xác thực hai bước").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Lưu các mã khôi phục")
        expect(page.locator(".recovery-codes li")).to_have_count(10)
        check_accessibility(page, "recovery codes")
        page.get_by_role("link", name="Tôi đã lưu các mã, tiếp tục").click()
        expect(page).to_have_url(f"{live_url}/mot-cua/")

        page.get_by_role("button", name="Đăng xuất").click()
        log_in()
        expect(page.get_by_role("heading", level=1)).to_have_text("Nhập mã xác thực")
        check_accessibility(page, "the code after the password")
        page.goto(f"{live_url}/mot-cua/")  # the password alone opens nothing
        expect(page.get_by_role("heading", level=1)).to_have_text("Nhập mã xác thực")
        key = TOTPDevice.objects.get(user=user).bin_key
        page.get_by_label("Mã xác thực").fill(code_for(key, 1))
        page.get_by_role("button", name="Xác nhận").click()
        expect(page).to_have_url(f"{live_url}/mot-cua/")
    finally:
        context.close()
        TOTPDevice.objects.filter(user=user).delete()


def test_a_leader_re_enters_the_code_before_signing(browser, live_url, settings, tmp_path):
    """Verified an hour ago: «Ký số và ban hành kết quả» asks for the code first, then signs
    with what was chosen on the workspace (issue #21 item 1: re-authentication)."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    from dichvucong.accounts import twofactor
    from dichvucong.agencies.models import Agency
    from dichvucong.dossiers.models import Dossier
    from dichvucong.results import services
    from tests.results_helpers import HAI_CHAU, approved_dossier

    settings.RESULTS_PKI_DIR = str(tmp_path / "pki")
    settings.RESULTS_TRUST_ROOTS = []
    services.ensure_demo_keys(Agency.objects.filter(name=HAI_CHAU))
    leader = User.objects.get(username="lanhdao.haichau")
    TOTPDevice.objects.filter(user=leader).delete()
    device = TOTPDevice.objects.create(user=leader, name="app", confirmed=True)
    dossier = approved_dossier("Phan Văn Ký", citizen="congdan")
    client = Client()
    client.force_login(leader)
    session = SessionStore(client.session.session_key)
    session.update({DEVICE_ID_SESSION_KEY: device.persistent_id,
                    twofactor.STATE_KEY: twofactor.DONE,
                    twofactor.VERIFIED_AT: int(time.time()) - 3600})
    session.save()
    context = new_context(browser, viewport=DESKTOP, locale="vi-VN")
    context.add_cookies([{"name": "sessionid", "value": session.session_key, "url": live_url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_url}/mot-cua/ho-so/{dossier.code}/")
        page.get_by_role("button", name="Ký số và ban hành kết quả").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Xác nhận lại danh tính")
        assert not Dossier.objects.get(pk=dossier.pk).results.exists()
        check_accessibility(page, "re-authentication")
        page.get_by_label("Mã xác thực").fill("000000" if code_for(device.bin_key) != "000000"
                                              else "111111")
        page.get_by_role("button", name="Xác nhận và tiếp tục").click()
        expect(page.locator("#reauth-error")).to_be_visible()
        assert not Dossier.objects.get(pk=dossier.pk).results.exists()
        a_second_later()
        page.get_by_label("Mã xác thực").fill(code_for(device.bin_key))
        page.get_by_role("button", name="Xác nhận và tiếp tục").click()
        result = Dossier.objects.get(pk=dossier.pk).results.get()
        expect(page.get_by_role("link", name=result.number)).to_be_visible()
        expect(page).to_have_url(f"{live_url}/mot-cua/ho-so/{dossier.code}/")
    finally:
        context.close()
        TOTPDevice.objects.filter(user=leader).delete()
