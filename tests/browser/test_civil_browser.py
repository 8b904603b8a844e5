"""A citizen files a marriage registration and a death registration from a phone: the
procedure page says what must still be done in person, the e-declaration is filled as the
citizen types it, and the dossier page confirms the filing; axe-core on every page."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from dichvucong.accounts.models import User
from tests import civil_forms as forms
from tests.browser.conftest import PHONE, check_accessibility, confirm_filing, new_context

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

WALKS = {
    # code: (title, the declaration, uploads by document name, what the page says of presence)
    forms.MARRIAGE: ("Đăng ký kết hôn", forms.marriage_form(), {},
                     "hai bên nam, nữ cùng có mặt tại Ủy ban nhân dân phường"),
    forms.DEATH: ("Đăng ký khai tử", forms.death_form(),
                  {"Giấy báo tử hoặc giấy tờ thay thế Giấy báo tử": "giay-bao-tu.pdf"}, None),
}


@pytest.mark.parametrize("code", list(WALKS), ids=["marriage", "death"])
def test_citizen_files_a_civil_status_declaration_on_a_phone(browser, live_url, code,
                                                             tmp_path):
    title, declaration, uploads, presence = WALKS[code]
    client = Client()
    client.force_login(User.objects.get(username="congdan"))
    context = new_context(browser, viewport=PHONE, locale="vi-VN")
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                          "url": live_url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_url}/thu-tuc/{code}/")
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        if presence:
            expect(page.get_by_text(presence)).to_be_visible()
        check_accessibility(page, f"{title}: procedure page")
        page.get_by_role("link", name="Nộp hồ sơ trực tuyến").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Nộp hồ sơ trực tuyến")
        check_accessibility(page, f"{title}: submission form")

        page.get_by_label("Cơ quan tiếp nhận").select_option(
            label="Ủy ban nhân dân phường Hải Châu")
        forms.fill(page, declaration)
        for label, name in uploads.items():
            path = tmp_path / name
            path.write_bytes(PDF)
            # The upload's name is also inside the death notice number's label: the file input.
            page.get_by_label(label).and_(page.locator("input[type=file]")).set_input_files(
                str(path))
        page.get_by_role("button", name="Nộp hồ sơ").click()
        confirm_filing(page)
        expect(page).to_have_url(re.compile(r"/ho-so/000\.20\.\d\d\.H17-\d{6}-\d{4}/$"))
        expect(page.get_by_text("Chờ tiếp nhận")).to_be_visible()
        check_accessibility(page, f"{title}: dossier page")
    finally:
        context.close()
