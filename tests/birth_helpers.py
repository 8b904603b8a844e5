"""A filled birth registration declaration (1.001193, Tờ khai đăng ký khai sinh) as the
submission page posts it, and as the API takes it."""

from __future__ import annotations

from datetime import date, timedelta

BIRTH = "1.001193"


def birth_form(born: date | None = None, *, father: bool = True) -> dict[str, str]:
    """The declaration's fields, flat as an HTML form posts them; the child born ``born``
    (default: ten days ago)."""
    born = born or date.today() - timedelta(days=10)
    data = {
        "nyc_ho_ten": "Nguyễn Thị Lan", "nyc_so_dinh_danh": "048190001234",
        "nyc_noi_cu_tru": "12 Lê Duẩn, phường Hải Châu, thành phố Đà Nẵng", "nyc_quan_he": "Mẹ",
        "tre_ho_ten": "Trần Minh Khang", "tre_ngay_sinh": born.isoformat(),
        "tre_gioi_tinh": "Nam", "tre_dan_toc": "Kinh", "tre_quoc_tich": "Việt Nam",
        "tre_noi_sinh": "Bệnh viện Phụ sản - Nhi Đà Nẵng, phường Hải Châu, thành phố Đà Nẵng",
        "tre_que_quan": "Xã Điện Bàn, thành phố Đà Nẵng",
        "me_ho_ten": "Nguyễn Thị Lan", "me_nam_sinh": "1994", "me_dan_toc": "Kinh",
        "me_quoc_tich": "Việt Nam",
        "me_noi_cu_tru": "12 Lê Duẩn, phường Hải Châu, thành phố Đà Nẵng",
    }
    if father:
        data |= {"cha_ho_ten": "Trần Văn Hùng", "cha_nam_sinh": "1992",
                 "cha_dan_toc": "Tày", "cha_quoc_tich": "Việt Nam",
                 "cha_noi_cu_tru": "12 Lê Duẩn, phường Hải Châu, thành phố Đà Nẵng"}
    return data


def birth_form_json(born: date | None = None, *, father: bool = True) -> dict[str, object]:
    """The same declaration as the API's ``form_data``."""
    return dict(birth_form(born, father=father))


def fill_birth_form(page, born: date | None = None) -> None:
    """Fill the declaration in a Playwright page as a citizen types it."""
    for name, value in birth_form(born).items():
        field = page.locator(f'[name="{name}"]')
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
