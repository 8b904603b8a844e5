"""The whole citizen journey on a phone, end to end through the live server.

A new citizen registers with a phone number (the one-time code is read from the sandbox SMS
inbox), logs out and back in with that number, files a birth registration with two PDFs at
Phường Hải Châu; the reception officer, in a second browser, asks for one more document; the
citizen answers with a file; the officer receives the dossier; the citizen downloads the reception
slip (Mẫu 01) and finds the dossier's code in it. axe-core checks every page either of them visits.

The live server's database is shared by the browser tests and never rolled back: the phone
number is new on every run, and the dossier is found by its own code."""

from __future__ import annotations

import io
import re
import secrets

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from dichvucong.accounts.models import User
from dichvucong.dossiers.models import Dossier
from dichvucong.notify.models import SandboxMessage
from tests.birth_helpers import fill_birth_form
from tests.browser.conftest import PHONE, check_accessibility, new_context

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PROCEDURE = "1.001193"
AGENCY = "Ủy ban nhân dân phường Hải Châu"
DECLARATION = "Tờ khai đăng ký khai sinh"
BIRTH_CERTIFICATE = "Giấy chứng sinh do cơ sở y tế cấp"
OFFICER = "motcua.haichau"
DEMO_PASSWORD = "demo-dichvucong"
FULL_NAME = "Trần Thị Hành Trình"
PASSWORD = "Hanh-trinh-khai-sinh-2025"
CODE = re.compile(r"000\.20\.\d\d\.H17-\d{6}-\d{4}")
TIMEOUT = 15_000


def new_phone() -> str:
    """A mobile number that no account and no earlier sandbox message has used."""
    while True:
        phone = f"09{secrets.randbelow(10**8):08d}"
        if not (User.objects.filter(phone=phone).exists()
                or SandboxMessage.objects.filter(phone=phone).exists()):
            return phone


def code_sent_to(phone: str) -> str:
    message = SandboxMessage.objects.filter(phone=phone).order_by("-created_at", "-pk").first()
    assert message is not None, f"no SMS was sent to {phone}"
    found = re.search(r"\b(\d{6})\b", message.content)
    assert found, message.content
    return found.group(1)


def new_page(browser):
    context = new_context(browser, viewport=PHONE, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    return page


def check(page, label: str) -> None:
    check_accessibility(page, label)
    # Usable on a phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), label


def heading(page, text: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def pdf_file(tmp_path, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(PDF)
    return str(path)


def open_from_reception_queue(official, live_url: str, code: str, label: str) -> None:
    """The officer's way to a dossier: the queue of dossiers to receive, filtered by its code."""
    official.goto(live_url + "/mot-cua/")
    heading(official, "Hồ sơ cần xử lý")
    check(official, f"back office: home ({label})")
    official.get_by_role("link", name=re.compile(r"^Chờ tiếp nhận\b")).click()
    expect(official.get_by_role("heading", name=re.compile(r"^Chờ tiếp nhận"))).to_be_visible()
    official.get_by_text("Lọc hồ sơ").click()
    official.get_by_label("Tên thủ tục hoặc mã hồ sơ").fill(code)
    official.get_by_role("button", name="Lọc", exact=True).click()
    expect(official.get_by_role("link", name=code, exact=True)).to_be_visible()
    check(official, f"back office: reception queue filtered ({label})")
    official.get_by_role("link", name=code, exact=True).click()
    heading(official, f"Hồ sơ {code}")
    check(official, f"back office: workspace ({label})")


def act(official, action: str, label: str) -> None:
    """Press the button of the workspace's action form under the heading ``action``."""
    section = official.locator("section").filter(
        has=official.get_by_role("heading", name=action, exact=True))
    section.get_by_role("button", name=action, exact=True).click()
    expect(official.get_by_role("status")).to_contain_text(f"Đã «{action}» hồ sơ")
    check(official, label)


def test_citizen_journey_from_registration_to_the_reception_slip(
        browser, live_url, django_db_blocker, tmp_path):
    with django_db_blocker.unblock():
        run_journey(browser, live_url, tmp_path)


def run_journey(browser, live_url: str, tmp_path) -> None:
    phone = new_phone()
    citizen = new_page(browser)
    official = new_page(browser)
    try:
        # --- registration with a one-time code sent by SMS ---------------------------------
        citizen.goto(live_url + "/dang-ky/")
        heading(citizen, "Đăng ký tài khoản")
        check(citizen, "registration")
        citizen.get_by_label("Số điện thoại hoặc email").fill(phone)
        citizen.get_by_label("Họ và tên").fill(FULL_NAME)
        citizen.get_by_label(re.compile(r"^Mật khẩu\b")).fill(PASSWORD)
        citizen.get_by_label("Nhập lại mật khẩu").fill(PASSWORD)
        citizen.get_by_role("button", name="Gửi mã xác nhận").click()
        heading(citizen, "Xác nhận đăng ký")
        expect(citizen.locator("main")).to_contain_text(phone[-3:])
        check(citizen, "registration: the code")
        citizen.get_by_label("Mã xác nhận (6 chữ số)").fill(code_sent_to(phone))
        citizen.get_by_role("button", name="Xác nhận và tạo tài khoản").click()
        heading(citizen, "Tài khoản của tôi")
        expect(citizen.get_by_role("status")).to_contain_text("Đã tạo tài khoản")
        expect(citizen.get_by_label("Số điện thoại di động")).to_have_value(phone)
        check(citizen, "profile after registration")
        account = User.objects.get(phone=phone)
        assert account.phone_verified and account.full_name == FULL_NAME

        # --- log out, log in again with the phone number --------------------------------------
        citizen.get_by_role("button", name=re.compile(r"^Đăng xuất")).click()
        expect(citizen.get_by_role("link", name="Đăng nhập", exact=True)).to_be_visible()
        check(citizen, "home after logging out")
        citizen.goto(f"{live_url}/dang-nhap/?next=/thu-tuc/{PROCEDURE}/")
        heading(citizen, "Đăng nhập")
        check(citizen, "login")
        citizen.get_by_label("Tên đăng nhập, số điện thoại hoặc email").fill(phone)
        citizen.get_by_label("Mật khẩu").fill(PASSWORD)
        citizen.locator("main").get_by_role("button", name="Đăng nhập").click()
        heading(citizen, "Đăng ký khai sinh")
        expect(citizen.get_by_role("button", name=re.compile(r"^Đăng xuất"))).to_be_visible()
        check(citizen, "procedure page")

        # --- filing the dossier with two PDFs -------------------------------------------------
        citizen.get_by_role("link", name="Nộp hồ sơ trực tuyến").click()
        heading(citizen, "Nộp hồ sơ trực tuyến")
        check(citizen, "submission form")
        citizen.get_by_label("Cơ quan tiếp nhận").select_option(label=AGENCY)
        fill_birth_form(citizen)
        citizen.get_by_label(DECLARATION).set_input_files(pdf_file(tmp_path, "to-khai.pdf"))
        citizen.get_by_label(BIRTH_CERTIFICATE).set_input_files(
            pdf_file(tmp_path, "giay-chung-sinh.pdf"))
        citizen.get_by_role("button", name="Nộp hồ sơ", exact=True).click()
        # «Kiểm tra lại thông tin»: every answer read back, «Sửa» goes back with all kept.
        heading(citizen, "Kiểm tra lại thông tin")
        answers = citizen.locator("main")
        expect(answers).to_contain_text(AGENCY)
        expect(answers).to_contain_text("Trần Minh Khang")
        expect(answers).to_contain_text("giay-chung-sinh.pdf")
        check(citizen, "check your answers")
        citizen.get_by_role("link", name="Sửa họ, chữ đệm và tên người được khai sinh").click()
        heading(citizen, "Nộp hồ sơ trực tuyến")
        expect(citizen.get_by_text("Đã đính kèm: giay-chung-sinh.pdf")).to_be_visible()
        citizen.get_by_role("button", name="Nộp hồ sơ", exact=True).click()
        heading(citizen, "Kiểm tra lại thông tin")
        citizen.get_by_role("button", name="Nộp hồ sơ", exact=True).click()
        expect(citizen).to_have_url(re.compile(rf"/ho-so/{CODE.pattern}/$"))
        code = CODE.search(citizen.url).group(0)
        heading(citizen, f"Hồ sơ {code}")
        # The confirmation: the code large, what happens next; nothing asked of the citizen.
        expect(citizen.locator(".panel-confirmation .code")).to_have_text(code)
        expect(citizen.get_by_role("heading", name="Việc gì xảy ra tiếp theo")).to_be_visible()
        expect(citizen.get_by_role("heading", name="Việc bạn cần làm")).to_have_count(0)
        check(citizen, "dossier page: confirmation")
        facts = citizen.locator("dl.facts")
        expect(facts).to_contain_text("Chờ tiếp nhận")
        expect(facts).to_contain_text(AGENCY)
        expect(citizen.get_by_text(f"{DECLARATION}: to-khai.pdf")).to_be_visible()
        expect(citizen.get_by_text(f"{BIRTH_CERTIFICATE}: giay-chung-sinh.pdf")).to_be_visible()
        check(citizen, "dossier page: submitted")
        dossier = Dossier.objects.get(code=code)
        assert dossier.applicant == account and dossier.state == "submitted"
        # The citizen's two PDFs; the e-declaration the platform files in the background after
        # the filing may already be there too.
        assert dossier.attachments.filter(declaration=False).count() == 2

        # --- the reception officer asks for one more document --------------------------------
        official.goto(live_url + "/dang-nhap/?next=/mot-cua/")
        heading(official, "Đăng nhập")
        check(official, "back office: login")
        official.get_by_label("Tên đăng nhập, số điện thoại hoặc email").fill(OFFICER)
        official.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
        official.locator("main").get_by_role("button", name="Đăng nhập").click()
        heading(official, "Hồ sơ cần xử lý")
        open_from_reception_queue(official, live_url, code, "submitted")
        expect(official.locator("dl.facts").first).to_contain_text(FULL_NAME)
        expect(official.get_by_role("link", name="giay-chung-sinh.pdf")).to_be_visible()
        official.get_by_role("checkbox", name=BIRTH_CERTIFICATE).check()
        act(official, "Yêu cầu bổ sung", "back office: supplement requested")
        expect(official.locator("dl.facts").first).to_contain_text("Chờ bổ sung (chưa tiếp nhận)")

        # --- the citizen answers with a file ---------------------------------------------------
        citizen.get_by_role("link", name="Hồ sơ của tôi").first.click()
        heading(citizen, "Hồ sơ của tôi")
        check(citizen, "my dossiers")
        citizen.get_by_role("link", name=code, exact=True).click()
        heading(citizen, f"Hồ sơ {code}")
        request = citizen.locator("section").filter(
            has=citizen.get_by_role("heading", name="Cơ quan yêu cầu bổ sung hồ sơ"))
        expect(request.get_by_role("listitem")).to_have_text([BIRTH_CERTIFICATE])
        expect(citizen.locator("dl.facts")).to_contain_text("Cần bổ sung hồ sơ")
        todo = citizen.locator("section.todo")
        expect(todo.get_by_role("heading", name="Bổ sung hồ sơ")).to_be_visible()
        expect(todo.get_by_role("listitem")).to_have_text([BIRTH_CERTIFICATE])
        check(citizen, "dossier page: supplement requested")
        request.get_by_label(BIRTH_CERTIFICATE).set_input_files(
            pdf_file(tmp_path, "giay-chung-sinh-ban-sao.pdf"))
        request.get_by_label("Nội dung bổ sung, giải trình").fill("Gửi bản quét rõ hơn")
        request.get_by_role("button", name="Gửi bổ sung").click()
        expect(citizen.get_by_role("heading", name="Cơ quan yêu cầu bổ sung hồ sơ")) \
            .to_have_count(0)
        expect(citizen.locator("dl.facts")).to_contain_text("Chờ tiếp nhận")
        expect(citizen.get_by_text(
            f"Bổ sung: {BIRTH_CERTIFICATE}: giay-chung-sinh-ban-sao.pdf")).to_be_visible()
        expect(citizen.get_by_role("heading", name="Việc bạn cần làm")).to_have_count(0)
        check(citizen, "dossier page: supplement sent")

        # --- the officer receives the dossier --------------------------------------------------
        open_from_reception_queue(official, live_url, code, "supplemented")
        expect(official.get_by_role("link", name="giay-chung-sinh-ban-sao.pdf")).to_be_visible()
        act(official, "Tiếp nhận", "back office: received")
        expect(official.locator("dl.facts").first).to_contain_text("Đã tiếp nhận")

        # --- the citizen downloads the reception slip (Mẫu 01) ---------------------------------
        citizen.reload()
        heading(citizen, f"Hồ sơ {code}")
        expect(citizen.locator("dl.facts")).to_contain_text("Đã tiếp nhận")
        slip_link = citizen.get_by_role("link", name="Giấy tiếp nhận hồ sơ và hẹn trả kết quả")
        expect(slip_link).to_be_visible()
        check(citizen, "dossier page: received")
        href = slip_link.get_attribute("href")
        assert href == f"/ho-so/{code}/phieu/01.pdf"
        response = citizen.request.get(live_url + href)
        assert response.status == 200, response.status
        assert response.headers["content-type"] == "application/pdf"
        body = response.body()
        assert body.startswith(b"%PDF")
        text = "".join(sheet.extract_text() or "" for sheet in PdfReader(io.BytesIO(body)).pages)
        assert code in re.sub(r"\s+", "", text), text[:500]

        dossier.refresh_from_db()
        assert dossier.state == "received"
        assert [e.action for e in dossier.events.all()] == [
            "submit", "request_supplement", "provide_supplement", "receive"]
    finally:
        citizen.context.close()
        official.context.close()
