"""The personal data store on a phone: the store's pages, a share link opened by someone not
logged in, a stored document used in a new dossier instead of an upload, and the counter."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, check_accessibility, confirm_filing, new_context
from tests.residence_forms import fill_form, licence_form

pytestmark = pytest.mark.django_db
PASSWORD = "kho-du-lieu-2026"
HEALTH = "Giấy khám sức khỏe của người lái xe"


def new_citizen():
    from dichvucong.accounts.models import User

    name = f"kho.{uuid.uuid4().hex[:10]}"
    return User.objects.create_user(name, password=PASSWORD, full_name="Trần Thị Kho")


def log_in(page, live_url, username, next_url):
    page.goto(f"{live_url}/dang-nhap/?next={next_url}")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").last.click()


def test_store_share_and_reuse_on_a_phone(browser, live_url, tmp_path):
    citizen = new_citizen()
    files = {}
    for name in ("don.pdf", "kham.pdf", "gplx.pdf", "don-cap-lai.pdf"):
        files[name] = tmp_path / name
        files[name].write_bytes(f"%PDF-1.4 {name} {citizen.username}\n".encode())
    context = new_context(browser, viewport=PHONE, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, live_url, citizen.username, "/kho-du-lieu/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Kho dữ liệu cá nhân")
        expect(page.get_by_text("Kho chưa có giấy tờ nào.")).to_be_visible()
        check_accessibility(page, "empty store")

        # A first dossier: its uploads enter the store.
        page.goto(live_url + "/thu-tuc/3.000347/nop-ho-so/")
        fill_form(page, licence_form())
        page.locator("#doc-0").set_input_files(str(files["don.pdf"]))
        page.locator("#doc-1").set_input_files(str(files["kham.pdf"]))
        page.locator("#doc-2").set_input_files(str(files["gplx.pdf"]))
        page.get_by_role("button", name="Nộp hồ sơ").click()
        confirm_filing(page)
        expect(page).to_have_url(re.compile(r"/ho-so/[^/]+-\d{6}-\d{4}/$"))
        first_code = page.url.rstrip("/").rsplit("/", 1)[1]

        page.get_by_role("link", name="Kho dữ liệu", exact=True).click()
        expect(page.get_by_role("heading", name=HEALTH, level=2)).to_be_visible()
        expect(page.get_by_text(f"hồ sơ {first_code}").first).to_be_visible()
        check_accessibility(page, "store with documents")

        # Counter consent for the health certificate only.
        page.get_by_role("checkbox", name=HEALTH).check()
        page.get_by_role("button", name="Lưu lựa chọn").click()
        expect(page.get_by_text("Đã lưu lựa chọn giấy tờ cho xem tại quầy một cửa.")) \
            .to_be_visible()

        # Share the health certificate for one hour.
        page.get_by_role("link", name=HEALTH, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(HEALTH)
        check_accessibility(page, "stored document")
        page.get_by_label("1 giờ").check()
        page.get_by_role("button", name="Tạo liên kết chia sẻ").click()
        link = page.get_by_label(re.compile("Liên kết chia sẻ mới")).input_value()
        assert re.search(r"/chia-se/[\w-]+\.[\w-]+/$", link)
        expect(page.get_by_text("Đang hiệu lực")).to_be_visible()
        check_accessibility(page, "stored document with its new link")

        # Someone else, not logged in, opens the link in a fresh browser context.
        stranger = new_context(browser, viewport=PHONE, locale="vi-VN")
        other = stranger.new_page()
        try:
            other.goto(link)
            expect(other.get_by_role("heading", level=1)).to_have_text("Giấy tờ được chia sẻ")
            expect(other.get_by_text(HEALTH).first).to_be_visible()
            expect(other.get_by_text("Trần Thị Kho")).to_have_count(0)
            check_accessibility(other, "shared document")
            with other.expect_download() as download:
                other.get_by_role("link", name="Tải về").click()
            assert download.value.suggested_filename == "kham.pdf"

            # Revoked by the citizen: the same link is refused.
            page.reload()
            page.get_by_role("button", name=re.compile("^Thu hồi")).click()
            expect(page.get_by_text("Đã thu hồi liên kết chia sẻ.")).to_be_visible()
            other.goto(link)
            expect(other.get_by_role("heading", level=1)).to_have_text(
                "Không mở được liên kết")
            check_accessibility(other, "refused share link")
        finally:
            stranger.close()

        # A second dossier takes the health certificate from the store: no upload.
        page.goto(live_url + "/thu-tuc/3.000348/nop-ho-so/")
        fill_form(page, licence_form(reissue=True))
        page.locator("#doc-0").set_input_files(str(files["don-cap-lai.pdf"]))
        choice = page.get_by_role("group", name=re.compile("Hoặc dùng giấy tờ có sẵn"))
        check_accessibility(page, "submission form with the store's documents")
        choice.get_by_role("radio", name=re.compile("kham.pdf")).check()
        page.get_by_role("button", name="Nộp hồ sơ").click()
        confirm_filing(page)
        expect(page).to_have_url(re.compile(r"/ho-so/[^/]+-\d{6}-\d{4}/$"))
        expect(page.get_by_text(f"{HEALTH}: kham.pdf")).to_be_visible()
        check_accessibility(page, "second dossier")
    finally:
        context.close()

    # At the counter, the officer sees what the citizen allowed.
    from dichvucong.accounts.services import citizen_token

    officer = new_context(browser, viewport=PHONE, locale="vi-VN")
    desk = officer.new_page()
    desk.set_default_timeout(15_000)
    try:
        desk.goto(f"{live_url}/dang-nhap/?next=/mot-cua/kho-du-lieu/")
        desk.get_by_label("Tên đăng nhập").fill("motcua.haichau")
        desk.get_by_label("Mật khẩu").fill("demo-dichvucong")
        desk.get_by_role("button", name="Đăng nhập").last.click()
        expect(desk.get_by_role("heading", level=1)).to_have_text(
            "Kho dữ liệu của công dân tại quầy")
        check_accessibility(desk, "counter")
        desk.get_by_label("Mã QR tài khoản công dân").fill(citizen_token(citizen))
        desk.get_by_role("button", name="Xem kho dữ liệu").click()
        expect(desk.get_by_role("heading", level=1)).to_have_text("Kho dữ liệu của Trần Thị Kho")
        expect(desk.get_by_role("link", name=HEALTH)).to_be_visible()
        expect(desk.get_by_text("Giấy phép lái xe đang sử dụng")).to_have_count(0)
        check_accessibility(desk, "counter viewing")
    finally:
        officer.close()


def test_a_citizen_downloads_their_data_and_sees_the_counters_look_on_a_phone(
        browser, live_url, tmp_path):
    """«Dữ liệu cá nhân của tôi» (issue #21 item 3): the counter's look at the store is listed
    with the officer's name and agency, and the whole download is a zip of JSON, PDF and files."""
    import io
    import json
    import zipfile

    from django.core.files.uploadedfile import SimpleUploadedFile

    from dichvucong.datastore import services
    from tests.builders import filed, user

    citizen = new_citizen()
    pdf = f"%PDF-1.4 to-khai {citizen.username}\n".encode()
    dossier = filed(citizen=citizen, applicant_name="Trần Thị Kho", attach=[
        ("Tờ khai đăng ký khai sinh", SimpleUploadedFile("to-khai.pdf", pdf,
                                                         "application/pdf"))])
    officer = user("motcua.haichau")
    services.counter_documents(services.open_counter(officer, citizen))
    context = new_context(browser, viewport=PHONE, locale="vi-VN", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, live_url, citizen.username, "/tai-khoan/")
        page.get_by_role("link", name=re.compile("^Dữ liệu cá nhân của tôi")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Dữ liệu cá nhân của tôi")
        row = page.get_by_role("row").filter(has_text="Cán bộ một cửa xem tại quầy")
        expect(row).to_contain_text(str(officer))
        check_accessibility(page, "my personal data")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        with page.expect_download() as download:
            page.get_by_role("link", name=re.compile("^Tải về toàn bộ dữ liệu")).click()
        archive = zipfile.ZipFile(io.BytesIO(download.value.path().read_bytes()))
        data = json.loads(archive.read("du-lieu.json"))
        assert [d["code"] for d in data["dossiers"]] == [dossier.code]
        assert pdf in {archive.read(name) for name in archive.namelist()
                       if name.startswith("tep/")}
        assert archive.read("du-lieu.pdf").startswith(b"%PDF")
    finally:
        context.close()
