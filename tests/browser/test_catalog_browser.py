"""The public catalog in Chromium, on a phone and a desktop, with axe-core on every page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility, settled

pytestmark = pytest.mark.django_db


def test_home_search_and_procedure_page(page, live_url):
    page.goto(live_url + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Làm thủ tục hành chính")
    check_accessibility(page, "home")

    # Search the way a citizen types: no diacritics, an abbreviation.
    page.get_by_label("Tìm thủ tục").first.fill("doi bang lai xe")
    page.get_by_role("button", name="Tìm kiếm").first.click()
    expect(page).to_have_url(re.compile(r"/thu-tuc/\?q=doi"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("doi bang lai xe")
    results = page.locator(".result-list > li a")
    expect(results.first).to_be_visible()
    settled(page)  # the first result shown is not all of them: the list may be half parsed
    names = [name.strip() for name in results.all_inner_texts()[:3]]
    assert any("giấy phép lái xe" in name.lower() for name in names), names
    check_accessibility(page, "search results")

    page.get_by_role("link", name="Cấp đổi giấy phép lái xe", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cấp đổi giấy phép lái xe")
    expect(page.get_by_role("heading", name="Thành phần hồ sơ")).to_be_visible()
    expect(page.locator("#fees-heading + ul")).to_contain_text("135.000 đ")
    check_accessibility(page, "procedure page")


def test_catalog_browse_by_field_and_filter(page, live_url):
    page.goto(live_url + "/thu-tuc/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Thủ tục hành chính")
    check_accessibility(page, "catalog")

    page.goto(live_url + "/linh-vuc/")
    check_accessibility(page, "fields")
    page.get_by_role("link", name=re.compile(r"^Hộ tịch \d+")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hộ tịch")
    page.locator("details.filters > summary").click()
    page.get_by_label("Cấp thực hiện").select_option("commune")
    page.get_by_role("button", name="Áp dụng").click()
    expect(page).to_have_url(re.compile(r"level=commune"))
    expect(page.locator(".result-list > li").first).to_be_visible()
    check_accessibility(page, "filtered catalog")

    page.goto(live_url + "/co-quan/")
    check_accessibility(page, "agencies")
    page.get_by_role("link", name="Sở Tư pháp").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sở Tư pháp")


def test_language_switch_to_english_and_back(page, live_url):
    page.goto(live_url + "/thu-tuc/1.001193/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Đăng ký khai sinh")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Procedures")).to_be_visible()
    # The procedure itself is Vietnamese content, kept with its diacritics.
    expect(page.get_by_role("heading", level=1)).to_have_text("Đăng ký khai sinh")
    check_accessibility(page, "procedure page in English")
    page.get_by_role("button", name="Tiếng Việt").click()
    expect(page.locator("html")).to_have_attribute("lang", "vi")
