"""Amounts in Vietnamese words, as a receipt writes them ("Bằng chữ: Một trăm ba mươi lăm nghìn
đồng"), and dates, as civil status papers do. Plain Python.

Rules: groups of three digits named nghìn, triệu, tỷ; a group after the first reads its zero
hundreds ("không trăm") and a zero ten before a unit as "linh"; ten is "mười", 1 after a ten
of 20 or more is "mốt", 5 after any ten is "lăm".
"""

from __future__ import annotations

from datetime import date

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
SCALES = ("", "nghìn", "triệu", "tỷ", "nghìn tỷ", "triệu tỷ")


def _group(number: int, leading: bool) -> list[str]:
    hundreds, rest = divmod(number, 100)
    tens, units = divmod(rest, 10)
    words: list[str] = []
    if hundreds or not leading:
        words += [DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units and words:
            words.append("linh")
    elif tens == 1:
        words.append("mười")
    else:
        words += [DIGITS[tens], "mươi"]
    if units:
        if units == 1 and tens >= 2:
            words.append("mốt")
        elif units == 5 and tens >= 1:
            words.append("lăm")
        else:
            words.append(DIGITS[units])
    return words


def number_words(number: int) -> str:
    if number < 0:
        raise ValueError("số tiền không âm")
    if number == 0:
        return DIGITS[0]
    groups = []
    while number:
        number, group = divmod(number, 1000)
        groups.append(group)
    if len(groups) > len(SCALES):
        raise ValueError("số tiền quá lớn")
    words: list[str] = []
    top = len(groups) - 1
    for index in range(top, -1, -1):
        group = groups[index]
        if group == 0:
            continue
        words += _group(group, leading=index == top)
        if SCALES[index]:
            words.append(SCALES[index])
    return " ".join(words)


def amount_words(amount: int) -> str:
    """135000 → 'Một trăm ba mươi lăm nghìn đồng'."""
    text = number_words(amount) + " đồng"
    return text[0].upper() + text[1:]


def date_words(day: date) -> str:
    """A date as civil status papers write it in words: 2024-01-05 → 'Ngày năm, tháng một, năm
    hai nghìn không trăm hai mươi bốn'."""
    return (f"Ngày {number_words(day.day)}, tháng {number_words(day.month)}, "
            f"năm {number_words(day.year)}")
