"""Two residence-group procedures walked on a phone through the live server: a citizen renews
a driving licence (3.000347) and registers permanent residence (1.004222) by filling the
e-declaration, files, and sees the confirmation; axe-core checks every page. The officials'
part is covered through HTTP in tests/test_procedures_residence.py."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from dichvucong.dossiers.models import Dossier
from tests import residence_forms as forms
from tests.browser.conftest import PHONE, check_accessibility, confirm_filing, new_context
from tests.procedure_flow import procedure, receiving_agency

pytestmark = pytest.mark.django_db
PASSWORD = "cu-tru-giay-phep-2026"
CODE = re.compile(r"/ho-so/([^/]+-\d{6}-\d{4})/$")


def citizen_page(browser, live_url: str, next_url: str):
    from dichvucong.accounts.models import User

    username = f"cutru.{uuid.uuid4().hex[:10]}"
    User.objects.create_user(username, password=PASSWORD, full_name="Lê Văn Thành")
    context = new_context(browser, viewport=PHONE, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_url}/dang-nhap/?next={next_url}")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").last.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nộp hồ sơ trực tuyến")
    return context, page, username


def check(page, label: str) -> None:
    check_accessibility(page, label)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), label


def filed(page, username: str) -> Dossier:
    """The confirmation: the dossier's own page, submitted, with its code."""
    expect(page).to_have_url(CODE)
    code = CODE.search(page.url).group(1)
    expect(page.get_by_role("heading", level=1)).to_contain_text(code)
    expect(page.locator("dl.facts")).to_contain_text("Chờ tiếp nhận")
    dossier = Dossier.objects.get(code=code)
    assert dossier.applicant.username == username and dossier.state == "submitted"
    return dossier


def test_driving_licence_renewal_on_a_phone(browser, live_url, tmp_path):
    health, licence = tmp_path / "kham-suc-khoe.pdf", tmp_path / "gplx.pdf"
    health.write_bytes(b"%PDF-1.4 health\n")
    licence.write_bytes(b"%PDF-1.4 licence\n")
    context, page, username = citizen_page(browser, live_url,
                                           f"/thu-tuc/{forms.LICENCE_RENEWAL}/nop-ho-so/")
    try:
        check(page, "licence renewal form")
        form = forms.licence_form()
        # An issue date in the future: the error summary names it, the input keeps it.
        forms.fill_form(page, {**form, "gplx_ngay_cap": "2099-01-01"})
        page.locator("#doc-1").set_input_files(str(health))
        page.locator("#doc-2").set_input_files(str(licence))
        page.get_by_role("button", name="Nộp hồ sơ", exact=True).click()
        expect(page.get_by_text(re.compile(r"«Ngày cấp giấy phép lái xe» không được sau ngày "
                                           r"hôm nay")).first).to_be_visible()
        expect(page.locator('[name="gplx_ngay_cap"]')).to_have_value("2099-01-01")
        expect(page.locator('[name="gplx_so"]')).to_have_value("480150123456")
        check(page, "licence renewal form with an error")
        page.locator('[name="gplx_ngay_cap"]').fill(form["gplx_ngay_cap"])
        page.get_by_role("button", name="Nộp hồ sơ", exact=True).click()
        confirm_filing(page)
        dossier = filed(page, username)
        assert dossier.form_data["gplx_hang_de_nghi"] == ["B"]
        assert dossier.form_data["noi_cu_tru"]["street"] == "17 Lê Lợi"
        check(page, "licence renewal filed")
    finally:
        context.close()


def test_permanent_residence_on_a_phone(browser, live_url, tmp_path):
    proof = tmp_path / "so-do.pdf"
    proof.write_bytes(b"%PDF-1.4 land use right certificate\n")
    context, page, username = citizen_page(browser, live_url,
                                           f"/thu-tuc/{forms.PERMANENT}/nop-ho-so/")
    try:
        check(page, "permanent residence form")
        page.get_by_label("Cơ quan tiếp nhận").select_option(
            label=receiving_agency(procedure(forms.PERMANENT)).name)
        consent = page.locator('[name="chu_so_huu_dong_y"]')
        expect(consent).to_be_hidden()  # only when the home is not one's own
        form = forms.residence_form()
        page.locator('[name="truong_hop"]').select_option(form["truong_hop"])
        expect(consent).to_be_visible()
        forms.fill_form(page, form)
        page.get_by_label("Giấy tờ, tài liệu chứng minh chỗ ở hợp pháp").set_input_files(
            str(proof))
        check(page, "permanent residence form filled")
        page.get_by_role("button", name="Nộp hồ sơ", exact=True).click()
        confirm_filing(page)
        dossier = filed(page, username)
        assert dossier.form_data["chu_so_huu_dong_y"] is True
        assert dossier.form_data["thanh_vien"] == [{
            "tv_ho_ten": "Lê Ngọc Hân", "tv_ngay_sinh": "2018-09-02", "tv_gioi_tinh": "Nữ",
            "tv_so_dinh_danh": "048318009876", "tv_quan_he": "Cháu ruột"}]
        check(page, "permanent residence filed")
    finally:
        context.close()
