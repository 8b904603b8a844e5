"""The open data pages in Chromium, on a phone and a desktop, with axe-core on every page;
no script needed (facets, paging and downloads are links, the chart is inline SVG)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from dichvucong.agencies.models import Agency
from dichvucong.opendata.refresh import refresh_all
from tests.browser.conftest import check_accessibility
from tests.test_opendata import RECEIVE, file_dossier

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(page):
    refresh_all()  # the page fixture has opened the database to the test


def test_list_search_facets_and_dataset_page(page, live_url, published, viewport):
    page.goto(live_url + "/du-lieu-mo/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dữ liệu mở")
    expect(page.get_by_role("link", name="Danh mục thủ tục hành chính thành phố Đà Nẵng")
           ).to_be_visible()
    check_accessibility(page, "open data list")

    # A facet narrows the list; the chosen one is marked and can be removed.
    page.get_by_role("navigation", name="Lọc bộ dữ liệu").get_by_role(
        "link", name=re.compile(r"^đơn vị hành chính \(1\)")).click()
    expect(page).to_have_url(re.compile(r"tags="))
    expect(page.locator(".result-list > li")).to_have_count(1)
    check_accessibility(page, "open data list, filtered")

    page.get_by_label("Tìm bộ dữ liệu").fill("thu tuc hanh chinh")
    page.get_by_role("button", name="Tìm kiếm").click()
    expect(page.locator(".result-list > li").first).to_contain_text("thủ tục hành chính")
    page.get_by_role("link", name="Danh mục thủ tục hành chính thành phố Đà Nẵng").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Danh mục thủ tục hành chính thành phố Đà Nẵng")
    chart = page.get_by_role("img", name=re.compile("Số thủ tục theo lĩnh vực"))
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box and box["width"] <= viewport["width"]
    preview = page.get_by_role("region", name=re.compile("Xem trước"))
    expect(preview.locator("tbody tr")).to_have_count(10)
    first_row = preview.locator("tbody tr").first.inner_text()
    check_accessibility(page, "dataset page")

    page.get_by_role("link", name="Trang sau →").click()
    expect(page).to_have_url(re.compile(r"trang-thu-tuc=2"))
    expect(page.get_by_text("Trang 2/")).to_be_visible()
    assert page.get_by_role("region", name=re.compile("Xem trước")).locator(
        "tbody tr").first.inner_text() != first_row
    check_accessibility(page, "dataset page, second preview page")

    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(r"^Tải CSV")).click()
    path = download.value.path()
    with open(path, encoding="utf-8") as handle:
        header = handle.readline().strip()
        assert header.startswith("code,name,field")
        assert "Hộ tịch" in handle.read()


def test_statistics_dataset_pages(page, live_url):
    # A dossier received today puts this month's figures in the statistics.
    file_dossier(name="Nguyễn Văn Mở", id_number="048099000222", phone="0905000222",
                 address="2 Bạch Đằng", email="mo@example.org", path=RECEIVE)
    refresh_all()
    hai_chau = Agency.objects.get(name="Ủy ban nhân dân phường Hải Châu")
    page.goto(live_url + "/du-lieu-mo/thong-ke-ho-so-theo-thang/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Thống kê hồ sơ")
    expect(page.get_by_role("img", name=re.compile("Hồ sơ tiếp nhận theo tháng"))).to_be_visible()
    expect(page.get_by_role("region", name=re.compile("Xem trước")).get_by_text(
        hai_chau.name).first).to_be_visible()
    check_accessibility(page, "statistics dataset")

    # The agency publishes its own statistics: both tables (its rates have no chart until a
    # dossier is resolved).
    page.goto(live_url + "/du-lieu-mo/?organization=" + hai_chau.slug)
    page.get_by_role("link", name=f"Thống kê hồ sơ thủ tục hành chính — {hai_chau.name}").click()
    expect(page.get_by_role("img", name=re.compile("Hồ sơ tiếp nhận theo tháng"))).to_be_visible()
    expect(page.get_by_role("region", name=re.compile("Xem trước"))).to_have_count(2)
    check_accessibility(page, "agency statistics dataset")

    page.goto(live_url + "/du-lieu-mo/don-vi-hanh-chinh/")
    expect(page.get_by_role("img", name=re.compile("Số đơn vị theo loại"))).to_be_visible()
    check_accessibility(page, "units dataset")
