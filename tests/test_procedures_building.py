"""The «building» group's curated procedures end to end (issue #15): each is filed through its
e-declaration on the submission page, processed and signed by the receiving agency's officials,
and the signed result's text carries the dossier's data and the signer's full name; pdfsig
validates the signature. One refused input per procedure shows the Vietnamese message and keeps
what was typed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from dichvucong.datastore.documents import can_stand_in
from dichvucong.datastore.models import StoredDocument
from dichvucong.dossiers.models import Dossier
from tests import building_forms as forms
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

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("result_keys_later")]


def refused(proc, form: dict[str, str], message: str | tuple[str, ...], *kept: str) -> None:
    """Filing ``form`` is refused with ``message`` (or each of several); the page keeps the
    values ``kept``; nothing is submitted."""
    agency = receiving_agency(proc)
    response = client_for("congdan").post(
        f"/thu-tuc/{proc.code}/nop-ho-so/",
        {"agency": str(agency.pk), "delivery": "online", "action": "submit", **form})
    assert response.status_code == 200
    html = response.content.decode()
    for expected in (message,) if isinstance(message, str) else message:
        assert expected in html, (expected, html[:6000])
    for value in kept:
        assert f'value="{value}"' in html or f">{value}</textarea>" in html, value
    assert not Dossier.objects.filter(procedure=proc).exclude(state="draft").exists()


def signed_text(proc, form: dict[str, str], tmp_path) -> tuple[str, object]:
    dossier = file_online(proc, form)
    result = process_and_sign(dossier)
    data = download(result)
    assert_signature_valid(data, tmp_path)
    return pdf_text(data), result


def today() -> str:
    return f"{timezone.localdate():%d/%m/%Y}"


def test_a_new_house_permit_carries_the_plot_the_sizes_and_the_start_limit(tmp_path):
    proc = procedure(forms.NEW_HOUSE)
    page = client_for("congdan").get(f"/thu-tuc/{proc.code}/nop-ho-so/").content.decode()
    assert "Mẫu số 01 Phụ lục II Nghị định 175/2024/NĐ-CP" in page
    # A density over 100 % is refused; what was typed stays.
    refused(proc, {**forms.new_house_form(), "nd_mat_do": "120"},
            "«Mật độ xây dựng (%)» không được lớn hơn 100.", "K12/7 Nguyễn Chí Thanh", "85,5")

    text, result = signed_text(proc, forms.new_house_form(), tmp_path)
    assert result.title == "Giấy phép xây dựng"
    assert_carries(
        text, "GIẤY PHÉP XÂY DỰNG", f"Số: {result.number}",
        f"Chủ đầu tư: {forms.CITIZEN_NAME}",
        "Cấp công trình: Cấp III",
        "thửa đất số 215, tờ bản đồ số 34; diện tích lô đất 102,4 m²; "
        "địa chỉ: K12/7 Nguyễn Chí Thanh, Phường Hải Châu, Thành phố Đà Nẵng",
        "Cốt xây dựng: +0,45 m. Mật độ xây dựng: 83,5 %",
        "Diện tích xây dựng tầng 1 (tầng trệt): 85,5 m²", "Tổng diện tích sàn: 256,5 m²",
        "Chiều cao công trình: 11,8 m. Số tầng: 3 (3 tầng trên mặt đất, 1 tum)",
        "Công ty TNHH Tư vấn thiết kế Sông Hàn", "Giấy chứng nhận quyền sử dụng đất số: DĐ 512345",
        "hiệu lực khởi công xây dựng trong thời hạn 12 tháng kể từ ngày cấp",
        f"Ngày cấp: {today()}", result.signer_name)
    # Twelve months to start: the permit's validity ends the day before the same date a year on.
    assert result.valid_until is not None
    assert (result.valid_until - result.issue_date).days in range(363, 366)


def test_a_house_repair_permit_carries_what_is_there_and_what_changes(tmp_path):
    proc = procedure(forms.HOUSE_REPAIR)
    refused(proc, {**forms.house_repair_form(), "cdt_so_dinh_danh": "04809000452"},
            "Số căn cước công dân phải gồm đúng 12 chữ số.",
            "Nâng thêm 1 tầng, thay mái tôn bằng sàn bê tông cốt thép")

    text, result = signed_text(proc, forms.house_repair_form(), tmp_path)
    assert_carries(
        text, "GIẤY PHÉP XÂY DỰNG", f"Chủ đầu tư: {forms.CITIZEN_NAME}",
        "thửa đất số 88, tờ bản đồ số 12",
        "Hiện trạng: Nhà 2 tầng, khung bê tông cốt thép, diện tích sàn 110 m²",
        "Nội dung sửa chữa, cải tạo: Nâng thêm 1 tầng, thay mái tôn bằng sàn bê tông cốt thép",
        "cấp công trình: Cấp IV; mật độ xây dựng: 86 %",
        "tổng diện tích sàn: 165 m²; chiều cao: 10,5 m; số tầng: 3",
        f"Cơ quan cấp giấy phép: {result.agency.name}", result.signer_name)


def test_a_permit_for_non_linear_works_is_issued_by_the_department(tmp_path):
    proc = procedure(forms.NON_LINEAR_WORKS)
    refused(proc, {**forms.non_linear_works_form(), "cam_ket": ""},
            "Cần đánh dấu «Tôi xin cam đoan làm theo đúng giấy phép được cấp",
            "Tòa nhà văn phòng Bạch Đằng Xanh")

    text, result = signed_text(proc, forms.non_linear_works_form(), tmp_path)
    assert result.agency.name == "Sở Xây dựng"
    assert_carries(
        text, "GIẤY PHÉP XÂY DỰNG",
        "Chủ đầu tư: Công ty Cổ phần Đầu tư Bạch Đằng Xanh (mã số 0401987654); "
        f"người đại diện: {forms.CITIZEN_NAME}, Giám đốc",
        "Được phép xây dựng công trình: Tòa nhà văn phòng Bạch Đằng Xanh",
        "Quyết định số 2456/QĐ-UBND ngày 12/3/2025 của UBND thành phố Đà Nẵng",
        "Loại công trình: Công trình dân dụng. Cấp công trình: Cấp I",
        "thửa đất số 12, tờ bản đồ số 5; diện tích lô đất 1850 m²",
        "Diện tích xây dựng: 1110 m². Tổng diện tích sàn: 24420 m²",
        "Chiều cao công trình: 88,5 m. Số tầng: 24 (2 tầng hầm, 21 tầng nổi, 1 tum)",
        "thẩm tra: Công ty TNHH Thẩm tra xây dựng Đà Nẵng", result.signer_name)


def test_a_land_change_is_confirmed_with_the_plot_the_certificate_and_the_new_holder(tmp_path):
    proc = procedure(forms.LAND_CHANGE)
    definition = proc.current_version.parsed()
    # Honest about presence: the original certificate still has to reach the office.
    assert definition.online_mode == "partial" and "bản gốc Giấy chứng nhận" in (
        definition.presence_required)
    tomorrow = timezone.localdate() + timedelta(days=1)
    refused(proc, {**forms.land_change_form(), "gcn_ngay_cap": tomorrow.isoformat()},
            f"«Ngày cấp Giấy chứng nhận» không được sau ngày hôm nay ({today()}).",
            "CS 045871", "Trần Thị Mỹ Hạnh")

    text, result = signed_text(proc, forms.land_change_form(), tmp_path)
    contract_day = date.fromisoformat(forms.land_change_form()["hd_ngay"])
    assert_carries(
        text, "Số phát hành: CS 045871; số vào sổ cấp Giấy chứng nhận: CS07412; "
              "ngày cấp: 21/08/2019",
        "Thửa đất số 317, tờ bản đồ số 29; diện tích 96,3 m²",
        "Địa chỉ thửa đất: 52 Lê Đình Dương, Phường Hải Châu, Thành phố Đà Nẵng",
        "Chuyển nhượng quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất từ Trần Thị Mỹ "
        f"Hạnh cho {forms.CITIZEN_NAME}",
        f"tại Văn phòng công chứng Hải Châu ngày {contract_day:%d/%m/%Y}",
        "Sau khi biến động: Người sử dụng đất: ông Nguyễn Văn An, sinh năm 1990",
        f"Xác nhận của {result.agency.name}, ngày {today()}", result.signer_name)
    # The confirmation lands in the holder's store, where a building permit's land paper can
    # take it instead of an upload.
    stored = StoredDocument.objects.get(result=result)
    land_paper = procedure(forms.NEW_HOUSE).current_version.parsed().documents[1]
    assert can_stand_in(stored.document_type, land_paper.name, land_paper.store_document_types)


def test_an_unemployment_benefit_decision_carries_the_worker_and_the_contract(tmp_path):
    proc = procedure(forms.UNEMPLOYMENT)
    refused(proc, {**forms.unemployment_form(), "so_thang_dong": "10", "so_bhxh": "48091234"},
            ("«Số tháng đóng bảo hiểm thất nghiệp» không được nhỏ hơn 12.",
             "«Số sổ bảo hiểm xã hội» gồm đúng 10 chữ số."), "Công ty TNHH Dệt may Hòa Khánh")

    text, result = signed_text(proc, forms.unemployment_form(), tmp_path)
    ended = date.fromisoformat(forms.unemployment_form()["ngay_cham_dut"])
    assert result.title == "Quyết định về việc hưởng trợ cấp thất nghiệp"
    assert_carries(
        text, f"Ông/bà: {forms.CITIZEN_NAME}; sinh ngày 17/04/1990; giới tính: Nam",
        "Số sổ bảo hiểm xã hội: 4809123456",
        "(Hợp đồng lao động xác định thời hạn) với Công ty TNHH Dệt may Hòa Khánh ngày "
        f"{ended:%d/%m/%Y}; lý do: Hết hạn hợp đồng lao động",
        "theo đề nghị của người lao động: 46 tháng",
        "Nơi nhận trợ cấp: Qua tài khoản cá nhân Ngân hàng TMCP Ngoại thương Việt Nam",
        result.signer_name)


def test_a_monthly_social_allowance_decision_names_the_person_and_the_carer(tmp_path):
    proc = procedure(forms.SOCIAL_ALLOWANCE)
    # The carer's part is required once the carer declares; the rest stays as typed.
    refused(proc, {**forms.social_allowance_form(), "nk_ho_ten": ""},
            "Cần nhập «Họ và tên người giám hộ, người chăm sóc».", "Phan Thị Lựu", "Con trai")

    text, result = signed_text(proc, forms.social_allowance_form(), tmp_path)
    assert_carries(
        text, "QUYẾT ĐỊNH TRỢ CẤP XÃ HỘI HÀNG THÁNG",
        "Trợ cấp xã hội hàng tháng đối với: Phan Thị Lựu; sinh ngày 09/02/1944; giới tính: Nữ; "
        "dân tộc: Kinh",
        "Thuộc đối tượng: Người cao tuổi (khoản 5 Điều 5), Nghị định 20/2021/NĐ-CP",
        "Thời điểm hưởng: kể từ tháng ký Quyết định này",
        f"Người nhận trợ cấp thay (nếu có): {forms.CITIZEN_NAME}; quan hệ với đối tượng: Con trai",
        f"Nơi ban hành: {result.agency.name}. Ngày ký: {today()}", result.signer_name)


def test_a_diploma_copy_counts_its_copies_and_carries_the_register_entry(tmp_path):
    proc = procedure(forms.DIPLOMA_COPY)
    definition = proc.current_version.parsed()
    assert definition.reissue_from_store and definition.fees[0].unit == "per_copy"
    refused(proc, forms.diploma_copy_form(copies=0),
            "«Số bản sao đề nghị cấp» không được nhỏ hơn 1.",
            "Trường THPT Phan Châu Trinh, Đà Nẵng")

    text, result = signed_text(proc, forms.diploma_copy_form(copies=2), tmp_path)
    assert result.dossier.form_data["so_ban"] == "2"  # the field the per-copy fee reads
    assert_carries(
        text, "BẢN SAO VĂN BẰNG, CHỨNG CHỈ TỪ SỔ GỐC", "Bằng tốt nghiệp trung học phổ thông",
        f"Họ và tên người được cấp: {forms.CITIZEN_NAME}; ngày sinh: 17/04/1990; "
        "nơi sinh: Thành phố Đà Nẵng; giới tính: Nam",
        "Trường, hội đồng thi: Trường THPT Phan Châu Trinh, Đà Nẵng; năm tốt nghiệp: 2008",
        "Số hiệu: B 0457812; số vào sổ gốc cấp văn bằng, chứng chỉ: THPT-2008-01234",
        "Số bản sao: 2", f"lưu tại {result.agency.name}", result.signer_name)


def test_a_medical_practice_licence_carries_the_title_scope_and_five_years(tmp_path):
    proc = procedure(forms.MEDICAL_LICENCE)
    tomorrow = timezone.localdate() + timedelta(days=1)
    refused(proc, {**forms.medical_licence_form(), "th_den": tomorrow.isoformat()},
            f"«Thực hành đến ngày» không được sau ngày hôm nay ({today()}).", "Bệnh viện Đà Nẵng")

    text, result = signed_text(proc, forms.medical_licence_form(), tmp_path)
    assert result.agency.name == "Sở Y tế"
    assert_carries(
        text, "GIẤY PHÉP HÀNH NGHỀ KHÁM BỆNH, CHỮA BỆNH",
        f"Họ và tên: {forms.CITIZEN_NAME}", "Ngày, tháng, năm sinh: 17/04/1990",
        "Văn bằng chuyên môn: Bằng bác sỹ y khoa, Trường Đại học Y Dược, Đại học Huế, năm 2014",
        "Chức danh chuyên môn: Bác sỹ", "Phạm vi hành nghề: Y khoa",
        "Thực hành tại: Bệnh viện Đà Nẵng, từ 03/09/2024 đến 02/09/2025", result.signer_name)
    assert result.valid_until is not None
    assert result.valid_until.year == result.issue_date.year + 5


def test_a_pavement_permit_carries_the_place_size_and_period(tmp_path):
    proc = procedure(forms.PAVEMENT_USE)
    day = timezone.localdate()
    yesterday, starts = day - timedelta(days=1), day + timedelta(days=7)
    ends = starts + timedelta(days=1)
    refused(proc, forms.pavement_use_form(yesterday, ends),
            f"«Sử dụng từ ngày» không được trước ngày {day:%d/%m/%Y}.", "45 Trần Phú")

    dossier = file_online(proc, forms.pavement_use_form(starts, ends))
    result = process_and_sign(dossier, valid_until=ends.isoformat())
    data = download(result)
    assert_signature_valid(data, tmp_path)
    assert result.valid_until == ends
    assert_carries(
        pdf_text(data), "GIẤY PHÉP SỬ DỤNG TẠM THỜI MỘT PHẦN LÒNG ĐƯỜNG, HÈ PHỐ",
        f"Tổ chức, cá nhân: {forms.CITIZEN_NAME}",
        "Được sử dụng tạm thời Hè phố tại: 45 Trần Phú, Phường Hải Châu, Thành phố Đà Nẵng",
        "Mục đích: Tổ chức việc cưới", "Kích thước: dài 8 m, rộng 2,5 m; diện tích 20 m²",
        f"Thời hạn: từ ngày {starts:%d/%m/%Y} đến hết ngày {ends:%d/%m/%Y}",
        result.signer_name)
