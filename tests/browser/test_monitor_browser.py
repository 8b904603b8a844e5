"""The monitoring centre in a real browser, on a phone (390×844) and a desktop, without any
script of ours: the IOC operator's city overview, an agency view, a drill-down from a number to
its dossiers, and the public transparency page. axe-core checks every page; nothing is wider than
the screen.

The live server's database is never rolled back: the dossiers made here are new ones, and the
assertions read only figures that these dossiers decide (their own agency's page, a number and
its own drill-down agreeing)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from dichvucong.accounts.models import User
from tests.browser.conftest import check_accessibility
from tests.monitor_fixture import Actors, at, draft, examine, receive, resolve

pytestmark = pytest.mark.django_db
MARCH = "start=2025-03-01&end=2025-03-31"


def log_in(page, live_url: str, username: str) -> None:
    client = Client()
    client.force_login(User.objects.get(username=username))
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                               "url": live_url}])


def check(page, label: str) -> None:
    check_accessibility(page, label)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), label


@pytest.fixture
def history():
    """A few dossiers at Hải Châu in March 2025, moved through the real actions."""
    from dichvucong.agencies.models import Agency
    from dichvucong.catalog.models import Procedure

    hai_chau = Agency.objects.get(name="Ủy ban nhân dân phường Hải Châu")
    birth = Procedure.objects.select_related("current_version").get(code="1.001193")
    who = Actors("haichau")
    for day in (3, 4, 5):
        d = draft(birth, hai_chau, "in_person")
        receive(d, who, at(day))
        examine(d, who, at(day, 9))
        resolve(d, who, at(day, 10))
    return hai_chau


def test_ioc_dashboards_and_drill_down(page, live_url, history):
    log_in(page, live_url, "ioc")
    page.goto(f"{live_url}/giam-sat/?{MARCH}")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Trung tâm giám sát")
    check(page, "city overview")
    # The ranking links to the agency view.
    # Read the link in the ranking itself: the week's target table above it also names agencies
    # (for the current week, which other tests' committed dossiers fill).
    page.get_by_role("region", name="Xếp hạng cơ quan").get_by_role(
        "link", name=history.name).first.click()
    # Web-first: read right after the click, the heading was the overview's one still.
    expect(page.get_by_role("heading", level=1)).to_have_text(history.name)
    check(page, "agency view")
    # Every number is a link: the "received" tile's number leads to as many dossiers.
    link = page.locator(".tile").first.locator("a[data-count]").first
    count = int(link.get_attribute("data-count"))
    assert count >= 3
    link.click()
    check(page, "drill-down")
    total = int(page.locator("[data-total]").get_attribute("data-total"))
    rows = page.locator("tr.drill-row").count()
    assert total == count and rows == min(count, 50)
    # The period form works without script.
    page.goto(f"{live_url}/giam-sat/co-quan/{history.pk}/")
    page.get_by_label("Từ ngày").fill("2025-03-01")
    page.get_by_label("Đến ngày").fill("2025-03-31")
    page.get_by_role("button", name="Xem").click()
    page.wait_for_url("**start=2025-03-01**")
    check(page, "agency view, March")


def test_public_transparency_page(page, live_url, history):
    page.context.clear_cookies()
    page.goto(f"{live_url}/minh-bach/?{MARCH}")
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Công khai kết quả giải quyết thủ tục hành chính")
    row = page.get_by_role("row", name=re.compile(history.name))
    assert "100,00 %" in row.inner_text()  # every dossier on time
    check(page, "public page")
    page.get_by_role("link", name="Năm nay").click()
    check(page, "public page, this year")
