"""Filled civil status declarations (Thông tư 04/2020/TT-BTP, sửa đổi bởi Thông tư 04/2024/TT-BTP)
as the submission page posts them: marriage (1.000894, and 2.000806 with a foreign party),
death (1.000656), a copy of an extract (2.000635), the marital status certificate (1.004873) and
the combined birth–residence–health insurance procedure for a child under 6."""

from __future__ import annotations

from datetime import date, timedelta

from tests.birth_helpers import birth_form

MARRIAGE = "1.000894"
FOREIGN_MARRIAGE = "2.000806"
DEATH = "1.000656"
EXTRACT_COPY = "2.000635"
MARITAL_STATUS = "1.004873"
COMBINED_BIRTH = ("Liên thông đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế cho "
                  "trẻ em dưới 6 tuổi")

HAI_CHAU_ADDRESS = "45 Trần Phú, phường Hải Châu, thành phố Đà Nẵng"


def marriage_form() -> dict[str, str]:
    """Bên nữ and bên nam of the Tờ khai đăng ký kết hôn, both Vietnamese citizens."""
    return {
        "nu_ho_ten": "Lê Thị Hồng Nhung", "nu_ngay_sinh": "1998-04-12", "nu_dan_toc": "Kinh",
        "nu_quoc_tich": "Việt Nam",
        "nu_noi_cu_tru": "27 Nguyễn Văn Linh, phường Thanh Khê, thành phố Đà Nẵng",
        "nu_so_dinh_danh": "048198004512", "nu_lan_ket_hon": "1",
        "nam_ho_ten": "Nguyễn Văn An", "nam_ngay_sinh": "1996-09-03", "nam_dan_toc": "Cơ-tu",
        "nam_quoc_tich": "Việt Nam", "nam_noi_cu_tru": HAI_CHAU_ADDRESS,
        "nam_so_dinh_danh": "048096001234", "nam_lan_ket_hon": "1",
    }


def foreign_marriage_form() -> dict[str, str]:
    """The same declaration; the man is a Korean citizen identified by his passport."""
    data = marriage_form() | {
        "nu_loai_giay_to": "Thẻ căn cước",
        "nam_ho_ten": "KIM MIN JUN", "nam_ngay_sinh": "1993-02-20", "nam_dan_toc": "Kinh",
        "nam_quoc_tich": "Hàn Quốc",
        "nam_noi_cu_tru": "12 Sejong-daero, Jongno-gu, Seoul, Hàn Quốc",
        "nam_loai_giay_to": "Hộ chiếu", "nam_ho_chieu": "M12345678",
    }
    del data["nam_so_dinh_danh"]
    return data


def death_form(died: date | None = None) -> dict[str, str]:
    """The Tờ khai đăng ký khai tử; death ``died`` (default: five days ago)."""
    died = died or date.today() - timedelta(days=5)
    return {
        "nyc_ho_ten": "Nguyễn Văn An", "nyc_so_dinh_danh": "048096001234",
        "nyc_noi_cu_tru": HAI_CHAU_ADDRESS, "nyc_quan_he": "Con",
        "nc_ho_ten": "Nguyễn Văn Bình", "nc_ngay_sinh": "1941-11-27", "nc_gioi_tinh": "Nam",
        "nc_dan_toc": "Kinh", "nc_quoc_tich": "Việt Nam", "nc_noi_cu_tru": HAI_CHAU_ADDRESS,
        "nc_so_dinh_danh": "048041000317", "nc_ngay_chet": died.isoformat(),
        "nc_gio_chet": "14:30",
        "nc_noi_chet": "Bệnh viện Đà Nẵng, phường Hải Châu, thành phố Đà Nẵng",
        "nc_nguyen_nhan": "Suy tim", "gbt_so": "125/GBT-BVĐN",
        "gbt_co_quan": "Bệnh viện Đà Nẵng", "gbt_ngay_cap": died.isoformat(),
    }


def extract_copy_form(copies: int = 2) -> dict[str, str]:
    """The Tờ khai cấp bản sao trích lục hộ tịch for a birth registered in 1996."""
    return {
        "nyc_ho_ten": "Nguyễn Văn An", "nyc_so_dinh_danh": "048096001234",
        "nyc_noi_cu_tru": HAI_CHAU_ADDRESS, "nyc_quan_he": "Bản thân",
        "loai_viec": "Khai sinh",
        "dk_ho_ten": "Nguyễn Văn An", "dk_ngay_sinh": "1996-09-03", "dk_gioi_tinh": "Nam",
        "dk_dan_toc": "Cơ-tu", "dk_quoc_tich": "Việt Nam", "dk_noi_cu_tru": HAI_CHAU_ADDRESS,
        "dk_so_dinh_danh": "048096001234",
        "noi_dang_ky": "Ủy ban nhân dân phường Hải Châu I, quận Hải Châu, thành phố Đà Nẵng",
        "ngay_dang_ky": "1996-09-20", "so_dang_ky": "215", "quyen_so": "01/1996",
        "so_ban": str(copies),
    }


def marital_status_form() -> dict[str, str]:
    """The Tờ khai cấp Giấy xác nhận tình trạng hôn nhân, to marry."""
    return {
        "nyc_ho_ten": "Lê Thị Hồng Nhung", "nyc_so_dinh_danh": "048198004512",
        "nyc_noi_cu_tru": "27 Nguyễn Văn Linh, phường Thanh Khê, thành phố Đà Nẵng",
        "nyc_quan_he": "Bản thân",
        "xn_ho_ten": "Lê Thị Hồng Nhung", "xn_ngay_sinh": "1998-04-12", "xn_gioi_tinh": "Nữ",
        "xn_dan_toc": "Kinh", "xn_quoc_tich": "Việt Nam", "xn_so_dinh_danh": "048198004512",
        "xn_noi_cu_tru": "27 Nguyễn Văn Linh, phường Thanh Khê, thành phố Đà Nẵng",
        "xn_cu_tru_truoc": "Xã Điện Bàn, thành phố Đà Nẵng, từ 12/04/1998 đến 30/08/2016",
        "tthn": "chua_ket_hon",
        "muc_dich": "Đăng ký kết hôn với ông Nguyễn Văn An, sinh năm 1996, quốc tịch Việt Nam, "
                    "tại Ủy ban nhân dân phường Hải Châu",
        "so_ban": "1",
    }


def combined_birth_form(born: date | None = None) -> dict[str, str]:
    """The combined e-declaration: the birth declaration's fields (same keys) and the
    residence and health insurance parts."""
    return birth_form(born) | {
        "tt_noi_thuong_tru": "12 Lê Duẩn, phường Hải Châu, thành phố Đà Nẵng",
        "tt_chu_ho_ho_ten": "Trần Văn Hùng", "tt_chu_ho_so_dinh_danh": "048092006789",
        "tt_quan_he_chu_ho": "Con",
        "bhyt_noi_kcb": "Trạm Y tế phường Hải Châu",
    }


def fill(page, data: dict[str, str]) -> None:
    """Fill a declaration in a Playwright page as a citizen types it (revealed fields after
    the choice that reveals them)."""
    for name, value in data.items():
        field = page.locator(f'[name="{name}"]')
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
