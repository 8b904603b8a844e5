"""Filled e-declarations of the «building» group's procedures (construction permits, land
changes, unemployment benefit, social allowance, diploma copies, medical practice licence,
pavement use) as the submission page posts them: flat, ``key`` or ``key-province``/``-commune``/
``-street`` for an address. Realistic Vietnamese data for Thành phố Đà Nẵng."""

from __future__ import annotations

from datetime import date, timedelta

NEW_HOUSE = "Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ"
HOUSE_REPAIR = "Cấp giấy phép xây dựng sửa chữa, cải tạo đối với nhà ở riêng lẻ"
NON_LINEAR_WORKS = "Cấp giấy phép xây dựng đối với công trình không theo tuyến"
LAND_CHANGE = "1.013831"
UNEMPLOYMENT = "Giải quyết hưởng trợ cấp thất nghiệp"
SOCIAL_ALLOWANCE = "Trợ cấp xã hội hàng tháng đối với đối tượng bảo trợ xã hội"
DIPLOMA_COPY = "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc"
MEDICAL_LICENCE = "Cấp giấy phép hành nghề khám bệnh, chữa bệnh"
PAVEMENT_USE = "Cấp phép sử dụng tạm thời một phần lòng đường, hè phố"

# The demo citizen the procedure flow files as (devdata/accounts.py).
CITIZEN_NAME = "Nguyễn Văn An"
CITIZEN_ID = "048090004521"
CITY = "48"  # Thành phố Đà Nẵng (statistics office code)


def hai_chau() -> str:
    """Phường Hải Châu's commune code in the 2025 structure."""
    from dichvucong.adminunits.models import AdministrativeUnit

    return AdministrativeUnit.objects.get(level="commune", parent__code=CITY,
                                          name="Phường Hải Châu").code


def _address(key: str, street: str) -> dict[str, str]:
    return {f"{key}-province": CITY, f"{key}-commune": hai_chau(), f"{key}-street": street}


def _owner() -> dict[str, str]:
    return {"cdt_ho_ten": CITIZEN_NAME, "cdt_so_dinh_danh": CITIZEN_ID,
            "cdt_dia_chi": "45 Trần Phú, phường Hải Châu, thành phố Đà Nẵng",
            "cdt_dien_thoai": "0905550001"}


def _plot(plot: str, sheet: str, area: str, street: str) -> dict[str, str]:
    return {"ct_thua_dat": plot, "ct_to_ban_do": sheet, "ct_dien_tich_dat": area,
            "gcn_so": "DĐ 512345", **_address("ct_dia_diem", street)}


def new_house_form() -> dict[str, str]:
    return {**_owner(), **_plot("215", "34", "102,4", "K12/7 Nguyễn Chí Thanh"),
            "tk_don_vi": "Công ty TNHH Tư vấn thiết kế Sông Hàn",
            "tk_chung_chi": "DNA-00012345", "tk_chu_tri": "KTS. Lê Minh Tuấn, DNA-00056789",
            "nd_cap_cong_trinh": "Cấp III", "nd_dien_tich_tang_1": "85,5",
            "nd_tong_dien_tich_san": "256,5", "nd_chieu_cao": "11,8", "nd_so_tang": "3",
            "nd_so_tang_chi_tiet": "3 tầng trên mặt đất, 1 tum", "nd_cot_xay_dung": "+0,45",
            "nd_mat_do": "83,5", "tg_hoan_thanh": "8", "cam_ket": "on"}


def house_repair_form() -> dict[str, str]:
    return {**_owner(), **_plot("88", "12", "64", "27 Hoàng Diệu"),
            "ht_gpxd_so": "Số 1023/GPXD ngày 14/5/2012",
            "ht_mo_ta": "Nhà 2 tầng, khung bê tông cốt thép, diện tích sàn 110 m²",
            "nd_sua_chua": "Nâng thêm 1 tầng, thay mái tôn bằng sàn bê tông cốt thép",
            "nd_cap_cong_trinh": "Cấp IV", "nd_dien_tich_tang_1": "55",
            "nd_tong_dien_tich_san": "165", "nd_chieu_cao": "10,5", "nd_so_tang": "3",
            "nd_mat_do": "86", "tg_hoan_thanh": "5", "cam_ket": "on"}


def non_linear_works_form() -> dict[str, str]:
    return {"cdt_ho_ten": "Công ty Cổ phần Đầu tư Bạch Đằng Xanh", "cdt_ma_so_dn": "0401987654",
            "cdt_nguoi_dai_dien": CITIZEN_NAME, "cdt_chuc_vu": "Giám đốc",
            "cdt_dia_chi": "120 Bạch Đằng, phường Hải Châu, thành phố Đà Nẵng",
            "cdt_dien_thoai": "02363822123",
            "ct_ten": "Tòa nhà văn phòng Bạch Đằng Xanh",
            "du_an_qd": "Quyết định số 2456/QĐ-UBND ngày 12/3/2025 của UBND thành phố Đà Nẵng",
            **_plot("12", "5", "1850", "120 Bạch Đằng"),
            "tk_don_vi": "Công ty Cổ phần Kiến trúc Miền Trung", "tk_chung_chi": "BXD-00004567",
            "tt_don_vi": "Công ty TNHH Thẩm tra xây dựng Đà Nẵng",
            "nd_loai_cong_trinh": "Công trình dân dụng", "nd_cap_cong_trinh": "Cấp I",
            "nd_dien_tich_xay_dung": "1110", "nd_tong_dien_tich_san": "24420",
            "nd_chieu_cao": "88,5", "nd_so_tang": "24",
            "nd_so_tang_chi_tiet": "2 tầng hầm, 21 tầng nổi, 1 tum", "nd_mat_do": "60",
            "tg_hoan_thanh": "30", "cam_ket": "on"}


def days_ago(days: int) -> str:
    return (date.today() - timedelta(days=days)).isoformat()


def land_change_form() -> dict[str, str]:
    return {"nsd_ho_ten": CITIZEN_NAME, "nsd_so_dinh_danh": CITIZEN_ID,
            "nsd_dia_chi": "45 Trần Phú, phường Hải Châu, thành phố Đà Nẵng",
            "nsd_dien_thoai": "0905550001",
            "gcn_so_phat_hanh": "CS 045871", "gcn_so_vao_so": "CS07412",
            "gcn_ngay_cap": "2019-08-21",
            "thua_dat_so": "317", "to_ban_do_so": "29", "thua_dien_tich": "96,3",
            **_address("thua_dia_chi", "52 Lê Đình Dương"),
            "bd_loai": "Chuyển nhượng quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất",
            "ben_chuyen_ho_ten": "Trần Thị Mỹ Hạnh",
            "hd_so": "Số công chứng 2345, quyển số 03/2026 TP/CC-SCC/HĐGD",
            "hd_noi": "Văn phòng công chứng Hải Châu", "hd_ngay": days_ago(9),
            "bd_truoc": "Người sử dụng đất: bà Trần Thị Mỹ Hạnh, sinh năm 1975",
            "bd_sau": "Người sử dụng đất: ông Nguyễn Văn An, sinh năm 1990",
            "ly_do": "Nhận chuyển nhượng quyền sử dụng đất và nhà ở", "cap_moi_gcn": "Không",
            "nghia_vu_tai_chinh": "Đã nộp thuế thu nhập cá nhân và lệ phí trước bạ",
            "cam_doan": "on"}


def unemployment_form(ended: str | None = None) -> dict[str, str]:
    return {"ho_ten": CITIZEN_NAME, "ngay_sinh": "1990-04-17", "gioi_tinh": "Nam",
            "so_dinh_danh": CITIZEN_ID, "so_bhxh": "4809123456", "dien_thoai": "0905550001",
            "email": "nguyenvanan@example.vn", "dan_toc": "Kinh", "trinh_do": "Cao đẳng",
            "nganh_nghe": "Kế toán",
            "noi_thuong_tru": "45 Trần Phú, phường Hải Châu, thành phố Đà Nẵng",
            "ngay_cham_dut": ended or days_ago(20),
            "don_vi": "Công ty TNHH Dệt may Hòa Khánh",
            "don_vi_dia_chi": "Khu công nghiệp Hòa Khánh, phường Liên Chiểu, thành phố Đà Nẵng",
            "ly_do": "Hết hạn hợp đồng lao động",
            "loai_hd": "Hợp đồng lao động xác định thời hạn", "so_thang_dong": "46",
            "noi_nhan": "Qua tài khoản cá nhân", "tk_so": "0041000123456",
            "tk_ngan_hang": "Ngân hàng TMCP Ngoại thương Việt Nam, chi nhánh Đà Nẵng",
            "cam_doan": "on"}


ELDERLY = "Người cao tuổi (khoản 5 Điều 5)"
GUARDIAN = "Người giám hộ hoặc người chăm sóc, nuôi dưỡng"


def social_allowance_form() -> dict[str, str]:
    """The citizen's mother, aged 82, declared by him as her carer."""
    return {"doi_tuong": ELDERLY, "dt_ho_ten": "Phan Thị Lựu", "dt_ngay_sinh": "1944-02-09",
            "dt_gioi_tinh": "Nữ", "dt_dan_toc": "Kinh", "dt_so_dinh_danh": "048144001287",
            "dt_noi_thuong_tru": "45 Trần Phú, phường Hải Châu, thành phố Đà Nẵng",
            "ho_ngheo": "Không thuộc hộ nghèo, hộ cận nghèo", "che_do": "Không hưởng chế độ nào",
            "nguoi_khai": GUARDIAN, "nk_ho_ten": CITIZEN_NAME, "nk_so_dinh_danh": CITIZEN_ID,
            "nk_quan_he": "Con trai", "nk_dien_thoai": "0905550001", "cam_doan": "on"}


def diploma_copy_form(copies: int = 2) -> dict[str, str]:
    return {"nyc_ho_ten": CITIZEN_NAME, "nyc_so_dinh_danh": CITIZEN_ID,
            "nyc_dia_chi": "45 Trần Phú, phường Hải Châu, thành phố Đà Nẵng",
            "nyc_dien_thoai": "0905550001", "nyc_quan_he": "Là người được cấp văn bằng, chứng chỉ",
            "vb_ho_ten": CITIZEN_NAME, "vb_ngay_sinh": "1990-04-17",
            "vb_noi_sinh": "Thành phố Đà Nẵng", "vb_gioi_tinh": "Nam",
            "vb_loai": "Bằng tốt nghiệp trung học phổ thông",
            "vb_truong": "Trường THPT Phan Châu Trinh, Đà Nẵng", "vb_nam": "2008",
            "vb_so_hieu": "B 0457812", "vb_so_vao_so": "THPT-2008-01234",
            "so_ban": str(copies), "ly_do": "Bản chính bị hư hỏng do ngập lụt"}


def medical_licence_form() -> dict[str, str]:
    return {"ho_ten": CITIZEN_NAME, "ngay_sinh": "1990-04-17", "so_dinh_danh": CITIZEN_ID,
            "dia_chi": "45 Trần Phú, phường Hải Châu, thành phố Đà Nẵng",
            "dien_thoai": "0905550001", "email": "nguyenvanan@example.vn",
            "vb_ten": "Bằng bác sỹ y khoa", "vb_co_so": "Trường Đại học Y Dược, Đại học Huế",
            "vb_nam": "2014", "vb_so_hieu": "YK 018345", "chuc_danh": "Bác sỹ",
            "pham_vi": "Y khoa", "th_noi": "Bệnh viện Đà Nẵng",
            "th_tu": "2024-09-03", "th_den": "2025-09-02", "cam_doan": "on"}


def pavement_use_form(starts: date, ends: date) -> dict[str, str]:
    return {"nyc_ho_ten": CITIZEN_NAME, "nyc_so_dinh_danh": CITIZEN_ID,
            "nyc_dia_chi": "45 Trần Phú, phường Hải Châu, thành phố Đà Nẵng",
            "nyc_dien_thoai": "0905550001", "muc_dich": "Tổ chức việc cưới",
            **_address("vi_tri", "45 Trần Phú"), "phan_su_dung": "Hè phố",
            "chieu_dai": "8", "chieu_rong": "2,5", "dien_tich": "20",
            "tu_ngay": starts.isoformat(), "den_ngay": ends.isoformat(),
            "khung_gio": "06:00–22:00", "cam_ket": "on"}
