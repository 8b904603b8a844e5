"""The province and commune pair of an address, in Chromium: the list of communes the page
fetches after a province is picked must not undo a commune the person chose while it was on its
way (a slow answer under load lost it, and the filing was then refused for a missing commune)."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from playwright.sync_api import expect

from dichvucong.accounts.models import User
from tests.browser.conftest import PHONE, new_context

pytestmark = pytest.mark.django_db
USERNAME = "congdan.dia-chi"


def test_a_late_list_of_communes_keeps_the_commune_chosen_meanwhile(browser, live_url):
    user, _ = User.objects.get_or_create(username=USERNAME, defaults={"full_name": "Võ Thị Địa"})
    client = Client()
    client.force_login(user)
    context = new_context(browser, viewport=PHONE, locale="vi-VN")
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                          "url": live_url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    held = []  # the communes request, answered only once the person has chosen

    try:
        page.route("**/api/v1/units/*/communes", lambda route: held.append(route))
        page.goto(f"{live_url}/tai-khoan/")
        province = page.get_by_label("Tỉnh, thành phố")
        commune = page.get_by_label("Xã, phường, đặc khu")
        province.select_option(label="Thành phố Đà Nẵng")
        chosen = commune.locator("option").nth(2).get_attribute("value")
        commune.select_option(chosen)  # before the list for the province has come back
        deadline = time.monotonic() + 15
        while not held and time.monotonic() < deadline:
            page.wait_for_timeout(50)
        assert held, "the page did not ask for the province's communes"
        with page.expect_response("**/api/v1/units/*/communes"):
            held[0].continue_()
        page.wait_for_load_state("networkidle")
        expect(commune).to_have_value(chosen)
        assert commune.locator("option").count() > 2
    finally:
        context.close()
