"""The procedure controller opens the catalogue quality check from the menu, filters it by kind
without JavaScript's help, pages through it and opens a procedure: on a phone and a desktop,
with axe-core on every page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility

pytestmark = pytest.mark.django_db


def test_controller_filters_the_quality_check_and_opens_a_procedure(page, live_url):
    page.goto(live_url + "/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill("kiemsoat")
    page.get_by_label("Mật khẩu").fill("demo-dichvucong")
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role(
        "link", name="Chất lượng danh mục").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Chất lượng danh mục thủ tục")
    expect(page.get_by_role("table")).to_contain_text("Thời hạn thiếu đơn vị")
    check_accessibility(page, "quality check")

    page.get_by_label("Loại lỗi").select_option("unstated_unit")
    page.get_by_role("button", name="Lọc", exact=True).click()
    expect(page).to_have_url(re.compile(r"kind=unstated_unit"))
    cards = page.locator("ol.card-list > li")
    expect(cards.first).to_contain_text("Chưa công bố đơn vị thời hạn")
    check_accessibility(page, "quality check, one kind")

    page.get_by_role("link", name="Trang sau").click()
    expect(page).to_have_url(re.compile(r"kind=unstated_unit&page=2"))
    expect(page.get_by_role("status")).to_contain_text("lỗi")
    code = cards.first.get_by_role("link").first.inner_text()
    cards.first.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"/thu-tuc/{re.escape(code)}/$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
