"""The business group's declarations filled as a citizen or an enterprise would (flat, as the
submission page posts them): household business registration and change, private enterprise,
food safety, alcohol retail, domestic travel, work permit renewal."""

from __future__ import annotations

from datetime import date, timedelta

HOUSEHOLD = "1.001612"
HOUSEHOLD_CHANGE = "2.000720"
PRIVATE_ENTERPRISE = "2.001610"
FOOD_SAFETY = "2.001827"
ALCOHOL = "Cấp giấy phép bán lẻ rượu"
TRAVEL = "Cấp giấy phép kinh doanh dịch vụ lữ hành nội địa"
WORK_PERMIT = "1.014201"
DA_NANG = "48"
HAI_CHAU_NAME = "Ủy ban nhân dân phường Hải Châu"
# The demo account of a business («Doanh nghiệp, hộ kinh doanh»): Trần Thị Bích files them all,
# so the result's holder («Cấp cho») is the owner or representative the forms name.
FILER = "doanhnghiep"
OWNER = "Trần Thị Bích"


def ward_code(name: str = "Hải Châu") -> str:
    """The code of a Đà Nẵng ward (2025 structure) whose name ends with ``name``."""
    from dichvucong.adminunits.queries import communes_of

    return next(code for code, ward in communes_of(DA_NANG) if ward.endswith(name))


def address(key: str, street: str, ward: str = "Hải Châu") -> dict[str, str]:
    return {f"{key}-province": DA_NANG, f"{key}-commune": ward_code(ward),
            f"{key}-street": street}


def household_owner(prefix: str = "chu_ho") -> dict[str, str]:
    return {
        f"{prefix}_ho_ten": OWNER, f"{prefix}_gioi_tinh": "Nữ",
        f"{prefix}_ngay_sinh": "1988-04-12", f"{prefix}_dan_toc": "Kinh",
        f"{prefix}_quoc_tich": "Việt Nam", f"{prefix}_so_dinh_danh": "048188004512",
        f"{prefix}_thuong_tru": "25 Trần Phú, phường Hải Châu, thành phố Đà Nẵng",
        f"{prefix}_dien_thoai": "0905123456", f"{prefix}_email": "bichngoc@example.vn",
    }


def household_form(*, members: bool = True) -> dict[str, str]:
    """1.001612: a bakery registered by a wife with her husband as a household member."""
    data = {
        **household_owner(),
        "hkd_ten": "Hộ kinh doanh Bánh mì Bích Ngọc",
        **address("hkd_dia_chi", "25 Trần Phú"),
        "hkd_dien_thoai": "02363822456",
        "nganh_nghe": "1071 - Sản xuất các loại bánh từ bột\n"
                      "5610 - Nhà hàng và các dịch vụ ăn uống phục vụ lưu động",
        "von_kinh_doanh": "150.000.000",
        "ngay_bat_dau": (date.today() + timedelta(days=10)).isoformat(),
        "so_lao_dong": "3",
        "chu_the": "Cá nhân",
    }
    if members:
        data |= {"chu_the": "Các thành viên hộ gia đình", "thanh_vien-count": "1",
                 "thanh_vien-0-tv_ho_ten": "Lê Văn Tâm",
                 "thanh_vien-0-tv_ngay_sinh": "1986-09-03",
                 "thanh_vien-0-tv_gioi_tinh": "Nam",
                 "thanh_vien-0-tv_so_dinh_danh": "048086001937",
                 "thanh_vien-0-tv_quan_he": "Chồng"}
    return data


def household_change_form() -> dict[str, str]:
    """2.000720: the bakery moves to a larger shop and adds coffee, with more capital."""
    return {
        "hkd_ma_so": "048188004512",
        "noi_dung_thay_doi": ["Địa chỉ trụ sở", "Ngành, nghề kinh doanh", "Vốn kinh doanh"],
        "hkd_ten": "Hộ kinh doanh Bánh mì Bích Ngọc",
        **address("hkd_dia_chi", "118 Nguyễn Văn Linh", "Thanh Khê"),
        "nganh_nghe": "1071 - Sản xuất các loại bánh từ bột\n"
                      "5630 - Dịch vụ phục vụ đồ uống",
        "von_kinh_doanh": "300.000.000",
        **household_owner(),
    }


def private_enterprise_form(*, converted: bool = True) -> dict[str, str]:
    """2.001610: a trading enterprise the owner sets up from her household business."""
    data = {
        **household_owner("chu_dn"),
        "tinh_trang": "Thành lập mới",
        "dn_ten": "Doanh nghiệp tư nhân Thương mại Sông Hàn",
        "dn_ten_nuoc_ngoai": "Song Han Trading Private Enterprise",
        "dn_ten_viet_tat": "DNTN Sông Hàn",
        **address("dn_dia_chi", "9 Bạch Đằng"),
        "nganh_nghe": "4632 - Bán buôn thực phẩm (ngành chính)\n"
                      "4722 - Bán lẻ thực phẩm trong các cửa hàng chuyên doanh",
        "von_dau_tu": "2.000.000.000",
    }
    if converted:
        data |= {"tinh_trang": "Thành lập trên cơ sở chuyển đổi từ hộ kinh doanh",
                 "hkd_ten": "Hộ kinh doanh Bánh mì Bích Ngọc", "hkd_so_gcn": "32A8012345",
                 "hkd_ma_so_thue": "8568913418"}
    return data


def food_safety_form() -> dict[str, str]:
    """2.001827: a bakery producing and selling mooncakes and candied fruit."""
    return {
        "co_so_ten": "Cơ sở sản xuất bánh kẹo Hương Quê",
        "chu_co_so": "Công ty TNHH Thực phẩm Hương Quê",
        "so_dkkd": "0401234567",
        "dia_chi_tru_so": "40 Hùng Vương, phường Hải Châu, thành phố Đà Nẵng",
        "dien_thoai": "02363888999",
        **address("dia_chi_co_so", "12 Lý Thường Kiệt"),
        "loai_hinh": "Sản xuất và kinh doanh",
        "nhom_san_pham": ["Bánh, mứt, kẹo"],
        "mat_hang": "Bánh trung thu nhân đậu xanh; mứt gừng",
        "cong_suat": "30 tấn sản phẩm/năm",
        "so_nguoi": "12",
    }


def alcohol_form() -> dict[str, str]:
    """Alcohol retail: a grocery (a household business) selling bottled wine."""
    return {
        "tn_ten": "Hộ kinh doanh Tạp hóa Bích Ngọc",
        "tn_dia_chi": "77 Ông Ích Khiêm, phường Hải Châu, thành phố Đà Nẵng",
        "tn_dien_thoai": "0935111222", "tn_so_dkkd": "32A8012345",
        "tn_ngay_cap": "2021-03-15", "tn_noi_cap": "UBND quận Hải Châu",
        "dd_ho_ten": OWNER,
        **address("dia_diem", "77 Ông Ích Khiêm"),
        "loai_ruou": "Rượu vang đóng chai; rượu mạnh đóng chai",
        "nguon_cung": "Công ty TNHH Phân phối Đồ uống Miền Trung, 15 Điện Biên Phủ, "
                      "phường Thanh Khê, thành phố Đà Nẵng",
    }


def travel_form(deposit: str = "20.000.000") -> dict[str, str]:
    """Domestic travel licence: a tour operator with its deposit at a bank."""
    return {
        "dn_ten": "Công ty TNHH Du lịch Biển Xanh Đà Nẵng",
        "dn_ten_nuoc_ngoai": "Bien Xanh Da Nang Travel Company Limited",
        "dn_ten_viet_tat": "Biển Xanh Travel", "dn_ma_so": "0300588569",
        "dn_ngay_cap": "2019-06-01",
        **address("dn_dia_chi", "88 Võ Nguyên Giáp", "Sơn Trà"),
        "dn_dien_thoai": "02363999888", "dn_email": "lienhe@bienxanh.example.vn",
        "dd_ho_ten": OWNER, "dd_chuc_danh": "Giám đốc",
        "pt_ho_ten": "Hoàng Thị Mai Anh", "pt_chuc_danh": "Trưởng phòng điều hành",
        "pt_chuyen_mon": "Tốt nghiệp trung cấp trở lên chuyên ngành về lữ hành",
        "ky_quy_so_tien": deposit, "ky_quy_ngan_hang": "Ngân hàng TMCP Ngoại thương Việt Nam "
                                                       "- Chi nhánh Đà Nẵng",
        "ky_quy_so_gcn": "KQ-2026/0457", "ky_quy_ngay": (date.today() - timedelta(days=7))
        .isoformat(),
    }


def work_permit_form(expiry: date | None = None) -> dict[str, str]:
    """1.014201: an engineer's permit renewed for two years, shortly before it expires."""
    expiry = expiry or date.today() + timedelta(days=30)
    return {
        "ndld_ten": "Công ty TNHH Kỹ thuật Điện tử Hòa Khánh", "ndld_ma_so": "0101248141",
        "ndld_dia_chi": "Lô 5, Khu công nghiệp Hòa Khánh, phường Hòa Khánh, thành phố Đà Nẵng",
        "ndld_dien_thoai": "02363733111",
        "nld_ho_ten": "TANAKA HIROSHI", "nld_gioi_tinh": "Nam", "nld_ngay_sinh": "1982-07-08",
        "nld_quoc_tich": "Nhật Bản", "nld_ho_chieu": "TK1234567",
        "gpld_so": "48/2024/GPLĐ-0321", "gpld_ngay_cap": "2024-05-20",
        "gpld_het_han": expiry.isoformat(),
        "vi_tri": "Chuyên gia", "chuc_danh": "Kỹ sư trưởng thiết kế vi mạch",
        "noi_lam_viec": "Lô 5, Khu công nghiệp Hòa Khánh, thành phố Đà Nẵng",
        "gh_tu_ngay": (expiry + timedelta(days=1)).isoformat(),
        "gh_den_ngay": (expiry + timedelta(days=730)).isoformat(),
    }


def fill_form(page, data: dict[str, str | list[str]]) -> None:
    """Fill a declaration in a Playwright page as it is typed: choices chosen, boxes ticked (a
    list), text typed; in the order given, so a choice reveals the fields it conditions."""
    for name, value in data.items():
        if name.endswith("-count"):
            continue  # the page keeps its own count of a group's rows
        if isinstance(value, list):
            for choice in value:
                page.locator(f'input[name="{name}"][value="{choice}"]').check()
            continue
        field = page.locator(f'[name="{name}"]')
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
