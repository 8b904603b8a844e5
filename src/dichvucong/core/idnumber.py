"""The citizen ID card number (số căn cước công dân, CCCD; also the personal identification
number): 12 digits = birth-registration province (3) + century and gender (1) + year of birth
(2) + a random part (6), as Circular 59/2021/TT-BCA sets out. Plain Python."""

from __future__ import annotations

from dataclasses import dataclass

# Province codes of the birth-registration place: the 63 provinces before the 2025 merger, since
# everyone already numbered keeps the code of where their birth was registered.
PROVINCE_CODES: dict[str, str] = {
    "001": "Hà Nội", "002": "Hà Giang", "004": "Cao Bằng", "006": "Bắc Kạn",
    "008": "Tuyên Quang", "010": "Lào Cai", "011": "Điện Biên", "012": "Lai Châu",
    "014": "Sơn La", "015": "Yên Bái", "017": "Hòa Bình", "019": "Thái Nguyên",
    "020": "Lạng Sơn", "022": "Quảng Ninh", "024": "Bắc Giang", "025": "Phú Thọ",
    "026": "Vĩnh Phúc", "027": "Bắc Ninh", "030": "Hải Dương", "031": "Hải Phòng",
    "033": "Hưng Yên", "034": "Thái Bình", "035": "Hà Nam", "036": "Nam Định",
    "037": "Ninh Bình", "038": "Thanh Hóa", "040": "Nghệ An", "042": "Hà Tĩnh",
    "044": "Quảng Bình", "045": "Quảng Trị", "046": "Thừa Thiên Huế", "048": "Đà Nẵng",
    "049": "Quảng Nam", "051": "Quảng Ngãi", "052": "Bình Định", "054": "Phú Yên",
    "056": "Khánh Hòa", "058": "Ninh Thuận", "060": "Bình Thuận", "062": "Kon Tum",
    "064": "Gia Lai", "066": "Đắk Lắk", "067": "Đắk Nông", "068": "Lâm Đồng",
    "070": "Bình Phước", "072": "Tây Ninh", "074": "Bình Dương", "075": "Đồng Nai",
    "077": "Bà Rịa - Vũng Tàu", "079": "Hồ Chí Minh", "080": "Long An", "082": "Tiền Giang",
    "083": "Bến Tre", "084": "Trà Vinh", "086": "Vĩnh Long", "087": "Đồng Tháp",
    "089": "An Giang", "091": "Kiên Giang", "092": "Cần Thơ", "093": "Hậu Giang",
    "094": "Sóc Trăng", "095": "Bạc Liêu", "096": "Cà Mau",
}


class InvalidIdNumber(ValueError):
    """The message is Vietnamese, for the citizen."""


@dataclass(frozen=True)
class IdNumber:
    number: str
    province_code: str
    birth_year: int
    female: bool

    @property
    def province(self) -> str:
        return PROVINCE_CODES[self.province_code]


def parse_id_number(value: str) -> IdNumber:
    """Check a CCCD number's structure and read what it encodes. Spaces and dots are ignored."""
    number = "".join(ch for ch in str(value) if ch not in " .-")
    if not number.isdigit() or len(number) != 12:
        raise InvalidIdNumber("Số căn cước công dân phải gồm đúng 12 chữ số.")
    province = number[:3]
    if province not in PROVINCE_CODES:
        raise InvalidIdNumber(
            f"Ba số đầu ({province}) không phải mã tỉnh, thành phố nơi đăng ký khai sinh."
        )
    century_gender = int(number[3])
    century = 1900 + 100 * (century_gender // 2)
    birth_year = century + int(number[4:6])
    return IdNumber(number=number, province_code=province, birth_year=birth_year,
                    female=century_gender % 2 == 1)


def check_birth_year(id_number: IdNumber, birth_year: int) -> None:
    if id_number.birth_year != birth_year:
        raise InvalidIdNumber(
            f"Số căn cước công dân ghi năm sinh {id_number.birth_year}, không khớp năm sinh "
            f"{birth_year}."
        )


def mask(number: str) -> str:
    """For pages and logs: only the last three digits show."""
    return "*" * max(len(number) - 3, 0) + number[-3:]
