"""The civil status procedures (hộ tịch) end to end through HTTP: each filed with its
e-declaration (Thông tư 04/2020/TT-BTP, sửa đổi bởi Thông tư 04/2024/TT-BTP), processed by the
ward's officials, issued, signed and downloaded; the signed PDF carries the dossier's data and
the signer's name, and pdfsig finds the signature valid. Each also refuses one invalid answer
in Vietnamese and keeps what was typed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from dichvucong.payments.words import date_words
from tests import civil_forms as forms
from tests import procedure_flow as flow
from tests.results_helpers import HAI_CHAU

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("result_keys")]


def refused(code_or_name: str, form: dict[str, str], message: str, *kept: str) -> None:
    """Posting ``form`` is refused with ``message`` and the page keeps the ``kept`` values."""
    proc = flow.procedure(code_or_name)
    response = flow.client_for("congdan").post(
        f"/thu-tuc/{proc.code}/nop-ho-so/",
        {"agency": str(flow.receiving_agency(proc).pk), "delivery": "online", "action": "submit",
         **form})
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html, (message, html[:3000])
    for value in kept:
        assert f'value="{value}"' in html, value


def signed_text(code_or_name: str, form: dict[str, str], tmp_path) -> tuple[str, object]:
    """File, process, sign and download; the PDF's text (signature checked) and the result."""
    dossier = flow.file_online(flow.procedure(code_or_name), form)
    result = flow.process_and_sign(dossier)
    data = flow.download(result)
    flow.assert_signature_valid(data, tmp_path)
    return flow.pdf_text(data), result


def test_marriage_the_certificate_carries_both_spouses(tmp_path):
    today = timezone.localdate()
    page = flow.client_for("congdan").get(f"/thu-tuc/{forms.MARRIAGE}/nop-ho-so/").content.decode()
    for name in ("nu_ho_ten", "nu_ngay_sinh", "nu_lan_ket_hon", "nam_ho_ten", "nam_so_dinh_danh"):
        assert f'name="{name}"' in page, name
    detail = flow.client_for("congdan").get(f"/thu-tuc/{forms.MARRIAGE}/").content.decode()
    assert "hai bên nam, nữ cùng có mặt tại Ủy ban nhân dân phường" in detail

    # A bride not yet eighteen is refused (Luật Hôn nhân và gia đình 2014, Điều 8).
    young = (today - timedelta(days=17 * 365)).isoformat()
    latest = today - timedelta(days=18 * 365 + 4)
    refused(forms.MARRIAGE, forms.marriage_form() | {"nu_ngay_sinh": young},
            f"«Ngày, tháng, năm sinh (bên nữ)» không được sau ngày {latest:%d/%m/%Y}.",
            young, "Lê Thị Hồng Nhung", "048096001234")

    text, result = signed_text(forms.MARRIAGE, forms.marriage_form(), tmp_path)
    assert result.title == "Giấy chứng nhận kết hôn"
    flow.assert_carries(
        text, "GIẤY CHỨNG NHẬN KẾT HÔN", f"Số: {result.register_entry} Quyển số: 01/{today.year}",
        "Họ, chữ đệm, tên chồng: Nguyễn Văn An", "Ngày, tháng, năm sinh: 03/09/1996",
        "Dân tộc: Cơ-tu. Quốc tịch: Việt Nam",
        "Giấy tờ tùy thân: Số định danh cá nhân 048096001234",
        "Họ, chữ đệm, tên vợ: Lê Thị Hồng Nhung", "Ngày, tháng, năm sinh: 12/04/1998",
        "Nơi cư trú: 27 Nguyễn Văn Linh, phường Thanh Khê",
        "Giấy tờ tùy thân: Số định danh cá nhân 048198004512",
        f"Nơi đăng ký kết hôn: {HAI_CHAU}. Ngày, tháng, năm đăng ký: {today:%d/%m/%Y}",
        "ký vào Sổ đăng ký kết hôn", result.signer_name)


def test_marriage_with_a_foreign_party_carries_his_passport(tmp_path):
    refused(forms.FOREIGN_MARRIAGE, forms.foreign_marriage_form() | {"nam_ho_chieu": "M 1234"},
            "«Số hộ chiếu (bên nam)» gồm 5 đến 20 chữ cái hoặc chữ số, không có dấu cách.",
            "M 1234", "KIM MIN JUN")

    proc = flow.procedure(forms.FOREIGN_MARRIAGE)
    dossier = flow.file_online(proc, forms.foreign_marriage_form())
    assert dossier.fee_amount == 1_500_000
    result = flow.process_and_sign(dossier)
    data = flow.download(result)
    flow.assert_signature_valid(data, tmp_path)
    flow.assert_carries(
        flow.pdf_text(data), "GIẤY CHỨNG NHẬN KẾT HÔN",
        "Họ, chữ đệm, tên chồng: KIM MIN JUN", "Dân tộc: Kinh. Quốc tịch: Hàn Quốc",
        "Giấy tờ tùy thân: Hộ chiếu số M12345678",
        "Họ, chữ đệm, tên vợ: Lê Thị Hồng Nhung",
        "Giấy tờ tùy thân: Thẻ căn cước số 048198004512",
        "khoản 3 Điều 38", result.signer_name)


def test_death_the_extract_carries_the_deceased_and_the_requester(tmp_path):
    today = timezone.localdate()
    tomorrow = (today + timedelta(days=1)).isoformat()
    refused(forms.DEATH, forms.death_form() | {"nc_ngay_chet": tomorrow},
            f"«Ngày chết» không được sau ngày hôm nay ({today:%d/%m/%Y}).",
            tomorrow, "Nguyễn Văn Bình", "Suy tim")

    died = today - timedelta(days=5)
    text, result = signed_text(forms.DEATH, forms.death_form(died), tmp_path)
    assert result.title == "Trích lục khai tử"
    flow.assert_carries(
        text, "TRÍCH LỤC KHAI TỬ", f"Số: {result.register_entry} Quyển số: 01/{today.year}",
        "Họ, chữ đệm, tên: Nguyễn Văn Bình", "Ngày, tháng, năm sinh: 27/11/1941",
        "Giới tính: Nam. Dân tộc: Kinh. Quốc tịch: Việt Nam",
        "Số định danh cá nhân: 048041000317",
        f"Đã chết vào lúc: 14:30 ngày {died:%d/%m/%Y}; ghi bằng chữ: {date_words(died)}",
        "Nơi chết: Bệnh viện Đà Nẵng", "Nguyên nhân chết: Suy tim",
        f"Giấy báo tử số: 125/GBT-BVĐN; do Bệnh viện Đà Nẵng cấp ngày {died:%d/%m/%Y}",
        "Họ, chữ đệm, tên: Nguyễn Văn An; số định danh cá nhân: 048096001234; quan hệ với "
        "người đã chết: Con",
        f"Nơi đăng ký khai tử: {HAI_CHAU}. Ngày, tháng, năm đăng ký: {today:%d/%m/%Y}",
        result.signer_name)


def test_extract_copy_two_copies_are_charged_and_carried(tmp_path):
    refused(forms.EXTRACT_COPY, forms.extract_copy_form() | {"so_ban": "0"},
            "«Số lượng bản sao đề nghị cấp» không được nhỏ hơn 1.", "0", "215")

    dossier = flow.file_online(flow.procedure(forms.EXTRACT_COPY),
                               forms.extract_copy_form(copies=2))
    assert dossier.fee_amount == 16_000  # 8.000 đồng a copy (Thông tư 281/2016/TT-BTC)
    result = flow.process_and_sign(dossier)
    data = flow.download(result)
    flow.assert_signature_valid(data, tmp_path)
    flow.assert_carries(
        flow.pdf_text(data), "BẢN SAO TRÍCH LỤC HỘ TỊCH", "Việc hộ tịch: Khai sinh",
        "Nơi đăng ký: Ủy ban nhân dân phường Hải Châu I, quận Hải Châu",
        "Ngày đăng ký: 20/09/1996. Số: 215. Quyển số: 01/1996",
        "Họ, chữ đệm, tên: Nguyễn Văn An",
        f"Ngày, tháng, năm sinh: 03/09/1996; ghi bằng chữ: {date_words(date(1996, 9, 3))}",
        "Số lượng bản sao: 2", result.signer_name)


def test_marital_status_certificate_valid_six_months(tmp_path):
    refused(forms.MARITAL_STATUS, forms.marital_status_form() | {"xn_so_dinh_danh": "04819800451"},
            "Số căn cước công dân phải gồm đúng 12 chữ số.", "04819800451", "Lê Thị Hồng Nhung")

    text, result = signed_text(forms.MARITAL_STATUS, forms.marital_status_form(), tmp_path)
    # Six months from the day of issue, that day counted: 180 to 183 days on, by the months
    # crossed (issued on 1 January 2027: valid to 30 June, 180 days; «more than 180 days» held
    # only on some days of the year).
    assert result.valid_until is not None
    assert timedelta(days=180) <= result.valid_until - result.issue_date <= timedelta(days=183)
    flow.assert_carries(
        text, "GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN",
        "Xét đề nghị của ông/bà Lê Thị Hồng Nhung",
        "Họ, chữ đệm, tên: Lê Thị Hồng Nhung", "Ngày, tháng, năm sinh: 12/04/1998",
        "Giới tính: Nữ. Dân tộc: Kinh", "Số định danh cá nhân 048198004512",
        "Thời gian cư trú ở nơi khác: Xã Điện Bàn",
        "Tình trạng hôn nhân: Chưa đăng ký kết hôn với ai",
        "có giá trị sử dụng trong thời hạn 6 tháng kể từ ngày cấp, được sử dụng để: Đăng ký "
        "kết hôn với ông Nguyễn Văn An", f"Có giá trị đến: {result.valid_until:%d/%m/%Y}",
        result.signer_name)


def test_combined_birth_residence_insurance_issues_the_birth_certificate(tmp_path):
    refused(forms.COMBINED_BIRTH,
            forms.combined_birth_form() | {"tt_chu_ho_so_dinh_danh": "999092006789"},
            "Ba số đầu (999) không phải mã tỉnh", "999092006789", "Trạm Y tế phường Hải Châu")

    born = timezone.localdate() - timedelta(days=20)
    dossier = flow.file_online(flow.procedure(forms.COMBINED_BIRTH),
                               forms.combined_birth_form(born))
    assert dossier.form_data["tt_chu_ho_ho_ten"] == "Trần Văn Hùng"
    assert dossier.form_data["bhyt_noi_kcb"] == "Trạm Y tế phường Hải Châu"
    result = flow.process_and_sign(dossier)
    data = flow.download(result)
    flow.assert_signature_valid(data, tmp_path)
    assert result.title == "Giấy khai sinh"
    flow.assert_carries(
        flow.pdf_text(data), "GIẤY KHAI SINH", "Họ, chữ đệm và tên: Trần Minh Khang",
        f"Ngày, tháng, năm sinh: {born:%d/%m/%Y}; ghi bằng chữ: {date_words(born)}",
        "Họ, chữ đệm và tên người mẹ: Nguyễn Thị Lan",
        "Họ, chữ đệm và tên người cha: Trần Văn Hùng", result.signer_name)
