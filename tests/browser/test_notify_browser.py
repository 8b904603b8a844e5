"""The in-app inbox and the notification choices in a real browser, on a phone (390×844) and a
desktop, with no JavaScript of ours: the unread count in the header, reading and marking read,
choosing channels. axe-core checks every page visited."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client
from playwright.sync_api import expect

from dichvucong.accounts.models import User
from dichvucong.notify.models import Notification, Preference
from tests.browser.conftest import check_accessibility
from tests.test_backoffice import make_dossier

pytestmark = pytest.mark.django_db


def log_in(page, live_url: str, user: User) -> None:
    client = Client()
    client.force_login(user)
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                               "url": live_url}])


def check(page, label: str) -> None:
    check_accessibility(page, label)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), label


def test_inbox_and_preferences(page, live_url):
    tag = uuid.uuid4().hex[:8]
    citizen = User.objects.create(username=f"hop-thu-{tag}", full_name="Trần Thị Hộp Thư",
                                  phone=f"09{int(tag, 16) % 10**8:08d}",
                                  email=f"hop-thu-{tag}@example.vn")
    dossier = make_dossier("received", citizen=citizen.username, name="Trần Thị Hộp Thư")
    assert Notification.objects.filter(user=citizen, channel="inapp").count() == 2
    log_in(page, live_url, citizen)

    page.goto(live_url + "/")
    inbox_link = page.get_by_role("link", name="Hộp thư 2 chưa đọc")
    expect(inbox_link).to_be_visible()
    check(page, "home with unread messages")
    inbox_link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hộp thư")
    received = page.get_by_role("heading", name=f"Mới Hồ sơ {dossier.code} đã được tiếp nhận")
    expect(received).to_be_visible()
    expect(page.get_by_text("Hẹn trả kết quả:").first).to_be_visible()
    check(page, "inbox")

    code = re.escape(dossier.code)
    page.get_by_role("button", name=re.compile(f"Đánh dấu đã đọc\\W+Hồ sơ {code} đã được tiếp nhận")
                     ).click()
    expect(page.get_by_role("link", name="Hộp thư 1 chưa đọc")).to_be_visible()
    expect(page.get_by_role("heading", name=f"Hồ sơ {dossier.code} đã được tiếp nhận")
           ).to_be_visible()
    page.get_by_role("button", name="Đánh dấu tất cả là đã đọc").click()
    expect(page.get_by_text("Đã đánh dấu tất cả thông báo là đã đọc.")).to_be_visible()
    expect(page.get_by_role("link", name="Hộp thư", exact=True)).to_be_visible()
    check(page, "inbox, all read")
    assert not Notification.objects.filter(user=citizen, channel="inapp",
                                           read_at__isnull=True).exists()

    page.get_by_role("link", name=re.compile(f"Xem hồ sơ\\W+Hồ sơ {code} đã được tiếp nhận")
                     ).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(dossier.code)

    page.goto(live_url + "/tai-khoan/")
    section = page.get_by_role("region", name="Nhận thông báo")
    expect(section).to_contain_text("Hộp thư trên cổng · Thư điện tử · Tin nhắn SMS")
    section.get_by_role("link", name="Đổi cách nhận thông báo").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cách nhận thông báo")
    check(page, "notification choices")
    page.get_by_label("Nhận thông báo qua thư điện tử").uncheck()
    page.get_by_label("Zalo (SMS khi không gửi được qua Zalo)").check()
    page.get_by_label("English").check()
    page.get_by_role("button", name="Lưu cách nhận thông báo").click()
    expect(page.get_by_text("Đã lưu cách nhận thông báo.")).to_be_visible()
    check(page, "notification choices saved")
    preference = Preference.objects.get(user=citizen)
    assert (preference.email, preference.phone, preference.language) == (False, "zalo", "en")
    page.get_by_role("link", name="Về trang Tài khoản").click()
    expect(page.get_by_role("region", name="Nhận thông báo")).to_contain_text(
        "Hộp thư trên cổng · Zalo (SMS khi không gửi được qua Zalo) · English")
