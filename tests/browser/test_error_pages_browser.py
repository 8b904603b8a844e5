"""The 404 page in Chromium on a phone and a desktop: accessible (axe-core), and its search
form and home link work."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility

pytestmark = pytest.mark.django_db


def test_404_page_is_accessible_and_leads_back(page, live_url):
    response = page.goto(live_url + "/trang-da-bi-xoa/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Không tìm thấy trang")
    check_accessibility(page, "404 page")
    page.get_by_label("Tìm thủ tục").fill("khai sinh")
    page.get_by_role("button", name="Tìm kiếm").click()
    expect(page).to_have_url(re.compile(r"/thu-tuc/\?q=khai"))
    page.go_back()
    page.get_by_role("link", name="Về trang chủ").click()
    expect(page).to_have_url(live_url + "/")
