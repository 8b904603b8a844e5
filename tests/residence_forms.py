"""The residence group's declarations filled as a citizen files them (flat, as the submission
page posts them): residence (Tờ khai thay đổi thông tin cư trú, CT01), driving licence renewal
and re-issue (Phụ lục XII, Thông tư 12/2025/TT-BCA), the criminal record certificate (Tờ khai
yêu cầu cấp Phiếu lý lịch tư pháp) and the two certifications (chứng thực)."""

from __future__ import annotations

from datetime import date, timedelta

PERMANENT = "1.004222"  # Đăng ký thường trú
TEMPORARY = "1.004194"  # Đăng ký tạm trú
CONFIRMATION = "1.010041"  # Xác nhận thông tin về cư trú
LICENCE_RENEWAL = "3.000347"  # Cấp đổi giấy phép lái xe
LICENCE_REISSUE = "3.000348"  # Cấp lại giấy phép lái xe
CRIMINAL_RECORD = "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam"
COPY_CERTIFICATION = "2.000815"  # Chứng thực bản sao từ bản chính
SIGNATURE_CERTIFICATION = "2.000884"  # Chứng thực chữ ký

DA_NANG = "48"
HAI_CHAU_WARD = "Phường Hải Châu"
STREET = "45 Trần Phú"


def hai_chau_code() -> str:
    from dichvucong.adminunits.models import AdministrativeUnit

    return AdministrativeUnit.objects.get(name=HAI_CHAU_WARD, parent__code=DA_NANG).code


def address(key: str, street: str = STREET) -> dict[str, str]:
    return {f"{key}-province": DA_NANG, f"{key}-commune": hai_chau_code(),
            f"{key}-street": street}


def _person() -> dict[str, str]:
    return {"ho_ten": "Lê Văn Thành", "ngay_sinh": "1990-04-15", "gioi_tinh": "Nam",
            "so_dinh_danh": "048090012345", "so_dien_thoai": "0905123456",
            "email": "le.van.thanh@example.vn"}


def residence_form(*, temporary: bool = False, until: date | None = None) -> dict[str, str]:
    """CT01 for a permanent (or temporary) registration: the son moves into his mother's
    household with his daughter; the mother is the household head."""
    data = {
        **_person(),
        "chu_ho_ho_ten": "Nguyễn Thị Mai", "quan_he_chu_ho": "Con đẻ",
        "chu_ho_so_dinh_danh": "048165004321",
        "truong_hop": "Về ở với người thân",
        **address("cho_o"),
        "chu_so_huu_ho_ten": "Nguyễn Thị Mai", "chu_so_huu_dong_y": "on",
        "thanh_vien-0-tv_ho_ten": "Lê Ngọc Hân", "thanh_vien-0-tv_ngay_sinh": "2018-09-02",
        "thanh_vien-0-tv_gioi_tinh": "Nữ", "thanh_vien-0-tv_so_dinh_danh": "048318009876",
        "thanh_vien-0-tv_quan_he": "Cháu ruột",
    }
    if temporary:
        data["tam_tru_den_ngay"] = (until or date.today() + timedelta(days=365)).isoformat()
    return data


def confirmation_form() -> dict[str, str]:
    """CT01 asking for a CT07 confirmation of residence."""
    return {**_person(), **address("noi_thuong_tru"),
            "chu_ho_ho_ten": "Lê Văn Thành", "quan_he_chu_ho": "Chủ hộ",
            "chu_ho_so_dinh_danh": "048090012345",
            "noi_dung_de_nghi": "Xác nhận nơi thường trú và thời gian cư trú để bổ sung hồ sơ "
                                "vay vốn mua nhà."}


def licence_form(*, reissue: bool = False) -> dict[str, str]:
    """Phụ lục XII (Thông tư 12/2025/TT-BCA): a B2 licence of 2015 exchanged for class B."""
    return {
        "ho_ten": "Trần Thị Thu Hà", "ngay_sinh": "1988-11-23", "quoc_tich": "Việt Nam",
        **address("noi_cu_tru", "17 Lê Lợi"),
        "so_dinh_danh": "048188006543", "giay_to_ngay_cap": "2021-06-10",
        "giay_to_noi_cap": "Cục Cảnh sát quản lý hành chính về trật tự xã hội",
        "hoc_lai_xe_tai": "Trường Cao đẳng Giao thông vận tải Đà Nẵng", "hoc_lai_xe_nam": "2015",
        "gplx_hang_hien_co": "B2", "gplx_so": "480150123456",
        "gplx_co_quan_cap": "Sở Giao thông vận tải Đà Nẵng", "gplx_ngay_cap": "2015-08-20",
        "gplx_hang_de_nghi": "B",
        "ly_do": "Giấy phép lái xe bị mất." if reissue else "Giấy phép lái xe sắp hết hạn.",
        "vi_pham": "Không",
    }


def criminal_record_form() -> dict[str, str]:
    """Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp, Phiếu số 1, with two places of residence."""
    return {
        "ho_ten": "Phạm Minh Quân", "gioi_tinh": "Nam", "ngay_sinh": "1996-02-29",
        "noi_sinh": "Phường Thanh Khê, thành phố Đà Nẵng", "quoc_tich": "Việt Nam",
        "noi_thuong_tru": "88 Hùng Vương, phường Hải Châu, thành phố Đà Nẵng",
        "so_dinh_danh": "048096007788", "so_dien_thoai": "0935111222",
        "cha_ho_ten": "Phạm Văn Lộc", "me_ho_ten": "Hồ Thị Sen",
        "qua_trinh_cu_tru-0-tu_ngay": "2010-03-01", "qua_trinh_cu_tru-0-den_ngay": "2018-08-31",
        "qua_trinh_cu_tru-0-noi_cu_tru": "Phường Thanh Khê, thành phố Đà Nẵng",
        "qua_trinh_cu_tru-0-nghe_nghiep": "Học sinh",
        "qua_trinh_cu_tru-1-tu_ngay": "2018-09-01",
        "qua_trinh_cu_tru-1-noi_cu_tru": "88 Hùng Vương, phường Hải Châu, thành phố Đà Nẵng",
        "qua_trinh_cu_tru-1-nghe_nghiep": "Kỹ sư phần mềm",
        "qua_trinh_cu_tru-1-noi_lam_viec": "Công ty TNHH Phần mềm Sông Hàn",
        "loai_phieu": "Phiếu lý lịch tư pháp số 1", "so_luong_phieu": "2",
        "muc_dich": "Bổ sung hồ sơ xin việc",
    }


def copy_certification_form() -> dict[str, str]:
    return {"nyc_ho_ten": "Võ Thị Kim Oanh", "nyc_so_dinh_danh": "048199003456",
            "ten_giay_to": "Bằng tốt nghiệp đại học", "co_quan_cap": "Trường Đại học Đà Nẵng",
            "so_ky_hieu": "QH-2021-123456", "ngay_cap": "2021-07-15", "so_trang": "1",
            "so_ban": "3"}


def signature_certification_form() -> dict[str, str]:
    return {"nyc_ho_ten": "Đặng Quốc Bảo", "nyc_so_dinh_danh": "048075001122",
            "ten_giay_to": "Giấy ủy quyền nhận lương hưu", "hinh_thuc": "Ký", "so_ban": "2"}


def fill_form(page, flat: dict[str, str], *, multi: tuple[str, ...] = ("gplx_hang_de_nghi",)
              ) -> None:
    """Fill a declaration in a Playwright page as a citizen does: choose from lists, tick
    boxes, type the rest (a repeating group's first row is on the page already)."""
    for name, value in flat.items():
        if name in multi:
            page.locator(f'[name="{name}"][value="{value}"]').check()
            continue
        field = page.locator(f'[name="{name}"]')
        kind = field.evaluate("e => e.tagName + ':' + (e.type || '')")
        if name.endswith("-province"):
            # Choosing a province reloads its communes (forms.js): wait for the new list.
            if field.input_value() != value:
                with page.expect_response(lambda r: "/communes" in r.url):
                    field.select_option(value)
        elif kind.startswith("SELECT"):
            field.select_option(value)
        elif kind == "INPUT:checkbox":
            field.check()
        else:
            field.fill(value)
