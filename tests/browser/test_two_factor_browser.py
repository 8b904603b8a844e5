"""An official enrols an authenticator app in Chromium, at desktop size, with axe-core on each
page, and from then on cannot get past the password alone (issue #21 item 1)."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from dichvucong.accounts.models import Membership, Role, User
from tests.browser.conftest import DESKTOP, check_accessibility, new_context
from tests.builders import agency
from tests.test_two_factor import PASSWORD, code_for, code_from_page

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
