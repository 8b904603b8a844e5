"""The IOC's assisted channels in a real browser, without any script of ours: the wards' table
as a ward's leader sees it, the month selector, the ward's register; on a desktop, then the same
pages at a phone's width (390×844) with nothing wider than the screen. axe-core checks each.

The live server's database is never rolled back: the team and event made here have names of
their own and are deleted at the end (the counting tests expect Hải Châu's register empty)."""

from __future__ import annotations

import re
import secrets

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dichvucong.assisted.models import DigitalTeam, Member, OutreachEvent
from tests.browser.conftest import DESKTOP, PHONE, check_accessibility, new_context
from tests.browser.test_monitor_browser import log_in
from tests.builders import agency

pytestmark = pytest.mark.django_db


def on_a_phone(page, label: str) -> None:
    check_accessibility(page, label)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), label


def test_the_ioc_sees_the_assisted_channels_per_ward(browser, live_url, django_db_blocker):
    tag = secrets.token_hex(3)
    today = timezone.localdate()
    with django_db_blocker.unblock():
        ward = agency().administrative_unit
        team = DigitalTeam.objects.create(ward=ward, name=f"Tổ CNSCĐ tổ dân phố {tag}",
                                          area="Tổ dân phố 5")
        Member.objects.create(team=team, full_name="Phạm Thị Dung", role="leader")
        Member.objects.create(team=team, full_name="Trần Văn Bình", role="deputy")
        event = OutreachEvent.objects.create(ward=ward, day=today.replace(day=1),
                                             place=f"Nhà văn hóa {tag}", people_served=140)
    context = new_context(browser, viewport=DESKTOP, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        with django_db_blocker.unblock():
            # A ward's leader: the IOC's rules give them their own ward's row (the city's
            # viewers get all 94, checked over HTTP; axe on 94 rows costs seconds).
            log_in(page, live_url, "lanhdao.haichau")
        page.goto(f"{live_url}/giam-sat/kenh-ho-tro/")
        assert page.get_by_role("heading", level=1).inner_text().startswith(
            "Kênh hỗ trợ theo xã, phường")
        check_accessibility(page, "wards, desktop")
        # The month selector, without script: last month, then this one again.
        # Each click below navigates: read the page it leads to, not the one it leaves (the
        # month's field and the ward's row are on both).
        page.get_by_role("link", name="Tháng trước").click()
        expect(page.locator("#thang")).not_to_have_value(f"{today:%Y-%m}")
        page.get_by_label("Chọn tháng").fill(f"{today:%Y-%m}")
        page.get_by_role("button", name="Xem").click()
        page.wait_for_url(re.compile(f"thang={today:%Y-%m}"))
        row = page.locator(f'tr[data-ward="{ward.pk}"]')
        expect(row.locator('[data-n="teams"]')).to_have_text("1")
        expect(row.locator('[data-n="members"]')).to_have_text("2")
        expect(row.locator('[data-n="events"]')).to_have_text("1 (140)")
        row.get_by_role("link", name=ward.name).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            re.compile("^" + re.escape(ward.name)))
        teams = page.get_by_role("region", name="Tổ công nghệ số cộng đồng")
        expect(teams).to_contain_text(team.name)
        expect(teams).not_to_contain_text("Phạm Thị Dung")
        expect(page.get_by_role("region", name="Sự kiện trong tháng")).to_contain_text(
            event.place)
        check_accessibility(page, "ward, desktop")
        page.set_viewport_size(PHONE)
        on_a_phone(page, "ward, phone")
        page.go_back()
        on_a_phone(page, "wards, phone")
    finally:
        context.close()
        with django_db_blocker.unblock():
            event.delete()
            team.delete()
