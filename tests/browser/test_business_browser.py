"""A household business registers itself from a phone (1.001612): the owner fills the Giấy đề
nghị đăng ký hộ kinh doanh with a household member, is told in Vietnamese what is wrong, files,
and sees the dossier waiting for reception. axe-core checks every page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from dichvucong.dossiers.models import Dossier
from tests import business_forms as forms
from tests.browser.conftest import PHONE, check_accessibility, confirm_filing, new_context

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
AUTHORISATION = ("Bản sao văn bản ủy quyền của thành viên hộ gia đình cho một thành viên làm chủ "
                 "hộ kinh doanh")


def test_a_household_business_is_registered_from_a_phone(browser, live_url, tmp_path):
    context = new_context(browser, viewport=PHONE, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    authorisation = tmp_path / "uy-quyen.pdf"
    authorisation.write_bytes(PDF)
    try:
        page.goto(f"{live_url}/dang-nhap/?next=/thu-tuc/{forms.HOUSEHOLD}/")
        page.get_by_label("Tên đăng nhập").fill(forms.FILER)
        page.get_by_label("Mật khẩu").fill("demo-dichvucong")
        page.locator("main").get_by_role("button", name="Đăng nhập").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Đăng ký thành lập hộ kinh doanh")
        page.get_by_role("link", name="Nộp hồ sơ trực tuyến").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Nộp hồ sơ trực tuyến")
        # The members' part shows only once the household is said to register together.
        expect(page.get_by_role("group", name=re.compile("Thành viên hộ gia đình"))).to_be_hidden()
        check_accessibility(page, "household business form")

        page.get_by_label("Cơ quan tiếp nhận").select_option(label=forms.HAI_CHAU_NAME)
        typed = forms.household_form() | {"hkd_ten": "Bánh mì Bích Ngọc"}
        forms.fill_form(page, typed)
        expect(page.get_by_role("group", name=re.compile("Thành viên hộ gia đình"))).to_be_visible()
        page.get_by_label(AUTHORISATION).set_input_files(str(authorisation))
        page.get_by_role("button", name="Nộp hồ sơ", exact=True).click()
        expect(page.get_by_role("alert")).to_contain_text("gồm cụm từ «Hộ kinh doanh»")
        expect(page.locator('[name="hkd_ten"]')).to_have_value("Bánh mì Bích Ngọc")
        expect(page.locator('[name="thanh_vien-0-tv_ho_ten"]')).to_have_value("Lê Văn Tâm")
        check_accessibility(page, "household business form with an error")

        page.locator('[name="hkd_ten"]').fill("Hộ kinh doanh Bánh mì Bích Ngọc")
        page.get_by_role("button", name="Nộp hồ sơ", exact=True).click()
        confirm_filing(page)
        expect(page).to_have_url(re.compile(r"/ho-so/000\.20\.\d\d\.H17-\d{6}-\d{4}/$"))
        expect(page.locator("dl.facts")).to_contain_text("Chờ tiếp nhận")
        check_accessibility(page, "dossier page")
        code = re.search(r"/ho-so/([^/]+)/$", page.url).group(1)
        dossier = Dossier.objects.get(code=code)
        assert dossier.form_data["hkd_ten"] == "Hộ kinh doanh Bánh mì Bích Ngọc"
        assert dossier.form_data["thanh_vien"][0]["tv_ho_ten"] == "Lê Văn Tâm"
        assert dossier.form_data["von_kinh_doanh"] == 150_000_000
        # The citizen's one upload (the e-declaration is made in the background after filing).
        assert dossier.attachments.get(declaration=False).requirement.startswith(
            "Bản sao văn bản ủy quyền")
    finally:
        context.close()
