"""Numbers and sums of money as Vietnamese writes them. No Django.

Vietnamese (TCVN, and every form and receipt) groups thousands with dots and writes decimals after
a comma: 1.850 is one thousand eight hundred and fifty, 85,5 is eighty-five and a half,
1.850,5 both. Reading a dot as the decimal point (as ``Decimal("1.850")`` does) turns a
1.850 m² plot into 1,85 m². The rules, for a text:

- digits, optionally with a sign: as written (1850, -3);
- dots grouping thousands (the first group 1–3 digits not starting with 0, then groups of three),
  then optionally a comma and decimals: 1.850 → 1850, 85,5 → 85.5, 1.850,5 → 1850.5;
- commas grouping thousands in two groups or more (1,850,000): a comma cannot mark decimals
  twice, so this can only be the English grouping, read as 1850000;
- refused, with a message saying how to write it: a dot not grouping thousands (1.85, 0.850:
  English decimals), English grouping with a decimal point (1,850.5), and, for numbers, one
  comma before exactly three digits (1,850): Vietnamese reads 1,85 where an English keyboard
  meant 1850, so neither is guessed.

A sum of money (``money=True``) is whole đồng (VND has no minor unit in use): a trailing đ, đồng,
VNĐ or VND is dropped, 1,500 is 1500 (a comma cannot mark đồng decimals), decimals other than
zeros are refused, and so is a sign. Spaces are dropped everywhere (1 850 000 is also written).
Numbers given as numbers (JSON's 85.5) are taken as they are: only text is read.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_CURRENCY = re.compile(r"(đồng|đ|vnđ|vnd)$", re.IGNORECASE)
_VIETNAMESE = re.compile(r"([+-]?)([1-9]\d{0,2}(?:\.\d{3})+|\d+)(?:,(\d+))?")
_COMMA_GROUPS = re.compile(r"([+-]?)([1-9]\d{0,2}(?:,\d{3}){2,})")
_ONE_COMMA_GROUP = re.compile(r"[+-]?[1-9]\d{0,2},\d{3}")


class NumberFormatError(ValueError):
    """A text that is not a number as Vietnamese writes it; the message is for people."""


def parse_number(value: Any, *, label: str = "Giá trị", money: bool = False) -> Decimal:
    """``value`` as a Decimal (a whole, non-negative one when ``money``); raises
    :class:`NumberFormatError` with a Vietnamese message naming ``label``."""
    if isinstance(value, bool):
        raise NumberFormatError(_not_a_number(label, money))
    if isinstance(value, (int, float, Decimal)):
        try:
            number = Decimal(str(value))
        except InvalidOperation as exc:  # pragma: no cover - str of a number is a number
            raise NumberFormatError(_not_a_number(label, money)) from exc
        return _checked(number, label, money)
    text = _SPACES.sub("", str(value))
    if money:
        text = _CURRENCY.sub("", text)
    match = _VIETNAMESE.fullmatch(text)
    if match:
        sign, whole, decimals = match.groups()
        if decimals is not None and len(decimals) == 3 and _ONE_COMMA_GROUP.fullmatch(text):
            if money:  # 1,500 đồng: a comma cannot mark đồng decimals
                return _checked(Decimal(sign + whole + decimals), label, money)
            raise NumberFormatError(
                f"«{label}»: không rõ «{text}» là số nguyên hay số thập phân. Viết "
                f"{whole}.{decimals} (hoặc {whole}{decimals}) nếu là số nguyên, "
                f"{_unambiguous(sign + whole, decimals)} nếu là số thập phân.")
        fraction = f".{decimals}" if decimals is not None else ""
        number = Decimal(f"{sign}{whole.replace('.', '')}{fraction}")
        return _checked(number, label, money)
    match = _COMMA_GROUPS.fullmatch(text)
    if match:
        sign, whole = match.groups()
        return _checked(Decimal(sign + whole.replace(",", "")), label, money)
    if "." in text and "," in text and text.index(",") < text.index("."):
        raise NumberFormatError(
            f"«{label}»: viết theo cách Việt Nam, dấu chấm phân cách hàng nghìn và dấu phẩy "
            "trước phần thập phân, ví dụ 1.850,5.")
    if "." in text and re.fullmatch(r"[+-]?[\d.]+", text):
        raise NumberFormatError(
            f"«{label}»: dấu chấm chỉ dùng để phân cách hàng nghìn (1.850 là một nghìn tám "
            "trăm năm mươi); phần thập phân viết sau dấu phẩy, ví dụ 1,85.")
    raise NumberFormatError(_not_a_number(label, money))


def parse_money(value: Any, *, label: str = "Số tiền") -> int:
    """Whole đồng, as :func:`parse_number` reads a sum of money."""
    return int(parse_number(value, label=label, money=True))


def _unambiguous(whole: str, decimals: str) -> str:
    """The decimal ``whole``,``decimals`` written so it cannot be read as thousands: 1,85 for
    1,850; 2,1250 for 2,125; 1 for 1,000."""
    short = decimals.rstrip("0")
    if not short:
        return whole
    return f"{whole},{short}" if len(short) < 3 else f"{whole},{decimals}0"


def _not_a_number(label: str, money: bool) -> str:
    if money:
        return f"«{label}» phải là số tiền đồng, ví dụ 1.500.000."
    return f"«{label}» phải là một số, ví dụ 1.850 hoặc 85,5."


def _checked(number: Decimal, label: str, money: bool) -> Decimal:
    if not number.is_finite():
        raise NumberFormatError(_not_a_number(label, money))
    if money:
        if number < 0:
            raise NumberFormatError(f"«{label}» không được là số âm.")
        if number != number.to_integral_value():
            raise NumberFormatError(f"«{label}» tính bằng đồng, không có phần lẻ.")
        return number.quantize(Decimal(1))
    return number
