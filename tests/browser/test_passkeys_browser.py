"""An official adds a passkey in Chromium (its virtual authenticator, through the DevTools
protocol), logs out, and logs in with the password and the passkey instead of the code; axe-core
on each page (issue #21 item 1). The RP ID cannot be an IP address: the page is opened at
``localhost``, the live server's own loopback address."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from dichvucong.accounts.models import Membership, Passkey, Role, User
from tests.browser.conftest import DESKTOP, check_accessibility, new_context
from tests.builders import agency
from tests.test_two_factor import PASSWORD, code_for

pytestmark = pytest.mark.django_db
USERNAME = "chuyenvien.khoa-truy-cap"  # its own account: the live database is shared


def test_an_official_adds_a_passkey_and_logs_in_with_it(browser, live_url, settings):
    settings.TWO_FACTOR_FOR_OFFICIALS = True
    site = live_url.replace("127.0.0.1", "localhost")
    user, _ = User.objects.get_or_create(username=USERNAME,
                                         defaults={"full_name": "Phan Thị Khóa"})
    user.set_password(PASSWORD)
    user.save()
    Membership.objects.get_or_create(user=user, agency=agency(), role=Role.SPECIALIST)
    app = TOTPDevice.objects.create(user=user, name="Ứng dụng xác thực", confirmed=True)
    context = new_context(browser, viewport=DESKTOP, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    devtools = context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    devtools.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True}})

    def log_in() -> None:
        page.goto(f"{site}/dang-nhap/?next=/mot-cua/")
        page.get_by_label("Tên đăng nhập, số điện thoại hoặc email").fill(USERNAME)
        page.get_by_label("Mật khẩu").fill(PASSWORD)
        page.locator("main").get_by_role("button", name="Đăng nhập").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Nhập mã xác thực")

    try:
        log_in()  # this first time with the app's code
        page.get_by_label("Mã xác thực").fill(code_for(app.bin_key))
        page.get_by_role("button", name="Xác nhận").click()
        expect(page).to_have_url(f"{site}/mot-cua/")

        page.goto(f"{site}/tai-khoan/khoa-truy-cap/")
        expect(page.get_by_text("Chưa có khóa truy cập nào.")).to_be_visible()
        check_accessibility(page, "passkeys, none yet")
        page.get_by_label("Tên để nhận ra khóa").fill("Máy tính cơ quan")
        page.get_by_role("button", name="Thêm khóa truy cập").click()
        expect(page.locator(".messages")).to_contain_text("Đã thêm khóa truy cập")
        expect(page.get_by_role("heading", name="Khóa đã đăng ký")).to_be_visible()
        expect(page.locator(".card-list li")).to_contain_text("Máy tính cơ quan")
        expect(page.locator(".recovery-codes li")).to_have_count(10)  # none existed
        check_accessibility(page, "passkeys, one added")
        assert Passkey.objects.filter(user=user, name="Máy tính cơ quan").count() == 1

        page.get_by_role("button", name="Đăng xuất").click()
        log_in()  # now with the passkey
        check_accessibility(page, "the second step offering the passkey")
        page.get_by_role("button", name="Dùng khóa truy cập (passkey)").click()
        expect(page).to_have_url(f"{site}/mot-cua/")
        passkey = Passkey.objects.get(user=user)
        assert passkey.last_used_at is not None and passkey.sign_count > 0
    finally:
        context.close()
        for kind in (Passkey, TOTPDevice, StaticDevice):
            kind.objects.filter(user=user).delete()
