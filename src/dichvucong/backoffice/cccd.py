"""Reading the QR code printed on a citizen ID card (thẻ căn cước công dân, CCCD).

The QR code holds one line of fields separated by ``|``::

    số CCCD | số CMND cũ | họ và tên | ngày sinh ddmmyyyy | giới tính | nơi thường trú |
    ngày cấp ddmmyyyy

e.g. ``048090001234|201234567|Nguyễn Văn An|15031990|Nam|12 Lê Duẩn, Hải Châu, Đà Nẵng|01072021``.
The old ID number is empty on cards of people who never had one; cards issued since 2024 may add
fields after the issue date, which are ignored. A barcode scanner types the text into a field
as a keyboard would, so stray whitespace, a byte-order mark and a final line break are dropped.

Plain Python: no HTTP, no database. Error messages are Vietnamese, for the officer at the
counter, and never repeat the card's number or address (they may end up in a log).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dichvucong.core.idnumber import InvalidIdNumber, parse_id_number

FIELD_COUNT = 7
GENDERS = {"nam": "Nam", "nữ": "Nữ", "nu": "Nữ", "nü": "Nữ"}


class CccdError(ValueError):
    """The QR text cannot be read; the message (Vietnamese) says why."""

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class CccdData:
    id_number: str
    old_id_number: str
    full_name: str
    birth_date: date
    gender: str  # "Nam" or "Nữ"
    address: str
    issue_date: date | None

    @property
    def female(self) -> bool:
        return self.gender == "Nữ"


def _date(text: str, what: str) -> date:
    digits = text.strip()
    if len(digits) != 8 or not digits.isdigit():
        raise CccdError(f"{what} trong mã QR phải có dạng ngàythángnăm (8 chữ số, ví dụ "
                        f"15031990).")
    try:
        return date(int(digits[4:]), int(digits[2:4]), int(digits[:2]))
    except ValueError:
        raise CccdError(f"{what} trong mã QR không phải một ngày có thật.") from None


def parse_qr(text: str, *, today: date | None = None) -> CccdData:
    """Read the card's QR text; raises CccdError with a Vietnamese message."""
    today = today or date.today()
    cleaned = (text or "").replace("\ufeff", "").strip()
    if not cleaned:
        raise CccdError("Chưa có nội dung mã QR: hãy quét mã QR trên thẻ căn cước.")
    if "|" not in cleaned:
        raise CccdError("Đây không phải mã QR của thẻ căn cước: các trường phải cách nhau "
                        "bằng dấu «|».")
    parts = [part.strip() for part in cleaned.split("|")]
    if len(parts) < FIELD_COUNT:
        raise CccdError(f"Mã QR chỉ có {len(parts)} trường, cần đủ {FIELD_COUNT} trường (số "
                        "căn cước, số CMND cũ, họ tên, ngày sinh, giới tính, nơi thường trú, "
                        "ngày cấp). Hãy quét lại cả mã.")
    number, old_number, name, born, gender, address, issued = parts[:FIELD_COUNT]
    try:
        id_number = parse_id_number(number)
    except InvalidIdNumber as exc:
        raise CccdError(f"Số căn cước trong mã QR không hợp lệ: {exc}") from None
    if old_number and (not old_number.isdigit() or len(old_number) not in (9, 12)):
        raise CccdError("Số chứng minh nhân dân cũ trong mã QR phải gồm 9 hoặc 12 chữ số.")
    name = " ".join(name.split())
    if not name:
        raise CccdError("Mã QR không có họ và tên.")
    if any(ch.isdigit() for ch in name):
        raise CccdError("Họ và tên trong mã QR có chữ số: các trường có thể bị lệch, hãy quét "
                        "lại.")
    birth_date = _date(born, "Ngày sinh")
    if birth_date > today:
        raise CccdError("Ngày sinh trong mã QR ở tương lai.")
    if birth_date.year != id_number.birth_year:
        raise CccdError(f"Năm sinh trong mã QR ({birth_date.year}) không khớp năm sinh mà số "
                        "căn cước mã hóa.")
    gender_key = gender.strip().lower()
    if gender_key not in GENDERS:
        raise CccdError("Giới tính trong mã QR phải là «Nam» hoặc «Nữ».")
    gender = GENDERS[gender_key]
    if (gender == "Nữ") != id_number.female:
        raise CccdError("Giới tính trong mã QR không khớp giới tính mà số căn cước mã hóa.")
    issue_date = _date(issued, "Ngày cấp") if issued else None
    if issue_date is not None and (issue_date > today or issue_date < birth_date):
        raise CccdError("Ngày cấp trong mã QR không hợp lý (ở tương lai hoặc trước ngày sinh).")
    return CccdData(
        id_number=id_number.number, old_id_number=old_number, full_name=name,
        birth_date=birth_date, gender=gender, address=" ".join(address.split()),
        issue_date=issue_date,
    )
