"""Acceptance of issue 23, item 1, on a phone: a citizen fills the birth registration form, signs
its declaration through the local CSC service with the one-time code the service sends (a wrong
code first), files; the officer sees the validated signature; poppler's pdfsig validates the
stored PDF against the service's CA. axe-core on each page."""

from __future__ import annotations

import re
import shutil

import pytest
from django.test import Client
from playwright.sync_api import expect

from dichvucong.accounts.models import User
from dichvucong.dossiers.models import Dossier
from tests.birth_helpers import fill_birth_form
from tests.browser.conftest import (
    PHONE,
    check_accessibility,
    confirm_filing,
    new_context,
    settled,
)
from tests.conftest import require_component
from tests.results_helpers import pdfsig
from tests.results_signers import Citizen, citizens_service

pytestmark = pytest.mark.django_db
AN_ID = "048090001234"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def csc(settings, tmp_path, django_db_blocker):
    service = citizens_service(settings, tmp_path, [Citizen("an", "Nguyễn Văn An", AN_ID)],
                               {AN_ID: ["dichvucong/an"]})
    with django_db_blocker.unblock():
        citizen = User.objects.get(username="congdan")
        before = (citizen.id_number, citizen.id_number_verified)
        User.objects.filter(pk=citizen.pk).update(id_number=AN_ID, id_number_verified=True)
    yield service
    service.stop()
    with django_db_blocker.unblock():  # the session's data is shared by the browser tests
        User.objects.filter(pk=citizen.pk).update(id_number=before[0],
                                                  id_number_verified=before[1])


def test_citizen_signs_on_a_phone_and_the_officer_sees_it(browser, live_url, csc, tmp_path,
                                                          django_db_blocker):
    require_component("pdfsig", shutil.which("pdfsig") is not None,
                      "Debian's poppler-utils; ./run tests installs it")
    require_component("certutil", shutil.which("certutil") is not None,
                      "Debian's libnss3-tools; ./run tests installs it")
    birth_paper = tmp_path / "giay-chung-sinh.pdf"
    birth_paper.write_bytes(PDF)
    context = new_context(browser, viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(live_url + "/dang-nhap/?next=/thu-tuc/1.001193/nop-ho-so/")
        page.get_by_label("Tên đăng nhập").fill("congdan")
        page.get_by_label("Mật khẩu").fill("demo-dichvucong")
        page.get_by_role("button", name="Đăng nhập").last.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Nộp hồ sơ trực tuyến")
        page.get_by_label("Cơ quan tiếp nhận").select_option(
            label="Ủy ban nhân dân phường Hải Châu")
        fill_birth_form(page)
        page.get_by_label("Giấy chứng sinh do cơ sở y tế cấp").set_input_files(str(birth_paper))
        page.get_by_role("button", name="Nộp hồ sơ").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Kiểm tra lại thông tin")
        check_accessibility(page, "check page: sign offered")

        page.get_by_role("button", name="Ký số tờ khai").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Ký số tờ khai")
        assert len(csc.phone) == 1  # the service sent the code to the phone
        check_accessibility(page, "signing: code sent")
        page.get_by_label("Mã xác thực (OTP)").fill("1" if csc.phone[0] == "000000" else "000000")
        page.get_by_role("button", name="Ký số", exact=True).click()
        expect(page.get_by_role("alert")).to_contain_text("Mã xác thực (OTP) không đúng")
        check_accessibility(page, "signing: wrong code")
        page.get_by_role("button", name="Gửi lại mã").click()
        page.get_by_label("Mã xác thực (OTP)").fill(csc.phone[-1])
        page.get_by_role("button", name="Ký số", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Kiểm tra lại thông tin")
        expect(page.get_by_text("Đã ký số bởi Nguyễn Văn An")).to_be_visible()
        settled(page)  # the width once the stylesheet is applied, not while the page loads
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        confirm_filing(page, "check page: signed")
        expect(page).to_have_url(re.compile(r"/ho-so/000\.20\.\d\d\.H17-\d{6}-\d{4}/$"))
        code = page.url.rstrip("/").rsplit("/", 1)[1]
    finally:
        context.close()

    with django_db_blocker.unblock():
        dossier = Dossier.objects.get(code=code)
        stored = dossier.attachments.get(declaration=True).file.read()
        officer = Client()
        officer.force_login(User.objects.get(username="motcua.haichau"))
    report = pdfsig(stored, csc.root_pem(), tmp_path)
    assert "Signature is Valid." in report and "Certificate is Trusted." in report, report
    assert "Nguyễn Văn An" in report and "Total document signed" in report, report

    context = new_context(browser, viewport=PHONE)
    office = context.new_page()
    try:
        context.add_cookies([{"name": "sessionid", "url": live_url,
                              "value": officer.cookies["sessionid"].value}])
        office.goto(f"{live_url}/mot-cua/ho-so/{code}/")
        expect(office.locator("#declaration-signature")).to_contain_text(
            re.compile(r"Đã ký số bởi Nguyễn Văn An \(\d\d:\d\d \d\d/\d\d/\d{4}\)"))
        check_accessibility(office, "officer: signed declaration")
    finally:
        context.close()
