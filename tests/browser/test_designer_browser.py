"""The service designer builds a curated procedure, the death registration (1.000656, Đăng ký
khai tử), from nothing: a form in sections (pages) on the declaration's real fields, a shared
code list, a combined condition, a document required only for some answers, date rules and a fee
per copy counted from the form; previews it, publishes it, and a citizen finds it in the
catalog and files through the multi-page form, charged for the copies asked for: in Chromium, on
a phone and a desktop, with axe-core on every page."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    check_accessibility,
    confirm_filing,
    new_context,
)

pytestmark = pytest.mark.django_db

SAVED = re.compile(r"Đã lưu phần")


def _save(page: Page, button: str, label: str) -> None:
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.locator(".messages")).to_contain_text(SAVED)
    expect(page.locator(".error-summary")).to_have_count(0)
    check_accessibility(page, label)


def _open_section(page: Page, title: str) -> None:
    """Open a folded section of the editor from the list of sections (a link)."""
    page.get_by_role("navigation", name="Các phần của bản nháp").get_by_role(
        "link", name=title, exact=True).click()
    expect(page.locator("details.designer-section[open] > summary h2")).to_have_text(title)


def _fill_row(page: Page, prefix: str, values: dict[str, str | bool]) -> None:
    for name, value in values.items():
        locator = page.locator(f"#id_{prefix}-{name}")
        # ``is_visible`` answers at once: after a reload (a row added), wait for the row first.
        expect(locator).to_be_attached()
        # In a closed section, row or "more" part: open them, the outermost first.
        for _ in range(4):
            if locator.is_visible():
                break
            locator.locator("xpath=ancestor::details[not(@open)][last()]/summary").click()
        if isinstance(value, bool):
            locator.set_checked(value)
        elif locator.evaluate("el => el.tagName") == "SELECT":
            locator.select_option(value)
        else:
            locator.fill(value)


# The declaration's sections, one page each.
SECTIONS = [
    {"key": "nguoi_yeu_cau", "title": "Người đi khai tử",
     "hint": "Người có trách nhiệm đi khai tử (Luật Hộ tịch, Điều 33)."},
    {"key": "nguoi_chet", "title": "Người đã chết"},
    {"key": "giay_bao_tu", "title": "Giấy báo tử và bản sao trích lục"},
]
# The labels of the curated e-form (catalog/data/procedures.json, 1.000656); «uy_quyen» and the
# copies asked for are the official template's (Thông tư 04/2020/TT-BTP: «Đề nghị cấp bản sao»).
FIELDS = [
    {"key": "nyc_ho_ten", "label": "Họ, chữ đệm và tên người yêu cầu", "type": "text",
     "required": True, "section": "nguoi_yeu_cau"},
    {"key": "nyc_quan_he", "label": "Quan hệ với người đã chết", "type": "select",
     "required": True, "section": "nguoi_yeu_cau",
     "options": "Vợ\nChồng\nCon\nCha\nMẹ\nNgười thân thích khác\n"
                "Đại diện cơ quan, tổ chức, cá nhân liên quan"},
    {"key": "uy_quyen", "label": "Tôi đi khai tử theo ủy quyền", "type": "checkbox",
     "section": "nguoi_yeu_cau"},
    {"key": "nc_ho_ten", "label": "Họ, chữ đệm và tên người đã chết", "type": "text",
     "required": True, "section": "nguoi_chet"},
    {"key": "nc_ngay_sinh", "label": "Ngày, tháng, năm sinh của người đã chết", "type": "date",
     "required": True, "section": "nguoi_chet", "before_field": "nc_ngay_chet"},
    {"key": "nc_gioi_tinh", "label": "Giới tính", "type": "select", "required": True,
     "section": "nguoi_chet", "code_list": "gioi_tinh"},
    {"key": "nc_dan_toc", "label": "Dân tộc", "type": "select", "required": True,
     "section": "nguoi_chet", "code_list": "dan_toc", "default": "Kinh"},
    {"key": "nc_ngay_chet", "label": "Ngày chết", "type": "date", "required": True,
     "section": "nguoi_chet", "max_value": "0"},
    {"key": "nc_noi_chet", "label": "Nơi chết", "type": "text", "required": True,
     "section": "nguoi_chet"},
    {"key": "gbt_so", "label": "Số Giấy báo tử hoặc giấy tờ thay thế Giấy báo tử",
     "type": "text", "section": "giay_bao_tu"},
    {"key": "ban_sao", "label": "Đề nghị cấp bản sao Trích lục khai tử", "type": "checkbox",
     "section": "giay_bao_tu"},
    # Combined, and reading an answer of another page.
    {"key": "so_ban_sao", "label": "Số lượng bản sao", "type": "number", "required": True,
     "section": "giay_bao_tu", "min_value": "1", "max_value": "20",
     "cond_combined": '{"all_of": [{"field": "ban_sao", "equals": true}, '
                      '{"field": "nc_ho_ten", "filled": true}]}'},
]


def _login(page: Page, live_url: str, username: str, then: str) -> None:
    page.goto(live_url + f"/dang-nhap/?next={then}")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill("demo-dichvucong")
    page.get_by_role("button", name="Đăng nhập").click()


def test_designer_builds_publishes_and_a_citizen_files_a_dossier(browser, live_url, tmp_path,
                                                                 django_db_blocker):
    """The officials work on a desktop, the citizen on a phone (the designer on a phone was a
    second run of the whole journey, 90 s, for pages officials open at their desks)."""
    context = new_context(browser, viewport=DESKTOP, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    with django_db_blocker.unblock():
        _journey(page, live_url, tmp_path)
    context.close()


def _journey(page: Page, live_url: str, tmp_path) -> None:
    name = "Đăng ký khai tử (thiết kế thử)"

    page.goto(live_url + "/dang-nhap/?next=/thiet-ke/")
    page.get_by_label("Tên đăng nhập").fill("quantri.thutuc")
    check_accessibility(page, "login")
    page.get_by_label("Mật khẩu").fill("demo-dichvucong")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thiết kế thủ tục")
    check_accessibility(page, "designer list")

    # A new procedure, from nothing.
    page.locator("#id_new-name").fill(name)
    page.locator("#id_new-field").fill("Hộ tịch")
    page.get_by_label("Cấp xã").check()
    page.get_by_role("button", name="Tạo và mở bản nháp").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.locator(".checklist")).to_contain_text("Chưa có thời hạn giải quyết.")
    check_accessibility(page, "new draft")
    code = re.search(r"/thiet-ke/([^/]+)/nhap/", page.url).group(1)

    # General information (each section is folded until opened).
    _open_section(page, "Thông tin chung")
    page.locator("#id_general-online_mode_0").check()  # full
    page.locator("#id_general-channels_0").check()  # online
    page.locator("#id_general-channels_1").check()  # in person
    page.locator("#id_general-applicant_types").fill("Công dân Việt Nam")
    page.locator("#id_general-legal_basis").fill("Luật Hộ tịch số 60/2014/QH13")
    _save(page, "Lưu thông tin chung", "general saved")

    # Processing time, shorter online; a validation error first, kept as typed.
    _open_section(page, "Thời hạn giải quyết")
    page.locator("#id_processing-time_value").fill("1")
    page.locator("#id_processing-online_value").fill("2")
    page.get_by_role("button", name="Lưu thời hạn giải quyết").click()
    expect(page.locator("#section-processing .error-summary")).to_contain_text(
        "không được dài hơn")
    expect(page.locator("#id_processing-online_value")).to_have_value("2")
    expect(page.locator("#id_processing-online_value")).to_have_attribute(
        "aria-describedby", re.compile("id_processing-online_value_error"))
    check_accessibility(page, "processing error")
    page.locator("#id_processing-online_value").fill("0,5")
    _save(page, "Lưu thời hạn giải quyết", "processing saved")
    expect(page.locator("#section-processing")).to_contain_text("Nộp trực tuyến nhanh hơn 50%")

    # A fee for each copy of the extract asked for (its copies field is chosen once the form
    # has it).
    _fill_row(page, "fees-0", {"name": "Phí cấp bản sao Trích lục khai tử", "amount": "8.000",
                               "unit": "per_copy"})
    _save(page, "Lưu phí, lệ phí", "fees saved")

    # The documents; the power of attorney is needed only when the declarant says so.
    documents = [
        {"name": "Tờ khai đăng ký khai tử", "mandatory": False, "copy_type": "original",
         "template": "Mẫu ban hành kèm theo Thông tư số 04/2020/TT-BTP"},
        {"name": "Giấy báo tử hoặc giấy tờ thay thế Giấy báo tử",
         "copy_type": "electronic_or_original"},
        {"name": "Văn bản ủy quyền", "condition": "Khi người có trách nhiệm khai tử ủy quyền "
                                                  "cho người khác"},
    ]
    for index, values in enumerate(documents):
        _fill_row(page, f"documents-{index}", values)
        if index < len(documents) - 1:
            page.get_by_role("button", name="Thêm giấy tờ").click()
            expect(page.locator(f"#id_documents-{index + 1}-name")).to_be_visible()
            if index == 0:
                check_accessibility(page, "documents with an added row")
    expect(page.locator("#id_documents-0-name")).to_have_value("Tờ khai đăng ký khai tử")
    _save(page, "Lưu thành phần hồ sơ", "documents saved")

    # The form's sections, then the fields, each on its section's page.
    for index, values in enumerate(SECTIONS):
        _fill_row(page, f"form_sections-{index}", values)
        if index < len(SECTIONS) - 1:
            page.get_by_role("button", name="Thêm phần").click()
    _save(page, "Lưu các phần của biểu mẫu", "sections saved")
    for index, values in enumerate(FIELDS):
        _fill_row(page, f"form-{index}", values)
        if index < len(FIELDS) - 1:
            page.get_by_role("button", name="Thêm trường").click()
            expect(page.locator(f"#id_form-{index + 1}-key")).to_be_visible()
    _save(page, "Lưu biểu mẫu công dân khai", "form saved")
    expect(page.locator("#id_form-11-section")).to_have_value("giay_bao_tu")
    expect(page.locator("#id_form-6-default")).to_have_value("Kinh")

    # Now the document's condition on the form's answer, and the fee's copies field, due on
    # submission, waived when no copy is asked for (a rule made of plain choices, in the fee's
    # folded "exemption rules" part).
    _fill_row(page, "documents-2", {"required_when": '{"field": "uy_quyen", "equals": true}'})
    _save(page, "Lưu thành phần hồ sơ", "document condition saved")
    _fill_row(page, "fees-0", {"copies_field": "so_ban_sao", "collect_at": "submission",
                               "ex0_reason": "Không đề nghị cấp bản sao",
                               "ex0_field": "ban_sao", "ex0_test": "unchecked"})
    _save(page, "Lưu phí, lệ phí", "fee copies and exemption saved")
    expect(page.locator("#id_fees-0-ex0_test")).to_have_value("unchecked")
    expect(page.locator("#id_fees-0-copies_field")).to_have_value("so_ban_sao")
    expect(page.locator("#id_fees-0-ex1_reason")).to_have_value("")

    # A workflow with two approval levels: a review placed after the approval is refused and
    # kept as typed; moved before it, the path is saved.
    _fill_row(page, "workflow-0", {"name": "Thẩm định hồ sơ", "role": "specialist",
                                   "share": "60", "kind": "process"})
    page.get_by_role("button", name="Thêm bước").click()
    _fill_row(page, "workflow-1", {"name": "Phê duyệt", "role": "agency_head", "share": "20",
                                   "kind": "approve"})
    page.get_by_role("button", name="Thêm bước").click()
    _fill_row(page, "workflow-2", {"name": "Xem xét, trình ký", "role": "leader",
                                   "share": "20", "kind": "review"})
    page.get_by_role("button", name="Lưu quy trình xử lý", exact=True).click()
    expect(page.locator("#section-workflow .error-summary")).to_contain_text(
        "Bước xem xét phải đứng trước bước phê duyệt")
    expect(page.locator("#id_workflow-2-kind")).to_have_value("review")
    for index, position in enumerate(["1", "3", "2"]):
        _fill_row(page, f"workflow-{index}", {"position": position})
    _save(page, "Lưu quy trình xử lý", "workflow saved")
    expect(page.locator("#section-workflow > summary")).to_contain_text(
        "3 bước · 2 cấp phê duyệt")

    # The result.
    _fill_row(page, "result-0", {"name": "Trích lục khai tử",
                               "template": "Họ, chữ đệm, tên người đã chết: {{ nc_ho_ten }}"})
    _save(page, "Lưu kết quả", "result saved")
    expect(page.locator(".checklist")).to_contain_text("Bản nháp đủ điều kiện công bố.")
    # On a desktop the editor shows the form's preview beside it.
    expect(page.locator(".designer-preview")).to_be_visible()
    expect(page.locator(".designer-preview #f-nyc_ho_ten")).to_be_visible()

    # The preview (the whole form on one page): the combined condition follows both answers;
    # an empty submission shows every error at once; the default is there.
    page.get_by_role("link", name="Mở trang xem trước biểu mẫu").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Xem trước biểu mẫu")
    expect(page.locator(".form-pages li")).to_have_text(
        ["Người đi khai tử (3 trường)", "Người đã chết (6 trường)",
         "Giấy báo tử và bản sao trích lục (3 trường)"])
    check_accessibility(page, "preview")
    conditional = page.locator("#f-so_ban_sao")
    expect(conditional).to_be_hidden()
    page.get_by_label("Đề nghị cấp bản sao Trích lục khai tử").check()
    expect(conditional).to_be_hidden()  # the deceased's name is not given yet
    page.get_by_label("Họ, chữ đệm và tên người đã chết").fill("Lê Văn Tư")
    expect(conditional).to_be_visible()
    page.get_by_label("Đề nghị cấp bản sao Trích lục khai tử").uncheck()
    expect(conditional).to_be_hidden()
    page.get_by_label("Họ, chữ đệm và tên người đã chết").fill("")
    expect(page.get_by_label("Dân tộc")).to_have_value("Kinh")
    page.get_by_role("button", name="Nộp thử").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary.locator("li")).to_have_count(7)
    for label in ["người yêu cầu", "Quan hệ", "người đã chết", "Giới tính", "Ngày chết"]:
        expect(summary).to_contain_text(label)
    expect(page.locator("#f-nyc_ho_ten")).to_have_attribute("aria-invalid", "true")
    check_accessibility(page, "preview with errors")

    # Sent for approval; a procedure controller (not its author) approves it from today.
    page.get_by_role("link", name="Bản nháp").click()
    page.get_by_role("button", name="Gửi phê duyệt phiên bản 1").click()
    expect(page.locator(".messages")).to_contain_text("Đã gửi phiên bản 1")
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    check_accessibility(page, "procedure versions")
    page.get_by_role("button", name=re.compile("Đăng xuất")).click()
    _login(page, live_url, "kiemsoat", "/thiet-ke/phe-duyet/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Phê duyệt phiên bản thủ tục")
    check_accessibility(page, "approvals")
    page.get_by_role("link", name=re.compile(re.escape(code))).click()
    expect(page.get_by_label("Ngày có hiệu lực")).to_have_value(
        timezone.localdate().isoformat())
    expect(page.get_by_role("region", name="Các thay đổi")).to_contain_text(
        "Phí, lệ phí")
    check_accessibility(page, "approval review")
    page.get_by_role("button", name="Phê duyệt phiên bản 1").click()
    expect(page.locator(".messages")).to_contain_text("Đã phê duyệt phiên bản 1")
    check_accessibility(page, "approved")
    page.get_by_role("button", name=re.compile("Đăng xuất")).click()
    _login(page, live_url, "quantri.thutuc", f"/thiet-ke/{code}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(name)

    # A second draft, compared with the published version, and the import page.
    page.get_by_role("button", name="Tạo bản nháp mới").click()
    expect(page.locator(".messages")).to_contain_text("Bản nháp phiên bản 2")
    _fill_row(page, "fees-0", {"amount": "10000"})
    _save(page, "Lưu phí, lệ phí", "second draft")
    page.get_by_role("navigation", name="Vị trí").get_by_role("link", name=code).click()
    page.get_by_role("button", name="So sánh").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("So sánh phiên bản 1 và 2")
    expect(page.locator("table")).to_contain_text("Phí, lệ phí › mục 1 › mức thu")
    check_accessibility(page, "comparison")
    page.goto(live_url + "/thiet-ke/nhap-khau/")
    check_accessibility(page, "import")

    # Logged out, a citizen finds it through the catalog search.
    page.get_by_role("button", name=re.compile("Đăng xuất")).click()
    page.goto(live_url + "/thu-tuc/")
    page.get_by_label("Tìm thủ tục").first.fill("dang ky khai tu thiet ke thu")
    page.get_by_role("button", name="Tìm kiếm").first.click()
    link = page.locator(".result-list").get_by_role("link", name=name, exact=True)
    expect(link).to_be_visible()
    check_accessibility(page, "search results")
    link.click()
    expect(page).to_have_url(re.compile(rf"/thu-tuc/{re.escape(code)}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.locator("#docs-heading + ol")).to_contain_text("Giấy báo tử")
    expect(page.locator("#fees-heading + ul")).to_contain_text("8.000 đ")
    expect(page.locator("main")).to_contain_text("nhanh hơn 50%")
    check_accessibility(page, "published procedure page")

    # The citizen files through the form's three pages, on a phone.
    page.set_viewport_size(PHONE)
    page.goto(live_url + f"/dang-nhap/?next=/thu-tuc/{code}/nop-ho-so/")
    page.get_by_label("Tên đăng nhập").fill("congdan")
    page.get_by_label("Mật khẩu").fill("demo-dichvucong")
    page.get_by_role("button", name="Đăng nhập").last.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nộp hồ sơ trực tuyến")
    form = page.locator("form.procedure-form")
    expect(form).to_contain_text("Bước 1 trên 3")
    expect(form.get_by_role("heading", name="Người đi khai tử")).to_be_visible()
    form.get_by_label(re.compile(r"^Họ, chữ đệm và tên người yêu cầu")).fill("Lê Thị Năm")
    form.get_by_label("Cơ quan tiếp nhận").select_option(label="Ủy ban nhân dân phường Hải Châu")
    form.get_by_label("Quan hệ với người đã chết").select_option("Vợ")
    check_accessibility(page, "citizen's form, page 1")
    form.get_by_role("button", name="Tiếp tục").click()

    # Page 2: a day of death in the future is refused on this page; «Quay lại» keeps answers.
    expect(form).to_contain_text("Bước 2 trên 3")
    expect(form.get_by_label("Dân tộc")).to_have_value("Kinh")  # the default
    form.get_by_label(re.compile(r"^Họ, chữ đệm và tên người đã chết")).fill("Lê Văn Tư")
    form.get_by_label(re.compile(r"^Ngày, tháng, năm sinh")).fill("1940-03-02")
    form.get_by_label("Giới tính").select_option("Nam")
    form.get_by_label(re.compile(r"^Ngày chết")).fill(
        (date.today() + timedelta(days=5)).isoformat())
    form.get_by_label(re.compile(r"^Nơi chết")).fill("Bệnh viện Đà Nẵng")
    form.get_by_role("button", name="Tiếp tục").click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("«Ngày chết» không được sau ngày hôm nay")
    expect(summary.locator("li")).to_have_count(1)
    check_accessibility(page, "citizen's form, page 2 with an error")
    form.get_by_label(re.compile(r"^Ngày chết")).fill(
        (date.today() - timedelta(days=3)).isoformat())
    form.get_by_role("button", name="Quay lại").click()
    expect(form).to_contain_text("Bước 1 trên 3")
    expect(form.get_by_label(re.compile(r"^Họ, chữ đệm và tên người yêu cầu"))).to_have_value(
        "Lê Thị Năm")
    form.get_by_role("button", name="Tiếp tục").click()
    expect(form.get_by_label(re.compile(r"^Họ, chữ đệm và tên người đã chết"))).to_have_value(
        "Lê Văn Tư")
    form.get_by_role("button", name="Tiếp tục").click()

    # Page 3: the copies asked for (shown once the box is ticked: the deceased's name is
    # given on page 2), the documents, the fee.
    expect(form).to_contain_text("Bước 3 trên 3")
    copies = form.get_by_label(re.compile(r"^Số lượng bản sao"))
    expect(copies).to_be_hidden()
    form.get_by_label("Đề nghị cấp bản sao Trích lục khai tử").check()
    expect(copies).to_be_visible()
    copies.fill("2")
    form.get_by_label(re.compile(r"^Số Giấy báo tử")).fill("125/GBT")
    # Not declared as filing by power of attorney: that document is optional.
    expect(form.locator("label[for=doc-2]")).to_contain_text("nếu có")
    pdf = tmp_path / "giay-bao-tu.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    form.locator("#doc-1").set_input_files(str(pdf))  # «Giấy báo tử …», also in a label
    check_accessibility(page, "citizen's form, page 3")
    page.get_by_role("button", name="Nộp hồ sơ").click()
    # Two copies at 8.000 đ: 16.000 đ.
    expect(page.locator("main")).to_contain_text("16.000 đ")
    expect(page.locator("main")).to_contain_text("Lê Văn Tư")
    confirm_filing(page, "check your answers")
    expect(page).to_have_url(re.compile(r"/ho-so/[0-9.]+H\d\d-\d{6}-\d{4}/$"))
    expect(page.get_by_text("Chờ tiếp nhận")).to_be_visible()
    check_accessibility(page, "the new dossier")


def test_the_editor_of_a_long_form_is_a_page_one_can_work_in(browser, live_url):
    """The birth registration's draft in the editor: sections folded to a summary line, one
    open at a time, rows folded to their titles. The page's height is printed and bounded
    (before: 43,791 px on a desktop, everything open)."""
    from dichvucong.accounts.models import User
    from dichvucong.catalog.models import Procedure
    from dichvucong.catalog.versions import delete_draft, start_draft
    from tests.browser.conftest import DESKTOP, PHONE, new_context, settled

    designer = User.objects.get(username="quantri.thutuc")
    birth = Procedure.objects.get(code="1.001193")
    form_rows = birth.current_version.definition["form"]
    # Rows as the editor lists them: a group's own fields are rows too.
    fields = len(form_rows) + sum(len(item.get("fields") or []) for item in form_rows)
    draft = start_draft(birth, designer)
    context = new_context(browser, viewport=DESKTOP, locale="vi-VN")
    page = context.new_page()
    try:
        _login(page, live_url, "quantri.thutuc", "/thiet-ke/1.001193/nhap/")
        expect(page.get_by_role("heading", level=1)).to_contain_text("khai sinh")
        # The height once the page has loaded (its stylesheet folds and lays out the rows).
        settled(page)
        height = page.evaluate("document.documentElement.scrollHeight")
        print(f"designer editor, {fields} fields, desktop, all folded: {height} px")
        assert height < 6000
        # The form's section, opened from the list of sections (a link: no script needed).
        page.get_by_role("navigation", name="Các phần của bản nháp").get_by_role(
            "link", name="Biểu mẫu công dân khai").click()
        form = page.locator("#section-form")
        expect(form).to_have_attribute("open", "")
        expect(form.locator("> summary")).to_contain_text(f"{fields} trường")
        expect(page.locator("details.designer-section[open]")).to_have_count(1)
        settled(page)
        height = page.evaluate("document.documentElement.scrollHeight")
        print(f"designer editor, {fields} fields, desktop, form section open: {height} px")
        assert height < 6000
        first = page.locator("#id_form-0-label")
        expect(first).to_be_hidden()
        page.locator("#section-form details.designer-fold > summary").first.click()
        expect(first).to_be_visible()
        check_accessibility(page, "designer editor, form section open")
        page.set_viewport_size(PHONE)
        page.reload()
        height = page.evaluate("document.documentElement.scrollHeight")
        print(f"designer editor, {fields} fields, phone, form section open: {height} px")
        assert height < 6000
    finally:
        context.close()
        delete_draft(draft, designer)
