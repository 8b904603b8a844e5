"""A post-office service agent files a birth registration for a citizen from a phone (390×844),
with and without JavaScript: the agent identifies the citizen by phone number, the citizen reads
out the code the sandbox SMS brought, the agent files, then follows the dossier in their list; the
citizen sees it as their own, "nộp thay bởi …", and revokes the consent. axe-core checks every
page (in the JavaScript run; the no-JavaScript run visits the same pages).

The live server's database is never rolled back: the citizen is new on every run."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import expect

from dichvucong.accounts.models import User
from dichvucong.dossiers.models import AgentConsent, Dossier
from dichvucong.notify.models import SandboxMessage
from tests.birth_helpers import fill_birth_form
from tests.browser.conftest import PHONE, check_accessibility, confirm_filing, new_context

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PASSWORD = "demo-dichvucong"
AGENCY = "Ủy ban nhân dân phường Hải Châu"
CODE = re.compile(r"000\.20\.\d\d\.H17-\d{6}-\d{4}")


def new_citizen() -> User:
    while True:
        phone = f"09{secrets.randbelow(10**8):08d}"
        if not (User.objects.filter(phone=phone).exists()
                or SandboxMessage.objects.filter(phone=phone).exists()):
            break
    return User.objects.create_user(f"cd.{secrets.token_hex(6)}", password=PASSWORD,
                                    full_name="Phan Văn Nhờ", phone=phone, phone_verified=True)


def code_sent_to(phone: str) -> str:
    message = SandboxMessage.objects.filter(phone=phone).order_by("-created_at", "-pk").first()
    assert message is not None, f"no SMS was sent to {phone}"
    return re.search(r"\b(\d{6})\b", message.content).group(1)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_an_agent_files_for_a_citizen_with_the_citizens_code(browser, live_url,
                                                             django_db_blocker, javascript,
                                                             tmp_path):
    with django_db_blocker.unblock():
        citizen = new_citizen()
    declaration = tmp_path / "to-khai.pdf"
    declaration.write_bytes(PDF)
    certificate = tmp_path / "giay-chung-sinh.pdf"
    certificate.write_bytes(PDF)
    contexts = []

    def new_page():
        context = new_context(browser, viewport=PHONE, locale="vi-VN",
                              java_script_enabled=javascript)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    def check(page, label):
        if javascript:  # axe-core runs as a script
            check_accessibility(page, label)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1") \
            if javascript else True, label

    def log_in(page, username, next_url):
        page.goto(f"{live_url}/dang-nhap/?next={next_url}")
        check(page, "login")
        page.get_by_label("Tên đăng nhập, số điện thoại hoặc email").fill(username)
        page.get_by_label("Mật khẩu").fill(PASSWORD)
        page.locator("main").get_by_role("button", name="Đăng nhập").click()

    agent = new_page()
    person = new_page()
    try:
        log_in(agent, "daily.buudien", "/thu-tuc/1.001193/")
        expect(agent.get_by_role("heading", level=1)).to_have_text("Đăng ký khai sinh")
        check(agent, "procedure page (agent)")
        agent.get_by_role("link", name="Nộp thay công dân").click()
        expect(agent.get_by_role("heading", level=1)).to_have_text("Nộp hồ sơ thay công dân")
        expect(agent.get_by_label("Mã thủ tục")).to_have_value("1.001193")
        check(agent, "agent: identify the citizen")
        agent.get_by_label("Số điện thoại hoặc số CCCD của công dân").fill(citizen.phone)
        agent.get_by_role("button", name="Gửi mã xác nhận cho công dân").click()
        expect(agent.get_by_role("heading", level=1)).to_have_text("Công dân xác nhận đồng ý")
        check(agent, "agent: the code")
        # A wrong code first: a clear message, nothing recorded.
        with django_db_blocker.unblock():
            code = code_sent_to(citizen.phone)
        agent.get_by_label("Mã xác nhận (6 chữ số)").fill(f"{(int(code) + 1) % 10**6:06d}")
        agent.get_by_role("button", name="Xác nhận đồng ý").click()
        expect(agent.locator("main")).to_contain_text("Mã xác nhận không đúng")
        check(agent, "agent: wrong code")
        agent.get_by_label("Mã xác nhận (6 chữ số)").fill(code)
        agent.get_by_role("button", name="Xác nhận đồng ý").click()
        expect(agent.get_by_role("heading", level=1)).to_have_text("Nộp hồ sơ trực tuyến")
        expect(agent.locator("main")).to_contain_text("nộp hồ sơ thay cho Phan Văn Nhờ")
        check(agent, "agent: the submission form")
        agent.get_by_label("Cơ quan tiếp nhận").select_option(label=AGENCY)
        fill_birth_form(agent)
        agent.get_by_label("Tờ khai đăng ký khai sinh").set_input_files(str(declaration))
        agent.get_by_label("Giấy chứng sinh do cơ sở y tế cấp").set_input_files(str(certificate))
        agent.get_by_role("button", name="Nộp hồ sơ", exact=True).click()
        confirm_filing(agent)
        expect(agent).to_have_url(re.compile(rf"/ho-so/{CODE.pattern}/$"))
        code_of_dossier = CODE.search(agent.url).group(0)
        expect(agent.locator("main")).to_contain_text("nộp thay bởi Lê Văn Cường")
        check(agent, "agent: the dossier page")
        agent.get_by_role("link", name="Nộp thay", exact=True).click()
        expect(agent.get_by_role("heading", level=1)).to_have_text("Nộp thay công dân")
        expect(agent.get_by_role("link", name=code_of_dossier)).to_be_visible()
        check(agent, "agent: my filings")

        with django_db_blocker.unblock():
            dossier = Dossier.objects.get(code=code_of_dossier)
            assert dossier.applicant == citizen and dossier.channel == "agent"
            assert dossier.submitted_by.username == "daily.buudien"

        # The citizen sees it as their own and revokes the consent.
        log_in(person, citizen.username, "/ho-so/")
        expect(person.get_by_role("heading", level=1)).to_have_text("Hồ sơ của tôi")
        expect(person.locator("main")).to_contain_text("nộp thay bởi Lê Văn Cường")
        check(person, "citizen: my dossiers")
        person.get_by_role("link", name="Tài khoản", exact=True).click()
        expect(person.locator("main")).to_contain_text("Lê Văn Cường")
        check(person, "citizen: account")
        person.get_by_role("link", name="Xem và thu hồi sự đồng ý nộp hồ sơ thay").click()
        expect(person.get_by_role("heading", level=1)).to_have_text("Đồng ý nộp hồ sơ thay")
        check(person, "citizen: consents")
        person.get_by_role("button", name=re.compile("^Thu hồi sự đồng ý")).click()
        expect(person.get_by_role("status")).to_contain_text("Đã thu hồi sự đồng ý")
        check(person, "citizen: consent revoked")
        with django_db_blocker.unblock():
            assert AgentConsent.objects.get(dossier=dossier).revoked_at is not None

        agent.goto(f"{live_url}/ho-so/{code_of_dossier}/")
        expect(agent.get_by_role("heading", level=1)).not_to_have_text(f"Hồ sơ {code_of_dossier}")
    finally:
        for context in contexts:
            context.close()
