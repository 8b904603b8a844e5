"""Liên thông in a real browser, officials on a desktop: a specialist of the ward transfers a
dossier to the Department of Justice, whose specialist finds it in «Liên thông đến», answers
with a result file, and the ward sees it back; the IOC reads the clock ledger. axe-core checks
every page, the error summary included. Real clicks, no JavaScript help."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from dichvucong.accounts.models import User
from tests.browser.conftest import DESKTOP
from tests.browser.test_backoffice_browser import CITIZEN, check, log_in, visit, workspace
from tests.builders import HAI_CHAU, JUSTICE
from tests.test_backoffice import PDF, make_dossier

pytestmark = pytest.mark.django_db


def transfer(page, to: str, note: str, label: str):
    """On the workspace: «Chuyển liên thông» to the agency ``to``; the handovers' table."""
    section = page.locator("section").filter(
        has=page.get_by_role("heading", name="Chuyển liên thông", exact=True))
    section.get_by_label("Chuyển đến cơ quan").select_option(label=to)
    section.get_by_role("textbox").fill(note)
    section.get_by_role("button", name="Chuyển liên thông", exact=True).click()
    check(page, label)
    return page.get_by_role("table").filter(has_text="Hạn của cơ quan nhận")


@pytest.mark.parametrize("viewport", [DESKTOP], ids=["desktop"])
def test_a_transfer_to_another_agency_and_back(page, live_url, tmp_path):
    User.objects.get_or_create(username=CITIZEN, defaults={"full_name": "Công dân thử một cửa"})
    dossier = make_dossier("examining", citizen=CITIZEN, name="Trương Thị Liên")
    code = dossier.code

    log_in(page, live_url, "chuyenvien.haichau")
    visit(page, live_url, workspace(code), "workspace before transfer")
    exchange = transfer(page, JUSTICE, "Đề nghị xác minh trích lục khai sinh của người mẹ",
                        "workspace after transfer")
    expect(exchange).to_contain_text(JUSTICE)
    expect(exchange).to_contain_text("Đang ở cơ quan nhận")

    log_in(page, live_url, "chuyenvien.sotuphap")
    visit(page, live_url, "/mot-cua/", "receiving agency's queues")
    page.get_by_role("link", name="Liên thông đến").click()
    check(page, "incoming handovers")
    page.get_by_role("link", name=code).click()
    check(page, "handover")
    expect(page.get_by_text("Đề nghị xác minh trích lục khai sinh của người mẹ")).to_be_visible()
    # Sent without choosing: the error summary names what is missing.
    page.get_by_role("button", name="Gửi trả lời").click()
    check(page, "handover answer refused")
    expect(page.get_by_role("alert")).to_contain_text("Cần chọn trả kết quả hoặc từ chối.")
    page.get_by_label("Trả kết quả").check()
    page.get_by_label("Nội dung kết quả hoặc lý do từ chối").fill(
        "Trích lục khai sinh của người mẹ khớp với sổ đăng ký")
    result = tmp_path / "ket-qua-xac-minh.pdf"
    result.write_bytes(PDF)
    page.get_by_label("Tệp kết quả (PDF hoặc ảnh quét)").set_input_files(str(result))
    page.get_by_role("button", name="Gửi trả lời").click()
    check(page, "handover answered")
    expect(page.get_by_text("Đã gửi trả lời hồ sơ liên thông")).to_be_visible()
    expect(page.get_by_role("button", name="Gửi trả lời")).to_have_count(0)

    log_in(page, live_url, "chuyenvien.haichau")
    visit(page, live_url, workspace(code), "workspace after the answer")
    expect(page.locator("main .badge").first).to_have_text("Đang thẩm định")
    exchange = page.get_by_role("table").filter(has_text="Hạn của cơ quan nhận")
    expect(exchange).to_contain_text("Đã có kết quả")
    expect(exchange).to_contain_text("Trích lục khai sinh của người mẹ khớp với sổ đăng ký")
    expect(page.get_by_role("link", name="ket-qua-xac-minh.pdf")).to_be_visible()

    log_in(page, live_url, "ioc")
    visit(page, live_url, f"/giam-sat/ho-so/{code}/", "clock ledger")
    agencies = page.get_by_role("table").first
    expect(agencies).to_contain_text(HAI_CHAU)
    expect(agencies).to_contain_text(JUSTICE)
