"""Phone numbers, e-mail addresses and tax codes as accounts store them. Plain Python."""

from __future__ import annotations

import re

MOBILE = re.compile(r"0[35789]\d{8}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# Tax code (mã số thuế): 2 digits of province, 7 of sequence, 1 check digit computed from the
# first nine with these weights (modulo 11); a branch adds 3 digits (001–999).
TAX_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


class InvalidIdentifier(ValueError):
    """The message is Vietnamese, for the citizen."""


def normalise_phone(value: str) -> str:
    """A Vietnamese mobile number as 0xxxxxxxxx; accepts +84, 84, spaces, dots and dashes."""
    number = re.sub(r"[\s.\-()]", "", str(value))
    if number.startswith("+84"):
        number = "0" + number[3:]
    elif number.startswith("84") and len(number) == 11:
        number = "0" + number[2:]
    if not MOBILE.fullmatch(number):
        raise InvalidIdentifier(
            "Số điện thoại di động phải gồm 10 chữ số, bắt đầu bằng 03, 05, 07, 08 hoặc 09.")
    return number


def normalise_email(value: str) -> str:
    """An e-mail address with its domain in lower case (the local part is kept as written;
    uniqueness ignores case)."""
    address = str(value).strip()
    if len(address) > 254 or not EMAIL.fullmatch(address):
        raise InvalidIdentifier("Địa chỉ email không hợp lệ.")
    local, domain = address.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def classify_contact(value: str) -> tuple[str, str]:
    """("email" or "sms", the normalised address) for what a citizen typed as phone or email."""
    value = str(value).strip()
    if not value:
        raise InvalidIdentifier("Nhập số điện thoại hoặc địa chỉ email.")
    if "@" in value:
        return "email", normalise_email(value)
    try:
        return "sms", normalise_phone(value)
    except InvalidIdentifier:
        raise InvalidIdentifier(
            "Nhập số điện thoại di động (10 chữ số, ví dụ 0905123456) hoặc địa chỉ email."
        ) from None


def mask_contact(value: str) -> str:
    """For pages: 0905***456, a***@example.vn."""
    if "@" in value:
        local, domain = value.split("@", 1)
        return f"{local[:1]}***@{domain}"
    return f"{value[:4]}***{value[-3:]}"


def tax_check_digit(first_nine: str) -> int | None:
    remainder = sum(int(d) * w for d, w in zip(first_nine, TAX_WEIGHTS, strict=True)) % 11
    check = 10 - remainder
    return check if check < 10 else None


def normalise_tax_code(value: str) -> str:
    """A tax code as 10 digits, or 13 for a branch; spaces, dots and the dash are ignored."""
    code = re.sub(r"[\s.\-]", "", str(value))
    if not code.isdigit() or len(code) not in (10, 13):
        raise InvalidIdentifier("Mã số thuế gồm 10 chữ số, hoặc 13 chữ số với đơn vị phụ thuộc.")
    if code[:2] == "00" or code[2:9] == "0000000" or (len(code) == 13 and code[10:] == "000"):
        raise InvalidIdentifier("Mã số thuế không hợp lệ.")
    if tax_check_digit(code[:9]) != int(code[9]):
        raise InvalidIdentifier("Mã số thuế không đúng (sai chữ số kiểm tra); kiểm tra lại.")
    return code


def format_tax_code(code: str) -> str:
    return f"{code[:10]}-{code[10:]}" if len(code) == 13 else code
