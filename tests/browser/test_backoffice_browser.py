"""Officials at work in a real browser, on a phone and on a desktop, without JavaScript help:
an online dossier from reception to the returned result, a walk-in dossier from a CCCD QR code,
a rejection, a late dossier's apology. axe-core checks every back-office page visited.

The live server's database is shared by the browser tests and never rolled back: every test
creates its own dossiers and finds them by their own codes."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from dichvucong.accounts.models import User
from dichvucong.dossiers import actions
from dichvucong.dossiers.clock import calendar_for
from dichvucong.dossiers.lifecycle import Action, LifecycleRole
from dichvucong.dossiers.models import Dossier
from tests.birth_helpers import fill_birth_form
from tests.browser.conftest import check_accessibility
from tests.test_backoffice import PDF, make_dossier

pytestmark = pytest.mark.django_db
# The browser tests' dossiers are committed: filed by a citizen of their own, so that tests that
# count the demo citizen's dossiers are not disturbed.
CITIZEN = "congdan.thu-mot-cua"
QR = "048190004321||Phạm Thị Thu|02021990|Nữ|45 Trần Phú, Hải Châu, Đà Nẵng|10052022"


@pytest.fixture(autouse=True)
def citizen():
    User.objects.get_or_create(username=CITIZEN, defaults={"full_name": "Công dân thử một cửa"})


def filed(state: str = "submitted", **kwargs) -> Dossier:
    return make_dossier(state, citizen=CITIZEN, **kwargs)


def log_in(page, live_url: str, username: str) -> None:
    """Start a session for ``username`` without the login page (not a back-office page)."""
    client = Client()
    client.force_login(User.objects.get(username=username))
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                               "url": live_url}])


def visit(page, live_url: str, path: str, label: str) -> None:
    page.goto(live_url + path)
    check(page, label)


def check(page, label: str) -> None:
    check_accessibility(page, label)
    # Usable on a phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), label


def act(page, heading: str, label: str) -> None:
    """Press the button of the action form under ``heading`` and check the page it leads to."""
    section = page.locator("section").filter(
        has=page.get_by_role("heading", name=heading, exact=True))
    section.get_by_role("button", name=heading, exact=True).click()
    check(page, label)


def workspace(code: str) -> str:
    return f"/mot-cua/ho-so/{code}/"


def test_online_dossier_from_reception_to_return(page, live_url, tmp_path):
    dossier = filed(name="Lưu Thị Bảo Trâm")
    code = dossier.code

    log_in(page, live_url, "motcua.haichau")
    visit(page, live_url, f"/mot-cua/?hang-doi=tiep-nhan&q={code}", "reception queue")
    page.get_by_role("link", name=code).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hồ sơ {code}")
    check(page, "workspace: submitted")
    act(page, "Tiếp nhận", "workspace: received")
    expect(page.get_by_role("status")).to_contain_text("Đã «Tiếp nhận» hồ sơ")

    log_in(page, live_url, "lanhdao.haichau")
    visit(page, live_url, "/mot-cua/?hang-doi=phan-cong", "leader queue")
    visit(page, live_url, workspace(code), "workspace: to assign")
    page.get_by_label("Chuyên viên xử lý").select_option(label="Võ Thị Phương")
    act(page, "Phân công", "workspace: assigned")

    log_in(page, live_url, "chuyenvien.haichau")
    visit(page, live_url, "/mot-cua/?hang-doi=tham-dinh", "specialist queue")
    visit(page, live_url, workspace(code), "workspace: examining")
    page.get_by_label("Giấy chứng sinh do cơ sở y tế cấp").check()
    page.get_by_label("Nội dung khác cần bổ sung").fill("Bản sao giấy chứng nhận kết hôn")
    act(page, "Yêu cầu bổ sung", "workspace: supplement requested")
    expect(page.locator("dl.facts")).to_contain_text("Chờ bổ sung (đang giải quyết)")

    dossier.refresh_from_db()
    actions.perform(dossier.pk, Action.provide_supplement, User.objects.get(username=CITIZEN),
                    LifecycleRole.applicant, expected_revision=dossier.revision)
    visit(page, live_url, workspace(code), "workspace: supplemented")
    page.locator("#examine-note").fill("Hồ sơ đủ điều kiện")
    act(page, "Trình phê duyệt", "workspace: sent to the leader")

    log_in(page, live_url, "lanhdao.haichau")
    visit(page, live_url, "/mot-cua/?hang-doi=phe-duyet", "approval queue")
    visit(page, live_url, workspace(code), "workspace: to approve")
    act(page, "Phê duyệt", "workspace: approved")

    log_in(page, live_url, "chuyenvien.haichau")
    visit(page, live_url, workspace(code), "workspace: to issue")
    result = tmp_path / "giay-khai-sinh.pdf"
    result.write_bytes(PDF)
    page.get_by_label("Tệp kết quả giải quyết").set_input_files(str(result))
    act(page, "Ban hành kết quả làm ngoài hệ thống", "workspace: result ready")

    log_in(page, live_url, "motcua.haichau")
    visit(page, live_url, "/mot-cua/?hang-doi=tra-ket-qua", "return queue")
    visit(page, live_url, workspace(code), "workspace: to return")
    page.get_by_label("Trao tại bộ phận một cửa").check()
    act(page, "Trả kết quả", "workspace: returned")
    expect(page.locator("dl.facts")).to_contain_text("Đã trả kết quả")
    expect(page.get_by_role("link", name="giay-khai-sinh.pdf")).to_be_visible()
    dossier.refresh_from_db()
    assert dossier.state == "returned"
    assert [e.action for e in dossier.events.all()] == [
        "submit", "receive", "assign", "request_supplement", "provide_supplement", "examine",
        "approve", "issue_result", "return_result"]


def test_walk_in_dossier_from_a_cccd_qr_code(page, live_url, tmp_path):
    log_in(page, live_url, "motcua.haichau")
    visit(page, live_url, "/mot-cua/tiep-nhan-truc-tiep/", "walk-in: choose the procedure")
    page.get_by_label("Tên hoặc mã thủ tục").fill("khai sinh")
    page.get_by_role("button", name="Tìm").click()
    check(page, "walk-in: search results")
    page.get_by_role("link", name="Đăng ký khai sinh", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tiếp nhận hồ sơ trực tiếp")
    check(page, "walk-in: form")
    # The scanner types the QR text and presses Enter.
    page.get_by_label("Nội dung mã QR trên thẻ căn cước").fill(QR)
    page.get_by_label("Nội dung mã QR trên thẻ căn cước").press("Enter")
    expect(page.get_by_label("Họ và tên")).to_have_value("Phạm Thị Thu")
    expect(page.get_by_label("Số căn cước công dân")).to_have_value("048190004321")
    expect(page.get_by_label("Ngày sinh")).to_have_value("1990-02-02")
    check(page, "walk-in: filled from the card")
    assert "048190004321" not in page.url
    fill_birth_form(page)  # the declaration the citizen dictates at the counter
    declaration = tmp_path / "to-khai.pdf"
    declaration.write_bytes(PDF)
    page.get_by_label("Tờ khai đăng ký khai sinh").set_input_files(str(declaration))
    page.get_by_label("Giấy chứng sinh do cơ sở y tế cấp").set_input_files(str(declaration))
    page.get_by_label("Nhận tại bộ phận một cửa").check()
    page.get_by_role("button", name="Tiếp nhận hồ sơ").click()
    expect(page).to_have_url(re.compile(r"/mot-cua/ho-so/000\.20\.\d\d\.H17-\d{6}-\d{4}/$"))
    expect(page.locator("dl.facts").first).to_contain_text("Đã tiếp nhận")
    expect(page.locator("dl.facts").first).to_contain_text("Phạm Thị Thu")
    check(page, "walk-in: workspace")
    code = page.url.rstrip("/").rsplit("/", 1)[1]
    dossier = Dossier.objects.get(code=code)
    assert dossier.channel == "in_person" and dossier.applicant is None
    # The two papers scanned at the counter, and the declaration the platform rendered from
    # the form the officer filled (results/declaration.py), marked as such.
    assert dossier.attachments.filter(declaration=False).count() == 2
    assert dossier.attachments.filter(declaration=True).count() == 1


def test_rejection_with_its_reason(page, live_url):
    dossier = filed(name="Đoàn Minh Khôi")
    log_in(page, live_url, "motcua.haichau")
    visit(page, live_url, workspace(dossier.code), "workspace: to receive")
    act(page, "Từ chối tiếp nhận", "workspace: rejection without a reason")
    expect(page.get_by_role("alert")).to_contain_text("Cần ghi lý do từ chối tiếp nhận.")
    page.get_by_label("Lý do từ chối tiếp nhận").fill("Thủ tục không thuộc thẩm quyền của phường")
    act(page, "Từ chối tiếp nhận", "workspace: rejected")
    expect(page.locator("dl.facts")).to_contain_text("Từ chối tiếp nhận")
    expect(page.locator("ol")).to_contain_text("Thủ tục không thuộc thẩm quyền của phường")
    dossier.refresh_from_db()
    assert dossier.state == "rejected"


def test_late_dossier_and_its_apology(page, live_url):
    late = filed("examining", now=timezone.now() - timedelta(days=10),
                        name="Hồ Thị Lan Anh")
    calendar = calendar_for(timezone.now())
    day = calendar.next_working_day(calendar.next_working_day(timezone.localdate()))
    log_in(page, live_url, "chuyenvien.haichau")
    visit(page, live_url, "/mot-cua/?hang-doi=tham-dinh&tre-han=1", "overdue queue")
    expect(page.get_by_role("link", name=late.code)).to_be_visible()
    visit(page, live_url, workspace(late.code), "workspace: late")
    expect(page.get_by_role("heading", name=re.compile("Bắt buộc: xin lỗi"))).to_be_visible()
    page.get_by_label("Lý do chậm trễ").fill("Chờ kết quả xác minh của cơ quan công an")
    page.get_by_label("Ngày", exact=True).fill(day.isoformat())
    page.get_by_label("Giờ", exact=True).fill("16:00")
    page.get_by_role("button", name="Ghi văn bản xin lỗi và hẹn lại").click()
    check(page, "workspace: apologised")
    expect(page.get_by_role("status")).to_contain_text("Đã ghi văn bản xin lỗi")
    late.refresh_from_db()
    assert late.due_at == timezone.make_aware(datetime.combine(day, time(16, 0)))
    assert late.original_due_at != late.due_at
    assert late.events.filter(action="apology").count() == 1
