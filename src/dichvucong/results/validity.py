"""How long a result is valid, read from the procedure's words ("6 tháng kể từ ngày cấp",
"05 năm", "30 ngày", "Không thời hạn"). Plain Python.

Months and years end on the same day number of the later month (31 January + 1 month = 28 or 29
February: the last day that month has), the day before that being the last valid day; a
validity the words do not state is none (no end date), never a guess.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date, timedelta

_AMOUNT = re.compile(r"(\d{1,3})\s*(ngày|tháng|năm)")
_NONE = ("không thời hạn", "vô thời hạn", "không có thời hạn", "lâu dài", "vĩnh viễn")


def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def valid_until(text: str, issued: date) -> date | None:
    """The last day a result issued on ``issued`` is valid, or None for no end."""
    words = unicodedata.normalize("NFC", text or "").lower()
    if not words.strip() or any(phrase in words for phrase in _NONE):
        return None
    found = _AMOUNT.search(words)
    if found is None:
        return None
    amount, unit = int(found.group(1)), found.group(2)
    if amount <= 0:
        return None
    if unit == "ngày":
        return issued + timedelta(days=amount - 1)
    months = amount if unit == "tháng" else 12 * amount
    return add_months(issued, months) - timedelta(days=1)
