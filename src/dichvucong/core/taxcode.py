"""The tax code (mã số thuế, MST) of an enterprise, an organisation or a household business: 10
digits N1N2 N3…N9 N10 (N10 a check digit), or 13 when a dependent unit (branch) adds its own
three digits N11N12N13 after a dash (Thông tư 105/2020/TT-BTC, Điều 5). An enterprise's code
(mã số doanh nghiệp) is its tax code (Luật Doanh nghiệp 2020, Điều 29). Plain Python.

The circular names N10 a check digit but does not publish how it is computed. The rule below is
the one public validators use (weights 31 29 23 19 17 13 7 5 3 on N1…N9, N10 = 10 − sum mod 11);
it was checked against the published codes of five enterprises and household businesses, not
against an official text (see docs/architecture.md, «Domain rules and their sources»).
"""

from __future__ import annotations

import re

WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)
_SHAPE = re.compile(r"^(\d{10})(?:-?(\d{3}))?$")


class InvalidTaxCode(ValueError):
    """The message is Vietnamese, for the applicant."""


def check_digit(first_nine: str) -> int | None:
    """N10 for the digits N1…N9; None where the rule gives no digit (such codes are not
    issued)."""
    digit = 10 - sum(int(d) * w for d, w in zip(first_nine, WEIGHTS, strict=True)) % 11
    return digit if digit < 10 else None


def parse_tax_code(text: str) -> str:
    """The code as written on papers: ``0101248141`` or ``0101248141-001``."""
    compact = re.sub(r"[\s.]", "", str(text))
    match = _SHAPE.match(compact)
    if not match:
        raise InvalidTaxCode("Mã số thuế gồm 10 chữ số, hoặc 13 chữ số khi có thêm mã đơn vị "
                             "phụ thuộc (ví dụ 0101248141 hoặc 0101248141-001).")
    base, branch = match.groups()
    if check_digit(base[:9]) != int(base[9]):
        raise InvalidTaxCode(f"Mã số thuế {base} không đúng: chữ số kiểm tra (chữ số thứ 10) "
                             "không khớp. Hãy xem lại mã số trên giấy chứng nhận.")
    if branch == "000":
        raise InvalidTaxCode("Mã đơn vị phụ thuộc (3 chữ số cuối) đánh số từ 001.")
    return f"{base}-{branch}" if branch else base
