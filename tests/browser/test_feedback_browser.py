"""Feedback and the *1022 hotline in a real browser, axe-core on every page.

1. On a phone (390×844), someone without an account proves their phone with the code the sandbox
   SMS brought and sends feedback on a procedure with a file, agreeing to publish it; on a
   desktop, Hải Châu's one-stop officer answers it; back on the phone, the sender reads the
   answer on their private page and rates it; the public page shows it without personal data.
2. On a desktop, the hotline operator takes a call, finds the caller by phone, opens their
   dossier, answers from the FAQ, and turns the call into a filing on the caller's behalf with
   the code the caller reads out; the filing form opens under that consent.

The live server's database is never rolled back: each run uses a new phone number."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import expect

from dichvucong.accounts.models import User
from dichvucong.datastore.models import AccessRecord
from dichvucong.feedback.models import Feedback
from dichvucong.hotline.models import CallTicket
from dichvucong.notify.models import SandboxMessage
from tests import builders
from tests.browser.conftest import DESKTOP, PHONE, check_accessibility, new_context

pytestmark = pytest.mark.django_db
PASSWORD = "demo-dichvucong"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def new_phone() -> str:
    while True:
        phone = f"09{secrets.randbelow(10**8):08d}"
        if not (User.objects.filter(phone=phone).exists()
                or SandboxMessage.objects.filter(phone=phone).exists()):
            return phone


def code_sent_to(phone: str) -> str:
    message = SandboxMessage.objects.filter(phone=phone).order_by("-created_at", "-pk").first()
    assert message is not None, f"no SMS was sent to {phone}"
    return re.search(r"\b(\d{6})\b", message.content).group(1)


def open_page(browser, contexts, viewport):
    context = new_context(browser, viewport=viewport, locale="vi-VN")
    contexts.append(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def log_in(page, live_url, username, next_url):
    page.goto(f"{live_url}/dang-nhap/?next={next_url}")
    page.get_by_label("Tên đăng nhập, số điện thoại hoặc email").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Đăng nhập").click()


def test_anonymous_feedback_with_a_phone_code_is_answered(browser, live_url, django_db_blocker,
                                                          tmp_path):
    with django_db_blocker.unblock():
        phone = new_phone()
    photo = tmp_path / "loi-tai-tep.pdf"
    photo.write_bytes(PDF)
    marker = secrets.token_hex(3)
    contexts = []
    try:
        sender = open_page(browser, contexts, PHONE)
        sender.goto(f"{live_url}/")
        sender.get_by_role("link", name="Gửi phản ánh, kiến nghị").first.click()
        expect(sender.get_by_role("heading", level=1)).to_have_text("Gửi phản ánh, kiến nghị")
        check_accessibility(sender, "feedback: the phone")
        sender.get_by_label("Số điện thoại di động").fill(phone)
        sender.get_by_role("button", name="Gửi mã xác nhận").click()
        with django_db_blocker.unblock():
            code = code_sent_to(phone)
        sender.get_by_label("Mã xác nhận (6 chữ số)").fill(code)
        check_accessibility(sender, "feedback: the code")
        sender.get_by_role("button", name="Xác nhận số điện thoại").click()
        expect(sender.locator("main")).to_contain_text("Số điện thoại đã xác nhận")
        sender.get_by_label("Quy định, thủ tục hành chính").check()
        sender.get_by_label("Mã thủ tục (nếu có)").fill("1.001193")
        sender.get_by_label("Cơ quan bạn phản ánh").select_option(
            label="Ủy ban nhân dân phường Hải Châu")
        sender.get_by_label("Nội dung phản ánh, kiến nghị").fill(
            f"Tôi là Hồ Thị Riêng, số {phone}: trang khai sinh báo lỗi khi tải tệp ({marker}).")
        sender.get_by_label("Tệp đính kèm (không bắt buộc)").set_input_files(str(photo))
        sender.get_by_label("Họ và tên").fill("Hồ Thị Riêng")
        sender.get_by_label(re.compile("^Tôi đồng ý công khai")).check()
        check_accessibility(sender, "feedback: the form")
        sender.get_by_role("button", name="Gửi phản ánh").click()
        expect(sender.get_by_role("status")).to_contain_text("đã được tiếp nhận")
        check_accessibility(sender, "feedback: received")
        private = sender.url
        assert sender.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        with django_db_blocker.unblock():
            feedback = Feedback.objects.get(content__contains=marker)
            assert feedback.sender_phone == phone and feedback.attachments.count() == 1

        official = open_page(browser, contexts, DESKTOP)
        log_in(official, live_url, "motcua.haichau", "/phan-anh/xu-ly/")
        expect(official.get_by_role("heading", level=1)).to_have_text(
            "Phản ánh, kiến nghị cần xử lý")
        check_accessibility(official, "official: the list")
        official.get_by_role("link", name=feedback.reference).click()
        expect(official.get_by_label("Câu hỏi sẽ công khai")).not_to_contain_text(phone)
        check_accessibility(official, "official: the feedback")
        official.get_by_role("textbox", name="Nội dung trả lời", exact=True).fill(
            f"Lỗi tải tệp đã được khắc phục ({marker}); mời bà nộp lại hồ sơ.")
        official.get_by_role("button", name="Gửi câu trả lời").click()
        expect(official.get_by_role("status")).to_contain_text("Đã trả lời")
        check_accessibility(official, "official: answered")

        sender.goto(private)
        expect(sender.locator("main")).to_contain_text("Lỗi tải tệp đã được khắc phục")
        sender.get_by_label("Hài lòng", exact=True).check()
        sender.get_by_role("button", name="Gửi đánh giá").click()
        expect(sender.get_by_role("status")).to_contain_text("Cảm ơn bạn đã đánh giá")
        check_accessibility(sender, "feedback: rated")

        sender.goto(f"{live_url}/phan-anh/cong-khai/")
        published = sender.locator("main")
        expect(published).to_contain_text(f"Lỗi tải tệp đã được khắc phục ({marker})")
        expect(published).not_to_contain_text(phone)
        expect(published).not_to_contain_text("Hồ Thị Riêng")
        check_accessibility(sender, "feedback: the public page")
        with django_db_blocker.unblock():
            feedback.refresh_from_db()
            assert feedback.state == "answered" and feedback.satisfied is True
    finally:
        for context in contexts:
            context.close()


def test_a_hotline_call_becomes_an_assisted_filing_with_the_callers_code(
        browser, live_url, django_db_blocker):
    with django_db_blocker.unblock():
        phone = new_phone()
        caller = User.objects.create_user(f"cd.{secrets.token_hex(6)}", password=PASSWORD,
                                          full_name="Đoàn Văn Gọi", phone=phone,
                                          phone_verified=True)
        dossier = builders.row(code=f"000.00.12.H17-261201-{secrets.randbelow(9000) + 1000}",
                               applicant=caller, state="examining")
    contexts = []
    try:
        operator = open_page(browser, contexts, DESKTOP)
        log_in(operator, live_url, "tongdai", "/tong-dai/")
        expect(operator.get_by_role("heading", level=1)).to_have_text("Tổng đài *1022")
        check_accessibility(operator, "hotline: console")
        operator.get_by_role("button", name="Nhận cuộc gọi mới").click()
        operator.get_by_label("Số điện thoại, số CCCD hoặc mã hồ sơ của người gọi").fill(phone)
        operator.get_by_role("button", name="Tìm", exact=True).first.click()
        expect(operator.locator("#nguoi-goi")).to_contain_text("Đoàn Văn Gọi")
        check_accessibility(operator, "hotline: the caller")
        operator.get_by_role("link", name=dossier.code).click()
        expect(operator.locator("#trang-thai")).to_be_visible()
        check_accessibility(operator, "hotline: the dossier")
        operator.get_by_role("link", name=re.compile(r"^Cuộc gọi #")).click()
        expect(operator.locator("#nguoi-goi")).to_contain_text("Đoàn Văn Gọi")
        operator.get_by_label("Tìm câu trả lời").fill("thanh toan phi")
        operator.get_by_label("Tìm câu trả lời").press("Enter")
        expect(operator.locator("#cau-tra-loi")).to_contain_text("Thanh toán phí, lệ phí")
        operator.get_by_label("Mã thủ tục công dân muốn nộp").fill("1.001193")
        operator.get_by_role("button", name=re.compile("^Nộp hồ sơ thay")).click()
        expect(operator.get_by_role("heading", level=1)).to_have_text(
            "Người gọi xác nhận đồng ý")
        check_accessibility(operator, "hotline: the caller's code")
        with django_db_blocker.unblock():
            code = code_sent_to(phone)
        operator.get_by_label("Mã xác nhận (6 chữ số)").fill(code)
        operator.get_by_role("button", name="Xác nhận đồng ý").click()
        expect(operator.get_by_role("heading", level=1)).to_have_text("Nộp hồ sơ trực tuyến")
        expect(operator.locator("main")).to_contain_text("nộp hồ sơ thay cho Đoàn Văn Gọi")
        check_accessibility(operator, "hotline: the filing form")
        with django_db_blocker.unblock():
            ticket = CallTicket.objects.filter(citizen=caller).get()
            assert ticket.consent.citizen == caller and ticket.outcome == "assisted"
            looks = AccessRecord.objects.filter(owner=caller, action="hotline_view")
            assert {r.data["what"] for r in looks} == {"search", "dossier"}
    finally:
        for context in contexts:
            context.close()
