"""A clinic's health certificate on a phone: the citizen allows health facilities on the store
page, the clinic's system deposits over HTTP with its token, and the licence renewal is filed
with the certificate taken from the store — nothing uploaded for it (axe on each page)."""

from __future__ import annotations

import json
import re
import secrets
import uuid

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, check_accessibility, confirm_filing, new_context
from tests.browser.test_datastore_browser import PASSWORD, log_in
from tests.residence_forms import fill_form, licence_form

pytestmark = pytest.mark.django_db


def test_the_renewal_takes_the_clinics_certificate_with_no_upload(browser, live_url, tmp_path):
    from dichvucong.accounts.models import User
    from tests.test_issuers import Issuer, certificate

    id_number = "0480" + "".join(secrets.choice("0123456789") for _ in range(8))
    citizen = User.objects.create_user(f"kham.{uuid.uuid4().hex[:10]}", password=PASSWORD,
                                       full_name="Nguyễn Văn An", id_number=id_number,
                                       id_number_verified=True)
    clinic = Issuer(f"Phòng khám {uuid.uuid4().hex[:6]}")
    licence = tmp_path / "gplx.pdf"
    licence.write_bytes(b"%PDF-1.4 licence\n")
    context = new_context(browser, viewport=PHONE, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, live_url, citizen.username, "/kho-du-lieu/")
        page.get_by_label("Cơ sở khám bệnh, chữa bệnh").check()
        page.get_by_role("button", name="Lưu loại tổ chức").click()
        expect(page.get_by_label("Cơ sở khám bệnh, chữa bệnh")).to_be_checked()
        check_accessibility(page, "store with consent to issuers")

        # The clinic's system, over HTTP: a token, then the deposit.
        token = requests.post(f"{live_url}/o/token/", data={"grant_type": "client_credentials"},
                              auth=(clinic.client.application.client_id, clinic.secret),
                              timeout=30).json()["access_token"]
        deposited = requests.post(
            f"{live_url}/api/v1/issuers/documents", timeout=30,
            headers={"Authorization": f"Bearer {token}"},
            data={"cccd": id_number, "document_type": "Giấy khám sức khỏe của người lái xe",
                  "fields": json.dumps(certificate(so_dinh_danh=id_number))},
            files={"file": ("gksk.pdf", clinic.sign("GKSK"), "application/pdf")})
        assert deposited.status_code == 201, deposited.text
        stored = deposited.json()["id"]

        page.goto(live_url + "/thu-tuc/3.000347/nop-ho-so/")
        expect(page.locator(f"#store-1-{stored}")).to_be_checked()
        expect(page.get_by_text(f"do {clinic.name} cấp, chữ ký số đã xác minh")).to_be_visible()
        check_accessibility(page, "renewal form with the certificate from the store")
        fill_form(page, licence_form())
        page.locator("#doc-2").set_input_files(str(licence))
        page.get_by_role("button", name="Nộp hồ sơ").click()
        confirm_filing(page, "renewal check page")
        expect(page).to_have_url(re.compile(r"/ho-so/[^/]+-\d{6}-\d{4}/$"))

        page.goto(live_url + "/kho-du-lieu/")
        expect(page.get_by_text("Tổ chức cấp gửi giấy tờ vào kho").first).to_be_visible()
        expect(page.get_by_text("Dùng cho hồ sơ mới").first).to_be_visible()
    finally:
        context.close()
