"""The combined birth procedure (liên thông, Nghị định 63/2024/NĐ-CP) across three agencies in a
real browser: the ward's justice officer (desktop) hands the registered birth to the ward police
and social insurance with one transfer; each agency's officer (desktop) finds its own part in
«Liên thông đến» and hands back its result; the ward issues the birth certificate; the citizen
(phone) follows it on one tracking page and finds all three results together in the store.
axe-core checks every page. Real clicks, no JavaScript help."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from dichvucong.accounts.models import User
from dichvucong.catalog.models import Procedure
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_backoffice_browser import check, log_in, visit, workspace
from tests.browser.test_exchange_browser import transfer
from tests.builders import HAI_CHAU, filed, moved, procedure
from tests.test_backoffice import PDF, pdf

pytestmark = pytest.mark.django_db

CITIZEN = "congdan.thu-lien-thong"
POLICE = "Công an phường Hải Châu"
SOCIAL_INSURANCE = "Bảo hiểm xã hội thành phố Đà Nẵng"
BIRTH_COMBINED = ("Liên thông đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế "
                  "cho trẻ em dưới 6 tuổi")


def answer(page, live_url, username: str, code: str, step: str, note: str, path, *,
           audit: bool) -> None:
    """``audit``: check the pages with axe (the second agency's are the same templates)."""
    log_in(page, live_url, username)
    page.goto(live_url + "/mot-cua/lien-thong/")
    if audit:
        check(page, f"incoming handovers of {username}")
    expect(page.locator("main")).to_contain_text(step)
    page.get_by_role("link", name=code).click()
    if audit:
        check(page, f"handover at {username}")
    expect(page.get_by_text(step, exact=True)).to_be_visible()
    page.get_by_label("Trả kết quả").check()
    page.get_by_label("Nội dung kết quả hoặc lý do từ chối").fill(note)
    path.write_bytes(PDF)
    page.get_by_label("Tệp kết quả (PDF hoặc ảnh quét)").set_input_files(str(path))
    page.get_by_role("button", name="Gửi trả lời").click()
    expect(page.get_by_text("Đã gửi trả lời hồ sơ liên thông")).to_be_visible()


def press(page, heading: str, state: str) -> None:
    section = page.locator("section").filter(
        has=page.get_by_role("heading", name=heading, exact=True))
    section.get_by_role("button", name=heading, exact=True).click()
    expect(page.locator("main .badge").first).to_have_text(state)


@pytest.mark.parametrize("viewport", [DESKTOP], ids=["desktop-and-phone"])
def test_the_combined_birth_procedure_across_three_agencies_to_one_delivery(page, live_url,
                                                                            tmp_path):
    citizen, _ = User.objects.get_or_create(username=CITIZEN,
                                            defaults={"full_name": "Phạm Thị Hoa"})
    code_of = Procedure.objects.get(name=BIRTH_COMBINED).code
    dossier = moved(filed(procedure(code_of), where=HAI_CHAU, citizen=citizen,
                          attach=[("Giấy chứng sinh do cơ sở y tế cấp", pdf("chung-sinh.pdf"))],
                          form_data={"tre_ho_ten": "Lê Minh Anh",
                                     "bhyt_noi_kcb": "Trạm Y tế phường Hải Châu"}),
                    "examining")
    code = dossier.code

    # The ward's justice officer: one transfer, to the ward police; social insurance at once.
    log_in(page, live_url, "chuyenvien.haichau")
    page.goto(live_url + workspace(code))
    exchange = transfer(page, POLICE, "Đề nghị đăng ký thường trú và cấp thẻ BHYT cho trẻ",
                        "combined: workspace after transfer")
    expect(exchange).to_contain_text(POLICE)
    expect(exchange).to_contain_text(SOCIAL_INSURANCE)

    answer(page, live_url, "congan.haichau", code, "Đăng ký thường trú cho trẻ",
           "Đã đăng ký thường trú", tmp_path / "thong-bao-thuong-tru.pdf", audit=True)
    # The citizen on a phone, meanwhile: one tracking page, each agency's part.
    page.set_viewport_size(PHONE)
    log_in(page, live_url, CITIZEN)
    page.goto(live_url + f"/ho-so/{code}/")
    parts = page.locator("#lien-thong + ul")
    expect(parts.locator("li").filter(has_text=POLICE)).to_contain_text("Đã giải quyết xong")
    expect(parts.locator("li").filter(has_text=SOCIAL_INSURANCE)).to_contain_text(
        "Đang giải quyết")

    page.set_viewport_size(DESKTOP)
    answer(page, live_url, "chuyenvien.bhxh", code, "Cấp thẻ bảo hiểm y tế",
           "Đã cấp thẻ bảo hiểm y tế", tmp_path / "the-bhyt.pdf", audit=False)

    # Back at the ward with both answers: the justice officer sees them, the leader approves
    # the birth registration and the certificate is issued.
    log_in(page, live_url, "chuyenvien.haichau")
    visit(page, live_url, workspace(code), "combined: workspace after both answers")
    expect(page.locator("main .badge").first).to_have_text("Đang thẩm định")
    exchange = page.get_by_role("table").filter(has_text="Hạn của cơ quan nhận")
    expect(exchange).to_contain_text("Đã cấp thẻ bảo hiểm y tế")
    expect(exchange).to_contain_text("Đã đăng ký thường trú")
    # The one-stop steps the back-office browser test audits: pressed, not checked again.
    press(page, "Trình phê duyệt", "Chờ phê duyệt")
    log_in(page, live_url, "lanhdao.haichau")
    page.goto(live_url + workspace(code))
    press(page, "Phê duyệt", "Đã phê duyệt, chờ ban hành kết quả")
    log_in(page, live_url, "chuyenvien.haichau")
    page.goto(live_url + workspace(code))
    certificate = tmp_path / "giay-khai-sinh.pdf"
    certificate.write_bytes(PDF)
    page.get_by_label("Tệp kết quả giải quyết").set_input_files(str(certificate))
    press(page, "Ban hành kết quả làm ngoài hệ thống", "Chờ trả kết quả")

    # The citizen: all results together, in the store.
    page.set_viewport_size(PHONE)
    log_in(page, live_url, CITIZEN)
    visit(page, live_url, f"/ho-so/{code}/", "combined: citizen's page, all done")
    expect(page.locator("main")).to_contain_text("kho dữ liệu của bạn (2 giấy tờ)")
    page.get_by_role("link", name="Mở kho dữ liệu").click()
    check(page, "combined: the citizen's store")
    store = page.locator("main")
    expect(store).to_contain_text("Đăng ký thường trú cho trẻ (Công an phường Hải Châu)")
    expect(store).to_contain_text(f"Cấp thẻ bảo hiểm y tế ({SOCIAL_INSURANCE})")
    expect(store).to_contain_text("Giấy khai sinh")
