"""The business group's procedures end to end through HTTP (tests/procedure_flow.py): each is
filed through its e-form, processed and signed by the receiving agency's officials, and the
signed result's text carries the dossier's data and the signer; pdfsig validates it. Each also
refuses one input its form has a real rule for, in Vietnamese, keeping what was typed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from dichvucong.catalog.models import Procedure
from dichvucong.results.models import Result
from tests import business_forms as forms
from tests.procedure_flow import (
    assert_carries,
    assert_signature_valid,
    client_for,
    download,
    file_online,
    pdf_text,
    procedure,
    process_and_sign,
    receiving_agency,
)
from tests.results_helpers import HAI_CHAU

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("result_keys")]


def refused(proc: Procedure, form: dict, client: Client | None = None) -> str:
    """The submission page's answer to a declaration it refuses (the page again, with errors)."""
    client = client or client_for(forms.FILER)
    response = client.post(f"/thu-tuc/{proc.code}/nop-ho-so/", {
        "agency": str(receiving_agency(proc).pk), "delivery": "online", "action": "submit",
        **form})
    assert response.status_code == 200
    return response.content.decode()


def signed_text(proc: Procedure, form: dict, tmp_path, **issue) -> tuple[Result, str]:
    """File ``form``, process and sign; the result and its PDF's text (signature checked)."""
    result = process_and_sign(file_online(proc, form, citizen=forms.FILER), **issue)
    assert result.holder_name == forms.OWNER
    data = download(result, forms.FILER)
    assert_signature_valid(data, tmp_path)
    return result, pdf_text(data)


def test_household_business_registration_1_001612(tmp_path):
    proc = procedure(forms.HOUSEHOLD)
    page = client_for(forms.FILER).get(f"/thu-tuc/{proc.code}/nop-ho-so/").content.decode()
    for name in ("chu_ho_ho_ten", "hkd_ten", "hkd_dia_chi-commune", "nganh_nghe",
                 "von_kinh_doanh", "chu_the", "thanh_vien-0-tv_ho_ten"):
        assert f'name="{name}"' in page, name
    assert ("theo mẫu Giấy đề nghị đăng ký hộ kinh doanh ban hành kèm Thông tư 68/2025/TT-BTC"
            in page)

    html = refused(proc, forms.household_form() | {
        "hkd_ten": "Bánh mì Bích Ngọc", "thanh_vien-0-tv_so_dinh_danh": "04808600193"})
    assert "«Tên hộ kinh doanh» gồm cụm từ «Hộ kinh doanh» và tên riêng" in html
    assert "Số căn cước công dân phải gồm đúng 12 chữ số." in html
    assert 'value="Bánh mì Bích Ngọc"' in html and 'value="Lê Văn Tâm"' in html

    result, text = signed_text(proc, forms.household_form(), tmp_path)
    assert result.title == "Giấy chứng nhận đăng ký hộ kinh doanh"
    assert_carries(
        text, "GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH", f"Số: {result.number}",
        "Tên hộ kinh doanh: Hộ kinh doanh Bánh mì Bích Ngọc",
        "Địa chỉ trụ sở: 25 Trần Phú, Phường Hải Châu, Thành phố Đà Nẵng",
        "1071 - Sản xuất các loại bánh từ bột",
        "5610 - Nhà hàng và các dịch vụ ăn uống phục vụ lưu động",
        "Vốn kinh doanh: 150.000.000 đ", "Chủ thể thành lập: Các thành viên hộ gia đình",
        "Họ, chữ đệm và tên: Trần Thị Bích. Giới tính: Nữ",
        "Sinh ngày: 12/04/1988. Dân tộc: Kinh. Quốc tịch: Việt Nam",
        "Số định danh cá nhân: 048188004512",
        f"Đăng ký lần đầu ngày {timezone.localdate():%d/%m/%Y} tại {HAI_CHAU}",
        # The members of the household, from the repeating group.
        "Thành viên hộ gia đình", "1. Lê Văn Tâm; sinh ngày: 03/09/1986; giới tính: Nam; số "
        "định danh cá nhân: 048086001937; quan hệ với chủ hộ: Chồng",
        result.signer_name)


def test_household_business_change_2_000720(tmp_path):
    proc = procedure(forms.HOUSEHOLD_CHANGE)
    html = refused(proc, forms.household_change_form() | {"von_kinh_doanh": "0"})
    assert "«Vốn kinh doanh (sau thay đổi, đồng)» không được nhỏ hơn 1." in html
    assert 'value="118 Nguyễn Văn Linh"' in html

    result, text = signed_text(proc, forms.household_change_form(), tmp_path)
    assert_carries(
        text, "GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH",
        "Tên hộ kinh doanh: Hộ kinh doanh Bánh mì Bích Ngọc",
        "Mã số hộ kinh doanh: 048188004512",
        "Địa chỉ trụ sở: 118 Nguyễn Văn Linh, Phường Thanh Khê, Thành phố Đà Nẵng",
        "5630 - Dịch vụ phục vụ đồ uống", "Vốn kinh doanh: 300.000.000 đ",
        "Nội dung thay đổi: Địa chỉ trụ sở, Ngành, nghề kinh doanh, Vốn kinh doanh",
        "Họ, chữ đệm và tên: Trần Thị Bích",
        f"Đăng ký thay đổi ngày {timezone.localdate():%d/%m/%Y}", result.signer_name)


def test_private_enterprise_registration_2_001610(tmp_path):
    proc = procedure(forms.PRIVATE_ENTERPRISE)
    html = refused(proc, forms.private_enterprise_form() | {
        "dn_ten": "Thương mại Sông Hàn", "hkd_ma_so_thue": "8568913419"})
    assert "bắt đầu bằng loại hình «Doanh nghiệp tư nhân», «DNTN» hoặc «Doanh nghiệp»" in html
    assert ("«Mã số thuế của hộ kinh doanh»: Mã số thuế 8568913419 không đúng: chữ số kiểm tra"
            in html)
    assert 'value="8568913419"' in html and 'value="Thương mại Sông Hàn"' in html

    result, text = signed_text(proc, forms.private_enterprise_form(), tmp_path)
    assert result.agency.name == "Sở Tài chính"
    assert_carries(
        text, "GIẤY CHỨNG NHẬN ĐĂNG KÝ DOANH NGHIỆP",
        "Tên doanh nghiệp viết bằng tiếng Việt: Doanh nghiệp tư nhân Thương mại Sông Hàn",
        "Tên doanh nghiệp viết bằng tiếng nước ngoài: Song Han Trading Private Enterprise",
        "Tên doanh nghiệp viết tắt: DNTN Sông Hàn",
        "Địa chỉ trụ sở chính: 9 Bạch Đằng, Phường Hải Châu, Thành phố Đà Nẵng",
        "Vốn đầu tư: 2.000.000.000 đ", "4632 - Bán buôn thực phẩm (ngành chính)",
        "Họ, chữ đệm và tên: Trần Thị Bích. Giới tính: Nữ",
        "Sinh ngày: 12/04/1988", "Số định danh cá nhân: 048188004512",
        "Tình trạng thành lập: Thành lập trên cơ sở chuyển đổi từ hộ kinh doanh",
        "Mã số thuế của hộ kinh doanh được chuyển đổi: 8568913418", result.signer_name)


def test_food_safety_certificate_2_001827(tmp_path):
    proc = procedure(forms.FOOD_SAFETY)
    html = refused(proc, forms.food_safety_form() | {"so_nguoi": "0"})
    assert ("«Số người trực tiếp sản xuất, kinh doanh thực phẩm» không được nhỏ hơn 1."
            in html)
    assert 'value="Cơ sở sản xuất bánh kẹo Hương Quê"' in html

    today = timezone.localdate()
    result, text = signed_text(proc, forms.food_safety_form(), tmp_path)
    # 29 February first: date(year + 3, 2, 29) does not exist, and was built before the test
    # of the day (ValueError on a leap day).
    assert (today.month, today.day) == (2, 29) \
        or result.valid_until == date(today.year + 3, today.month, today.day) - timedelta(1)
    assert_carries(
        text, "GIẤY CHỨNG NHẬN CƠ SỞ ĐỦ ĐIỀU KIỆN AN TOÀN THỰC PHẨM",
        "Cơ sở: Cơ sở sản xuất bánh kẹo Hương Quê",
        "Chủ cơ sở: Công ty TNHH Thực phẩm Hương Quê",
        "Địa chỉ cơ sở: 12 Lý Thường Kiệt, Phường Hải Châu, Thành phố Đà Nẵng",
        "Sản xuất và kinh doanh: Bánh, mứt, kẹo",
        "Mặt hàng: Bánh trung thu nhân đậu xanh; mứt gừng",
        f"Có giá trị đến: {result.valid_until:%d/%m/%Y}", result.signer_name)


def test_alcohol_retail_licence(tmp_path):
    proc = procedure(forms.ALCOHOL)
    tomorrow = timezone.localdate() + timedelta(days=1)
    html = refused(proc, forms.alcohol_form() | {"tn_ngay_cap": tomorrow.isoformat()})
    assert (f"«Ngày cấp (lần đầu)» không được sau ngày hôm nay "
            f"({timezone.localdate():%d/%m/%Y})." in html)
    assert f'value="{tomorrow.isoformat()}"' in html

    result, text = signed_text(proc, forms.alcohol_form(), tmp_path)
    assert result.agency.name == HAI_CHAU and result.valid_until is not None
    assert_carries(
        text, "GIẤY PHÉP BÁN LẺ RƯỢU", "Tên thương nhân: Hộ kinh doanh Tạp hóa Bích Ngọc",
        "Giấy chứng nhận đăng ký doanh nghiệp/hộ kinh doanh số 32A8012345 do UBND quận "
        "Hải Châu cấp ngày 15/03/2021",
        "Tại địa điểm: 77 Ông Ích Khiêm, Phường Hải Châu, Thành phố Đà Nẵng",
        "Sản phẩm rượu: Rượu vang đóng chai; rượu mạnh đóng chai",
        "Thương nhân cung cấp rượu: Công ty TNHH Phân phối Đồ uống Miền Trung",
        f"Có giá trị đến: {result.valid_until:%d/%m/%Y}", result.signer_name)


def test_domestic_travel_licence(tmp_path):
    proc = procedure(forms.TRAVEL)
    html = refused(proc, forms.travel_form("15.000.000") | {"dn_ma_so": "030058856"})
    assert "«Số tiền ký quỹ (đồng)» không được nhỏ hơn 20000000." in html
    assert "«Mã số doanh nghiệp»: Mã số thuế gồm 10 chữ số" in html
    assert 'value="15.000.000"' in html and 'value="030058856"' in html

    result, text = signed_text(proc, forms.travel_form(), tmp_path)
    assert result.agency.name == "Sở Văn hóa, Thể thao và Du lịch"
    assert_carries(
        text, "GIẤY PHÉP KINH DOANH DỊCH VỤ LỮ HÀNH NỘI ĐỊA",
        "Tên doanh nghiệp: Công ty TNHH Du lịch Biển Xanh Đà Nẵng",
        "Mã số doanh nghiệp: 0300588569",
        "Địa chỉ trụ sở chính: 88 Võ Nguyên Giáp, Phường Sơn Trà, Thành phố Đà Nẵng",
        "Người đại diện theo pháp luật: Trần Thị Bích, Giám đốc",
        "Người phụ trách kinh doanh dịch vụ lữ hành: Hoàng Thị Mai Anh",
        "Ký quỹ: 20.000.000 đ tại Ngân hàng TMCP Ngoại thương Việt Nam - Chi nhánh Đà Nẵng, "
        "Giấy chứng nhận ký quỹ số KQ-2026/0457", "Có giá trị đến: Không thời hạn",
        result.signer_name)


def test_work_permit_renewal_1_014201(tmp_path):
    proc = procedure(forms.WORK_PERMIT)
    today = timezone.localdate()
    expired = forms.work_permit_form(today - timedelta(days=1)) | {"nld_ho_chieu": "TK 12345"}
    html = refused(proc, expired)
    assert (f"«Ngày hết hạn giấy phép lao động» không được trước ngày {today:%d/%m/%Y}."
            in html)
    assert "«Số hộ chiếu» gồm 6 đến 12 chữ cái hoặc chữ số" in html
    assert 'value="TK 12345"' in html and 'value="TANAKA HIROSHI"' in html
    # The renewal period: after its start, two years at most.
    start = date.fromisoformat(forms.work_permit_form()["gh_tu_ngay"])
    html = refused(proc, forms.work_permit_form() | {
        "gh_den_ngay": (start + timedelta(days=731)).isoformat()})
    assert ("«Thời hạn đề nghị gia hạn: đến ngày» và «Thời hạn đề nghị gia hạn: từ ngày» cách "
            "nhau tối đa 730 ngày (đang cách 731 ngày).") in html

    form = forms.work_permit_form()
    until = date.fromisoformat(form["gh_den_ngay"])
    result, text = signed_text(proc, form, tmp_path, valid_until=until.isoformat())
    assert result.agency.name == "Sở Nội vụ" and result.valid_until == until
    start = date.fromisoformat(form["gh_tu_ngay"])
    assert_carries(
        text, "GIẤY PHÉP LAO ĐỘNG (GIA HẠN)",
        "Họ và tên: TANAKA HIROSHI. Giới tính: Nam",
        "Ngày sinh: 08/07/1982. Quốc tịch: Nhật Bản", "Số hộ chiếu: TK1234567",
        "Người sử dụng lao động: Công ty TNHH Kỹ thuật Điện tử Hòa Khánh; mã số doanh "
        "nghiệp: 0101248141",
        "Vị trí công việc: Chuyên gia. Chức danh công việc: Kỹ sư trưởng thiết kế vi mạch",
        f"Giấy phép lao động số 48/2024/GPLĐ-0321 cấp ngày 20/05/2024 được gia hạn từ ngày "
        f"{start:%d/%m/%Y} đến ngày {until:%d/%m/%Y}", result.signer_name)
