"""What a read paper is and what it says, and whether that agrees with the form. Plain Python.

``find`` tells the kind of paper from its words (a citizen identity card, a birth certificate)
and takes its key fields: the 12-digit personal identification number, the full name, the date
of birth. ``compare`` sets them against what the form or the account says: a mismatch is shown to
the citizen before filing and to the officer after, and nothing is refused on it (the officer
decides). OCR loses diacritics often («NGUYÊN» for «NGUYỄN»), so names are compared folded and
allowing one or two wrong letters; numbers and dates exactly.

The kinds told and where their layouts come from:
- the citizen identity card (căn cước công dân, 2021; thẻ căn cước, 2024): number, name, birth
  date as ``specimens.py`` lays them out;
- the birth certificate (giấy khai sinh): «Họ, chữ đệm và tên», «Ngày, tháng, năm sinh»;
- the hospital's birth notice (giấy chứng sinh): its labels are those of the form annexed to
  Thông tư 56/2017/TT-BYT (which replaced the form of Thông tư 17/2012/TT-BYT): «Họ và tên
  mẹ/Người nuôi dưỡng», «Giấy CMND/Thẻ căn cước/Hộ chiếu số», «Đã sinh con vào lúc: … giờ …
  phút, ngày … tháng … năm …», «Dự định đặt tên con là». UNVERIFIED: read from the form as
  reproduced by secondary sites, not from the Công báo; Thông tư 22/2025/TT-BYT (in force
  1 October 2025) sets a new form (its mẫu số 01, Phụ lục I) whose labels were not seen;
- residence papers (xác nhận thông tin về cư trú, the former sổ hộ khẩu): told by their title
  only; their «Họ, chữ đệm và tên», «Ngày, tháng, năm sinh», «Số định danh cá nhân» read as on
  the other papers. UNVERIFIED against the current form (mẫu CT07).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from rapidfuzz.fuzz import ratio

from dichvucong.core.text import fold

CCCD = "cccd"
BIRTH_CERTIFICATE = "birth_certificate"
BIRTH_NOTICE = "birth_notice"
RESIDENCE = "residence"
KINDS = {  # in this order: a birth notice names the mother's «thẻ căn cước»
    BIRTH_NOTICE: ("giay chung sinh",),
    BIRTH_CERTIFICATE: ("giay khai sinh", "birth certificate"),
    RESIDENCE: ("thong tin ve cu tru", "so ho khau"),
    CCCD: ("can cuoc", "citizen identity", "identity card"),
}
LABELS = {CCCD: "Thẻ căn cước / căn cước công dân", BIRTH_CERTIFICATE: "Giấy khai sinh",
          BIRTH_NOTICE: "Giấy chứng sinh", RESIDENCE: "Giấy tờ về cư trú"}
FIELD_LABELS = {"id_number": "Số định danh cá nhân", "full_name": "Họ và tên",
                "date_of_birth": "Ngày sinh", "mother_name": "Họ và tên mẹ",
                "mother_id_number": "Số giấy tờ tùy thân của mẹ",
                "child_date_of_birth": "Ngày sinh của con"}
# What a photo may need: a code each, and the one hint shown for any of them.
BLURRED, CUT, UNREADABLE = "blurred", "cut", "unreadable"
PROBLEMS = {BLURRED: "Ảnh mờ", CUT: "Giấy tờ bị cắt ở mép ảnh",
            UNREADABLE: "Máy không đọc được nội dung"}
NAME_SIMILARITY = 0.85  # folded, so a lost accent costs nothing; a different name far more
LOW_CONFIDENCE = 55.0
FEW_WORDS = 8
RETAKE = "Ảnh mờ hoặc bị cắt, vui lòng chụp lại giấy tờ: thẳng, đủ sáng, thấy đủ bốn góc."

_NUMBER = re.compile(r"(?<!\d)(\d[\d ]{10,16}\d)(?!\d)")
_DATE = re.compile(r"(?<!\d)(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})(?!\d)")
_NAME_LABEL = re.compile(r"(ho va ten|ho, chu dem va ten|full name)\s*[:/.]?", re.I)
_BIRTH_LABEL = re.compile(r"(ngay,? thang,? nam sinh|ngay sinh|date of birth)", re.I)
_MOTHER_LABEL = re.compile(r"ho va ten me\b[^:]*:?", re.I)
_MOTHER_ID_LABEL = re.compile(r"(cmnd|can cuoc|ho chieu)[^:]*(so)\s*:?", re.I)
_BORN_AT = re.compile(r"sinh con vao luc.*?ngay\s*(\d{1,2})\s*thang\s*(\d{1,2})\s*nam\s*(\d{4})",
                      re.I)


@dataclass(frozen=True)
class Paper:
    kind: str  # CCCD, BIRTH_CERTIFICATE or "" (not recognised)
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Mismatch:
    field: str
    found: str
    expected: str

    @property
    def sentence(self) -> str:
        return (f"{FIELD_LABELS.get(self.field, self.field)} trên giấy tờ là "
                f"«{shown(self.field, self.found)}», trên tờ khai là "
                f"«{shown(self.field, self.expected)}».")


def shown(key: str, value: str) -> str:
    """A field's value as a Vietnamese reader writes it: an ISO date as dd/mm/yyyy."""
    if key.endswith("date_of_birth") and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return "/".join(reversed(value.split("-")))
    return value


def kind_of(text: str) -> str:
    folded = fold(text)
    for kind, words in KINDS.items():
        if any(word in folded for word in words):
            return kind
    return ""


def _id_number(text: str) -> str:
    for match in _NUMBER.finditer(text):
        digits = match.group(1).replace(" ", "")
        if len(digits) == 12:
            return digits
    return ""


def _date_in(text: str) -> str:
    match = _DATE.search(text)
    if not match:
        return ""
    return _iso(*match.groups())


def _iso(day: str, month: str, year: str) -> str:
    """The date in ISO form, "" when there is no such day (a misread digit)."""
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return ""


def _name(lines: list[str]) -> str:
    for index, line in enumerate(lines):
        label = _NAME_LABEL.search(fold(line))
        if not label:
            continue
        # Folding keeps the length, so the label's end in the folded line is its end here.
        after = line[label.end():].strip(" :/.|")
        following = lines[index + 1].strip() if index + 1 < len(lines) else ""
        # The card prints the name in capitals on the line under «Họ và tên / Full name»; a
        # certificate after the label on its line. What is left of a bilingual label (a
        # misread «Full name») is neither.
        if _looks_like_name(following, capitals=True):
            return " ".join(following.split())
        if _looks_like_name(after):
            return " ".join(after.split()).upper()
    return ""


def _looks_like_name(text: str, capitals: bool = False) -> bool:
    words = text.split()
    return (2 <= len(words) <= 7 and all(w.isalpha() for w in words)
            and "name" not in fold(text) and (not capitals or text == text.upper()))


def _birth_date(lines: list[str]) -> str:
    for index, line in enumerate(lines):
        if _BIRTH_LABEL.search(fold(line)):
            found = _date_in(line) or (_date_in(lines[index + 1]) if index + 1 < len(lines)
                                       else "")
            if found:
                return found
    return ""


def _birth_notice(lines: list[str]) -> dict[str, str]:
    """The mother's name and papers' number, and when the child was born (the form's labels:
    the module's docstring)."""
    fields = {}
    for index, line in enumerate(lines):
        folded = fold(line)
        if "mother_name" not in fields and (label := _MOTHER_LABEL.search(folded)):
            after = line[label.end():].strip(" :/.|")
            if _looks_like_name(after):
                fields["mother_name"] = " ".join(after.split()).upper()
        if "mother_id_number" not in fields and (label := _MOTHER_ID_LABEL.search(folded)):
            digits = re.sub(r"\D", "", line[label.end():].split("Ngày")[0])
            if len(digits) in (9, 12):  # an identity card's 9 digits, a CCCD's 12
                fields["mother_id_number"] = digits
        if "child_date_of_birth" not in fields:
            joined = fold(" ".join(lines[index:index + 2]))
            if (born := _BORN_AT.search(joined)) and (found := _iso(*born.groups())):
                fields["child_date_of_birth"] = found
    return fields


def find(text: str) -> Paper:
    lines = [line for line in text.splitlines() if line.strip()]
    kind = kind_of(text)
    if kind == BIRTH_NOTICE:  # the names on it are the mother's and the father's
        return Paper(kind=kind, fields=_birth_notice(lines))
    fields = {"id_number": _id_number(text), "full_name": _name(lines),
              "date_of_birth": _birth_date(lines)}
    return Paper(kind=kind, fields={k: v for k, v in fields.items() if v})


def same_name(a: str, b: str) -> bool:
    a, b = " ".join(fold(a).split()), " ".join(fold(b).split())
    return a == b or ratio(a, b) >= NAME_SIMILARITY * 100


def compare(paper: Paper, expected: dict[str, str]) -> list[Mismatch]:
    """What the paper says against the form: only fields both have (a field the machine could
    not read is no mismatch)."""
    out = []
    for key, wanted in expected.items():
        found = paper.fields.get(key, "")
        if not found or not wanted:
            continue
        agrees = (same_name(found, wanted) if key.endswith("name")
                  else found == str(wanted).strip())
        if not agrees:
            out.append(Mismatch(key, found, str(wanted)))
    return out


def needs_retake(confidence: float, words: int) -> bool:
    """Too little read, or read too unsurely, to say anything: ask for a better photo."""
    return words < FEW_WORDS or confidence < LOW_CONFIDENCE


def problems(confidence: float, words: int, blurred: bool, cut: bool) -> list[str]:
    """What is wrong with the photo (``PROBLEMS``' codes); any of them asks for ``RETAKE``."""
    found = [code for code, wrong in ((BLURRED, blurred), (CUT, cut)) if wrong]
    if needs_retake(confidence, words):
        found.append(UNREADABLE)
    return found
