"""The alert list in a real browser, on a phone and on a desktop, without JavaScript help:
filter, acknowledge, and the count on the back office home. axe-core checks every page.

The live server's database is shared and never rolled back: the test makes its own dossier and
alerts and finds them by their own code."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dichvucong.accounts.models import User
from dichvucong.alerts.models import Alert
from dichvucong.alerts.rules import Kind
from tests.browser.test_backoffice_browser import check, log_in, visit
from tests.test_backoffice import make_dossier

pytestmark = pytest.mark.django_db
CITIZEN = "congdan.thu-canh-bao"


@pytest.fixture
def alerted():
    User.objects.get_or_create(username=CITIZEN, defaults={"full_name": "Công dân thử cảnh báo"})
    dossier = make_dossier("examining", citizen=CITIZEN, name="Phan Văn Cảnh")
    now = timezone.now()
    for kind in (Kind.overdue, Kind.no_apology):
        Alert.objects.create(kind=kind, cause=f"browser:{kind}:{dossier.pk}", dossier=dossier,
                             agency=dossier.agency, due_at=now - timedelta(hours=2),
                             raised_at=now)
    return dossier


def test_alert_list_filter_and_acknowledge(page, live_url, alerted):
    code = alerted.code
    log_in(page, live_url, "lanhdao.haichau")
    visit(page, live_url, "/mot-cua/", "back office home with the alert count")
    page.get_by_role("link", name="cảnh báo chưa xác nhận").click()
    check(page, "unacknowledged alerts")
    expect(page.get_by_role("heading", name="Cảnh báo hồ sơ")).to_be_visible()

    page.get_by_label("Loại cảnh báo").select_option("overdue")
    page.get_by_label("Trạng thái").select_option("open")
    page.get_by_role("button", name="Lọc").click()
    check(page, "alerts filtered by kind")
    item = page.locator("li.card").filter(has=page.get_by_role("link", name=code))
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Quá hạn")

    item.get_by_role("button", name=f"Xác nhận đã biết — {code}").click()
    check(page, "after acknowledging")
    expect(page.get_by_role("status")).to_contain_text(code)
    assert "loai=overdue" in page.url  # back to the same filtered list
    done = page.locator("li.card").filter(has=page.get_by_role("link", name=code))
    expect(done).to_contain_text("Đã xác nhận: Đặng Văn Giang")
    alert = Alert.objects.get(dossier=alerted, kind=Kind.overdue)
    assert alert.acknowledged_by.username == "lanhdao.haichau"

    log_in(page, live_url, "ioc")  # the city's operator sees every agency's alerts
    visit(page, live_url, f"/canh-bao/?loai=no_apology&co-quan={alerted.agency_id}",
          "the IOC's alert list")
    expect(page.locator("li.card").filter(has_text=code)).to_have_count(1)
