"""The residence group's procedures end to end through HTTP (tests/procedure_flow.py): permanent
and temporary residence and the CT07 confirmation (commune police), driving licence renewal and
re-issue (city police), the criminal record certificate (Sở Tư pháp) and the two
certifications (ward). Each files its e-declaration, is processed and signed, and the signed
PDF carries the dossier's data and the signer; each also refuses one invalid input in
Vietnamese and keeps what was typed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dichvucong.dossiers.models import Dossier
from tests import residence_forms as forms
from tests.procedure_flow import (
    PDF,
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

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("result_keys_later")]


def refused(code_or_name: str, form: dict[str, str], message: str, *kept: str) -> str:
    """Post ``form`` to the procedure's submission page (mandatory papers attached): the page
    comes back with ``message`` and every ``kept`` value still in its input; nothing filed."""
    proc = procedure(code_or_name)
    definition = proc.current_version.parsed()
    files = {f"doc-{i}": SimpleUploadedFile(f"giay-to-{i}.pdf", PDF, "application/pdf")
             for i, d in enumerate(definition.documents) if d.mandatory}
    response = client_for("congdan").post(
        f"/thu-tuc/{proc.code}/nop-ho-so/",
        {"agency": str(receiving_agency(proc).pk), "delivery": "online", "action": "submit",
         **form, **files})
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html, html[:4000]
    for value in kept:
        assert f'value="{value}"' in html or f">{value}</textarea>" in html, value
    assert not Dossier.objects.filter(procedure=proc).exclude(state="draft").exists()
    return html


def signed_text(dossier: Dossier, tmp_path, *, valid_until: str = "") -> tuple[str, str]:
    result = process_and_sign(dossier, valid_until=valid_until)
    data = download(result)
    assert_signature_valid(data, tmp_path)
    return pdf_text(data), result.signer_name


def test_permanent_residence_ct01_to_the_signed_notice(tmp_path):
    proc = procedure(forms.PERMANENT)
    page = client_for("congdan").get(f"/thu-tuc/{proc.code}/nop-ho-so/").content.decode()
    for name in ("ho_ten", "chu_ho_ho_ten", "quan_he_chu_ho", "truong_hop", "cho_o-commune",
                 "chu_so_huu_dong_y", "thanh_vien-0-tv_ho_ten"):
        assert f'name="{name}"' in page, name
    assert '<option value="Người ở thuê"' in page  # the shared relationship list

    today = timezone.localdate()
    # A household member's wrong identity number is refused; the rows typed stay.
    bad = {**forms.residence_form(), "chu_ho_so_dinh_danh": "04816500432"}
    refused(forms.PERMANENT, bad, "Số căn cước công dân phải gồm đúng 12 chữ số.",
            "04816500432", "Lê Ngọc Hân", "Nguyễn Thị Mai")

    dossier = file_online(proc, forms.residence_form())
    assert dossier.form_data["thanh_vien"][0]["tv_ho_ten"] == "Lê Ngọc Hân"
    assert dossier.fee_amount == 10_000  # the online fee (counter: 20.000 đồng)
    text, signer = signed_text(dossier, tmp_path)
    assert_carries(text, "THÔNG BÁO KẾT QUẢ ĐĂNG KÝ THƯỜNG TRÚ",
                   "Họ, chữ đệm và tên: Lê Văn Thành",
                   "Ngày, tháng, năm sinh: 15/04/1990. Giới tính: Nam",
                   "Số định danh cá nhân: 048090012345",
                   "Nơi thường trú: 45 Trần Phú, Phường Hải Châu",
                   "Họ, chữ đệm và tên chủ hộ: Nguyễn Thị Mai; quan hệ với chủ hộ: Con đẻ",
                   f"Ngày đăng ký thường trú: {today:%d/%m/%Y}",
                   # The household members, from the repeating group, one numbered line each.
                   "Những người cùng đăng ký",
                   "1. Lê Ngọc Hân; ngày sinh: 02/09/2018; giới tính: Nữ; số định danh cá "
                   "nhân: 048318009876; quan hệ với chủ hộ: Cháu ruột", signer)


def test_temporary_residence_until_a_date_within_two_years(tmp_path):
    today = timezone.localdate()
    # The stay must end after today (and within two years).
    refused(forms.TEMPORARY, forms.residence_form(temporary=True, until=today),
            f"«Đề nghị tạm trú đến ngày» không được trước ngày "
            f"{today + timedelta(days=1):%d/%m/%Y}.", today.isoformat())
    until = today + timedelta(days=400)
    dossier = file_online(procedure(forms.TEMPORARY),
                          forms.residence_form(temporary=True, until=until))
    text, signer = signed_text(dossier, tmp_path)
    assert_carries(text, "THÔNG BÁO KẾT QUẢ ĐĂNG KÝ TẠM TRÚ", "Họ, chữ đệm và tên: Lê Văn Thành",
                   "Nơi tạm trú: 45 Trần Phú, Phường Hải Châu",
                   f"Thời hạn tạm trú: từ {today:%d/%m/%Y} đến {until:%d/%m/%Y}",
                   "1. Lê Ngọc Hân; ngày sinh: 02/09/2018", signer)


def test_residence_confirmation_ct07_valid_one_year(tmp_path):
    today = timezone.localdate()
    tomorrow = today + timedelta(days=1)
    refused(forms.CONFIRMATION, {**forms.confirmation_form(), "ngay_sinh": tomorrow.isoformat()},
            f"«Ngày, tháng, năm sinh» không được sau ngày hôm nay ({today:%d/%m/%Y}).",
            tomorrow.isoformat(), "Lê Văn Thành")
    dossier = file_online(procedure(forms.CONFIRMATION), forms.confirmation_form())
    result = process_and_sign(dossier)
    # «có giá trị sử dụng 01 năm kể từ ngày cấp»
    # 29 February first: date(year + 1, 2, 29) does not exist, and was built before the test
    # of the day (ValueError on a leap day).
    assert (today.month, today.day) == (2, 29) \
        or result.valid_until == date(today.year + 1, today.month, today.day) - timedelta(1)
    data = download(result)
    assert_signature_valid(data, tmp_path)
    assert_carries(pdf_text(data), "XÁC NHẬN THÔNG TIN VỀ CƯ TRÚ",
                   "Theo đề nghị của ông/bà Lê Văn Thành, số định danh cá nhân 048090012345",
                   "Nơi thường trú: 45 Trần Phú, Phường Hải Châu",
                   "Xác nhận nơi thường trú và thời gian cư trú để bổ sung hồ sơ vay vốn",
                   f"Ngày xác nhận: {today:%d/%m/%Y}", result.signer_name)


def test_driving_licence_renewal_to_the_new_licence(tmp_path):
    proc = procedure(forms.LICENCE_RENEWAL)
    page = client_for("congdan").get(f"/thu-tuc/{proc.code}/nop-ho-so/").content.decode()
    for licence_class in ("A1", "B", "C1E", "D2E", "DE"):  # Luật TTATGTĐB 2024, Điều 57
        assert f'name="gplx_hang_de_nghi" value="{licence_class}"' in page, licence_class
    today = timezone.localdate()
    tomorrow = today + timedelta(days=1)
    refused(forms.LICENCE_RENEWAL,
            {**forms.licence_form(), "gplx_ngay_cap": tomorrow.isoformat()},
            f"«Ngày cấp giấy phép lái xe» không được sau ngày hôm nay ({today:%d/%m/%Y}).",
            "480150123456", "Trần Thị Thu Hà")
    dossier = file_online(proc, forms.licence_form())
    until = today.replace(year=today.year + 10) - timedelta(days=1) if (
        today.month, today.day) != (2, 29) else date(today.year + 10, 2, 28)
    text, signer = signed_text(dossier, tmp_path, valid_until=until.isoformat())
    assert_carries(text, "GIẤY PHÉP LÁI XE", "Họ và tên: Trần Thị Thu Hà",
                   "Ngày sinh: 23/11/1988. Quốc tịch: Việt Nam",
                   "Nơi cư trú: 17 Lê Lợi, Phường Hải Châu",
                   "Số giấy phép lái xe: 480150123456", "Hạng: B",
                   "Đổi từ giấy phép lái xe hạng B2 số 480150123456 do Sở Giao thông vận tải "
                   "Đà Nẵng cấp ngày 20/08/2015", f"Có giá trị đến: {until:%d/%m/%Y}", signer)


def test_driving_licence_reissue_after_loss(tmp_path):
    refused(forms.LICENCE_REISSUE, {**forms.licence_form(reissue=True), "gplx_so": "48-015/B2"},
            "«Số giấy phép lái xe» chỉ gồm chữ số và chữ cái, từ 6 đến 20 ký tự",
            "48-015/B2", "Giấy phép lái xe bị mất.")
    proc = procedure(forms.LICENCE_REISSUE)
    # The health certificate is required for class B (Thông tư 12/2025/TT-BCA) …
    response = client_for("congdan").post(f"/thu-tuc/{proc.code}/nop-ho-so/", {
        "agency": str(receiving_agency(proc).pk), "delivery": "online", "action": "submit",
        **forms.licence_form(reissue=True)})
    assert response.status_code == 200
    assert "Cần đính kèm «Giấy khám sức khỏe của người lái xe»." in response.content.decode()
    # … and not for classes A1, A and B1 only: filed with no paper at all.
    file_online(proc, {**forms.licence_form(reissue=True), "gplx_hang_de_nghi": ["A1", "B1"]},
                uploads={})
    dossier = file_online(proc, forms.licence_form(reissue=True))
    text, signer = signed_text(dossier, tmp_path)
    assert_carries(text, "GIẤY PHÉP LÁI XE", "Họ và tên: Trần Thị Thu Hà",
                   "Cấp lại giấy phép lái xe hạng B2 số 480150123456",
                   "Lý do: Giấy phép lái xe bị mất.", signer)


def test_criminal_record_certificate_no_1(tmp_path):
    today = timezone.localdate()
    tomorrow = today + timedelta(days=1)
    bad = {**forms.criminal_record_form(), "qua_trinh_cu_tru-1-tu_ngay": tomorrow.isoformat()}
    refused(forms.CRIMINAL_RECORD, bad,
            f"«Từ ngày» không được sau ngày hôm nay ({today:%d/%m/%Y}).",
            tomorrow.isoformat(), "Công ty TNHH Phần mềm Sông Hàn")
    dossier = file_online(procedure(forms.CRIMINAL_RECORD), forms.criminal_record_form())
    assert [row["noi_cu_tru"] for row in dossier.form_data["qua_trinh_cu_tru"]] == [
        "Phường Thanh Khê, thành phố Đà Nẵng",
        "88 Hùng Vương, phường Hải Châu, thành phố Đà Nẵng"]
    text, signer = signed_text(dossier, tmp_path)
    assert_carries(text, "PHIẾU LÝ LỊCH TƯ PHÁP SỐ 1", "Họ và tên: Phạm Minh Quân",
                   "Ngày, tháng, năm sinh: 29/02/1996",
                   "Nơi sinh: Phường Thanh Khê, thành phố Đà Nẵng", "Quốc tịch: Việt Nam",
                   "Số định danh cá nhân: 048096007788", "Án tích: Không có án tích",
                   f"Phiếu được cấp ngày {today:%d/%m/%Y}", signer)


def test_copy_certification_statement(tmp_path):
    refused(forms.COPY_CERTIFICATION, {**forms.copy_certification_form(), "so_ban": "0"},
            "«Số bản sao cần chứng thực» không được nhỏ hơn 1.", "Bằng tốt nghiệp đại học")
    dossier = file_online(procedure(forms.COPY_CERTIFICATION), forms.copy_certification_form())
    today = timezone.localdate()
    text, signer = signed_text(dossier, tmp_path)
    assert_carries(text, "BẢN SAO CÓ CHỨNG THỰC",
                   "Tên giấy tờ, văn bản: Bằng tốt nghiệp đại học",
                   "Cơ quan, tổ chức cấp: Trường Đại học Đà Nẵng. Số, ký hiệu: QH-2021-123456. "
                   "Ngày cấp: 15/07/2021",
                   "Số trang của bản chính: 1. Số bản sao được chứng thực: 3",
                   "Chứng thực bản sao đúng với bản chính.",
                   f"Ngày {today:%d/%m/%Y}, tại {dossier.agency.name}.", signer)


def test_signature_certification_statement(tmp_path):
    no_witness = {**forms.signature_certification_form(),
                  "hinh_thuc": "Không thể ký, không thể điểm chỉ (có người làm chứng)"}
    refused(forms.SIGNATURE_CERTIFICATION, no_witness,
            "Cần nhập «Họ, chữ đệm và tên người làm chứng».", "Giấy ủy quyền nhận lương hưu")
    dossier = file_online(procedure(forms.SIGNATURE_CERTIFICATION),
                          forms.signature_certification_form())
    text, signer = signed_text(dossier, tmp_path)
    assert_carries(text, "Giấy ủy quyền nhận lương hưu. Số bản được chứng thực: 2",
                   "chứng thực: ông/bà Đặng Quốc Bảo, giấy tờ tùy thân số 048075001122, đã ký "
                   "(hoặc điểm chỉ) vào giấy tờ, văn bản này trước mặt người thực hiện chứng "
                   "thực. Hình thức: Ký.", signer)
