"""The service designer builds a new online service from nothing, previews its form, publishes
it, and a citizen finds it in the catalog: in Chromium, on a phone and a desktop, with axe-core
on every page."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.conftest import check_accessibility, confirm_filing

pytestmark = pytest.mark.django_db

SAVED = re.compile(r"Đã lưu phần")


def _save(page: Page, button: str, label: str) -> None:
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.locator(".messages")).to_contain_text(SAVED)
    expect(page.locator(".error-summary")).to_have_count(0)
    check_accessibility(page, label)


def _fill_row(page: Page, prefix: str, values: dict[str, str | bool]) -> None:
    for name, value in values.items():
        locator = page.locator(f"#id_{prefix}-{name}")
        if not locator.is_visible():  # in a closed "more" part
            locator.locator("xpath=ancestor::details[1]/summary").click()
        if isinstance(value, bool):
            locator.set_checked(value)
        elif locator.evaluate("el => el.tagName") == "SELECT":
            locator.select_option(value)
        else:
            locator.fill(value)


FIELDS = [
    {"key": "ho_ten", "label": "Họ và tên", "type": "text", "required": True},
    {"key": "ngay_sinh", "label": "Ngày sinh", "type": "date", "required": True},
    {"key": "dien_thoai", "label": "Số điện thoại", "type": "phone", "required": True},
    {"key": "email", "label": "Thư điện tử", "type": "email"},
    {"key": "loai_giay", "label": "Loại giấy cần cấp", "type": "select", "required": True,
     "options": "Bản chính\nban_sao|Bản sao"},
    {"key": "nop_thay", "label": "Tôi nộp thay người khác", "type": "checkbox"},
    {"key": "nguoi_duoc_nop_thay", "label": "Họ tên người được nộp thay", "type": "text",
     "required": True, "cond_field": "nop_thay", "cond_operator": "equals", "cond_value": "có"},
    {"key": "thanh_vien", "label": "Thành viên cùng học", "type": "group", "max_items": "5"},
    {"key": "ho_ten", "label": "Họ tên thành viên", "type": "text", "required": True,
     "group": "thanh_vien"},
    {"key": "quan_he", "label": "Quan hệ", "type": "text", "group": "thanh_vien"},
]


def _login(page: Page, live_url: str, username: str, then: str) -> None:
    page.goto(live_url + f"/dang-nhap/?next={then}")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill("demo-dichvucong")
    page.get_by_role("button", name="Đăng nhập").click()


def test_designer_builds_publishes_and_a_citizen_files_a_dossier(page, live_url, viewport,
                                                                 tmp_path):
    device = "điện thoại" if viewport["width"] < 600 else "máy tính"
    name = f"Đăng ký lớp kỹ năng số cho người cao tuổi trên {device}"

    page.goto(live_url + "/dang-nhap/?next=/thiet-ke/")
    page.get_by_label("Tên đăng nhập").fill("quantri.thutuc")
    check_accessibility(page, "login")
    page.get_by_label("Mật khẩu").fill("demo-dichvucong")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thiết kế thủ tục")
    check_accessibility(page, "designer list")

    # A new procedure, from nothing.
    page.locator("#id_new-name").fill(name)
    page.locator("#id_new-field").fill("Chuyển đổi số")
    page.get_by_label("Cấp tỉnh").check()
    page.get_by_role("button", name="Tạo và mở bản nháp").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.locator(".checklist")).to_contain_text("Chưa có thời hạn giải quyết.")
    check_accessibility(page, "new draft")
    code = re.search(r"/thiet-ke/([^/]+)/nhap/", page.url).group(1)

    # General information.
    page.locator("#id_general-online_mode_0").check()  # full
    page.locator("#id_general-channels_0").check()  # online
    page.locator("#id_general-channels_1").check()  # in person
    page.locator("#id_general-applicant_types").fill("Người từ 60 tuổi trở lên")
    page.locator("#id_general-legal_basis").fill("Kế hoạch 12/KH-UBND")
    _save(page, "Lưu thông tin chung", "general saved")

    # Processing time, shorter online; a validation error first, kept as typed.
    page.locator("#id_processing-time_value").fill("10")
    page.locator("#id_processing-online_value").fill("12")
    page.get_by_role("button", name="Lưu thời hạn giải quyết").click()
    expect(page.locator("#section-processing .error-summary")).to_contain_text(
        "không được dài hơn")
    expect(page.locator("#id_processing-online_value")).to_have_value("12")
    expect(page.locator("#id_processing-online_value")).to_have_attribute(
        "aria-describedby", re.compile("id_processing-online_value_error"))
    check_accessibility(page, "processing error")
    page.locator("#id_processing-online_value").fill("5")
    _save(page, "Lưu thời hạn giải quyết", "processing saved")
    expect(page.locator("#section-processing")).to_contain_text("Nộp trực tuyến nhanh hơn 50%")

    # A fee with an online reduction.
    _fill_row(page, "fees-0", {"name": "Lệ phí", "amount": "20.000", "online_amount": "10000"})
    _save(page, "Lưu phí, lệ phí", "fees saved")

    # Three required documents, rows added without JavaScript's help.
    documents = [
        {"name": "Tờ khai đăng ký", "copy_type": "original", "template": "Mẫu 01"},
        {"name": "Căn cước công dân", "copy_type": "electronic_or_copy"},
        {"name": "Giấy ủy quyền", "mandatory": False, "condition": "Khi nộp thay"},
    ]
    for index, values in enumerate(documents):
        _fill_row(page, f"documents-{index}", values)
        if index < len(documents) - 1:
            page.get_by_role("button", name="Thêm giấy tờ").click()
            expect(page.locator(f"#id_documents-{index + 1}-name")).to_be_visible()
            if index == 0:
                check_accessibility(page, "documents with an added row")
    expect(page.locator("#id_documents-0-name")).to_have_value("Tờ khai đăng ký")
    _save(page, "Lưu thành phần hồ sơ", "documents saved")

    # The citizen's form: ten rows, with a condition and a repeating group.
    for index, values in enumerate(FIELDS):
        _fill_row(page, f"form-{index}", values)
        if index < len(FIELDS) - 1:
            page.get_by_role("button", name="Thêm trường").click()
            expect(page.locator(f"#id_form-{index + 1}-key")).to_be_visible()
    _save(page, "Lưu biểu mẫu công dân khai", "form saved")
    expect(page.locator("#id_form-9-group")).to_have_value("thanh_vien")

    # The fee is waived for someone filing for another person, and due on submission: a rule
    # made of plain choices, in the fee's folded "exemption rules" part.
    _fill_row(page, "fees-0", {"collect_at": "submission", "ex0_reason": "Nộp thay người khác",
                               "ex0_field": "nop_thay", "ex0_test": "checked"})
    _save(page, "Lưu phí, lệ phí", "fee exemption saved")
    expect(page.locator("#id_fees-0-ex0_test")).to_have_value("checked")
    expect(page.locator("#id_fees-0-ex1_reason")).to_have_value("")

    # A two-step workflow.
    _fill_row(page, "workflow-0", {"name": "Thẩm định hồ sơ", "role": "specialist",
                                   "share": "60"})
    page.get_by_role("button", name="Thêm bước").click()
    _fill_row(page, "workflow-1", {"name": "Phê duyệt", "role": "leader", "share": "40"})
    _save(page, "Lưu quy trình xử lý", "workflow saved")

    # The result.
    _fill_row(page, "result-0", {"name": "Giấy xác nhận đăng ký",
                               "template": "Xác nhận {{ ho_ten }} đã đăng ký."})
    _save(page, "Lưu kết quả", "result saved")
    expect(page.locator(".checklist")).to_contain_text("Bản nháp đủ điều kiện công bố.")
    if viewport["width"] >= 1024:
        expect(page.locator(".designer-preview")).to_be_visible()
        expect(page.locator(".designer-preview #f-ho_ten")).to_be_visible()

    # The preview: the conditional field follows its condition; an empty submission shows
    # every error at once.
    page.get_by_role("link", name="Mở trang xem trước biểu mẫu").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Xem trước biểu mẫu")
    check_accessibility(page, "preview")
    conditional = page.locator("#f-nguoi_duoc_nop_thay")
    expect(conditional).to_be_hidden()
    page.get_by_label("Tôi nộp thay người khác").check()
    expect(conditional).to_be_visible()
    page.get_by_label("Tôi nộp thay người khác").uncheck()
    expect(conditional).to_be_hidden()
    page.get_by_role("button", name="Nộp thử").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary.locator("li")).to_have_count(4)
    for label in ["Họ và tên", "Ngày sinh", "Số điện thoại", "Loại giấy cần cấp"]:
        expect(summary).to_contain_text(label)
    expect(page.locator("#f-ho_ten")).to_have_attribute("aria-invalid", "true")
    check_accessibility(page, "preview with errors")
    page.get_by_role("button", name="Thêm mục «Thành viên cùng học»").click()
    expect(page.locator("#f-thanh_vien-1-ho_ten")).to_be_attached()

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
    _fill_row(page, "fees-0", {"amount": "30000"})
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
    page.get_by_label("Tìm thủ tục").first.fill(f"ky nang so nguoi cao tuoi {device}")
    page.get_by_role("button", name="Tìm kiếm").first.click()
    link = page.locator(".result-list").get_by_role("link", name=name, exact=True)
    expect(link).to_be_visible()
    check_accessibility(page, "search results")
    link.click()
    expect(page).to_have_url(re.compile(rf"/thu-tuc/{re.escape(code)}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.locator("#docs-heading + ol")).to_contain_text("Căn cước công dân")
    expect(page.locator("#fees-heading + ul")).to_contain_text("20.000 đ")
    expect(page.locator("main")).to_contain_text("nhanh hơn 50%")
    check_accessibility(page, "published procedure page")

    # The citizen files a valid dossier to the new service.
    page.goto(live_url + f"/dang-nhap/?next=/thu-tuc/{code}/nop-ho-so/")
    page.get_by_label("Tên đăng nhập").fill("congdan")
    page.get_by_label("Mật khẩu").fill("demo-dichvucong")
    page.get_by_role("button", name="Đăng nhập").last.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nộp hồ sơ trực tuyến")
    form = page.locator("form.procedure-form")
    form.get_by_label(re.compile(r"^Họ và tên")).fill("Trần Văn Bảy")
    form.get_by_label(re.compile(r"^Ngày sinh")).fill("1950-05-01")
    form.get_by_label(re.compile(r"^Số điện thoại")).fill("0905 111 222")
    form.get_by_label("Loại giấy cần cấp").select_option("ban_sao")
    form.get_by_label("Họ tên thành viên").first.fill("Trần Thị Tám")
    pdf = tmp_path / "giay-to.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    form.get_by_label("Tờ khai đăng ký").set_input_files(str(pdf))
    form.get_by_label("Căn cước công dân").set_input_files(str(pdf))
    check_accessibility(page, "citizen's form of the new service")
    page.get_by_role("button", name="Nộp hồ sơ").click()
    confirm_filing(page)
    expect(page).to_have_url(re.compile(r"/ho-so/[0-9.]+H\d\d-\d{6}-\d{4}/$"))
    expect(page.get_by_text("Chờ tiếp nhận")).to_be_visible()
    check_accessibility(page, "the new dossier")
