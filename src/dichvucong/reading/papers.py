"""What a read paper is and what it says, and whether that agrees with the form. Plain Python.

``find`` tells the kind of paper from its words (a citizen identity card, a birth certificate)
and takes its key fields: the 12-digit personal identification number, the full name, the date
of birth. ``compare`` sets them against what the form or the account says: a mismatch is shown to
the citizen before filing and to the officer after, and nothing is refused on it (the officer
decides). OCR loses diacritics often («NGUYÊN» for «NGUYỄN»), so names are compared folded and
allowing one or two wrong letters; numbers and dates exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from rapidfuzz.fuzz import ratio

from dichvucong.core.text import fold

CCCD = "cccd"
BIRTH_CERTIFICATE = "birth_certificate"
KINDS = {
    CCCD: ("can cuoc", "citizen identity", "identity card"),
    BIRTH_CERTIFICATE: ("giay khai sinh", "birth certificate"),
}
LABELS = {CCCD: "Thẻ căn cước / căn cước công dân", BIRTH_CERTIFICATE: "Giấy khai sinh"}
FIELD_LABELS = {"id_number": "Số định danh cá nhân", "full_name": "Họ và tên",
                "date_of_birth": "Ngày sinh"}
NAME_SIMILARITY = 0.85  # folded, so a lost accent costs nothing; a different name far more
LOW_CONFIDENCE = 55.0
FEW_WORDS = 8
RETAKE = ("Ảnh mờ, nghiêng hoặc bị cắt nên máy không đọc được: hãy chụp lại giấy tờ thẳng, đủ "
          "sáng, thấy đủ bốn góc.")

_NUMBER = re.compile(r"(?<!\d)(\d[\d ]{10,16}\d)(?!\d)")
_DATE = re.compile(r"(?<!\d)(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})(?!\d)")
_NAME_LABEL = re.compile(r"(ho va ten|ho, chu dem va ten|full name)\s*[:/.]?", re.I)
_BIRTH_LABEL = re.compile(r"(ngay,? thang,? nam sinh|ngay sinh|date of birth)", re.I)


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
        return (f"{FIELD_LABELS.get(self.field, self.field)} trên giấy tờ là «{self.found}», "
                f"trên tờ khai là «{self.expected}».")


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
    day, month, year = (int(g) for g in match.groups())
    try:
        return date(year, month, day).isoformat()
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


def find(text: str) -> Paper:
    lines = [line for line in text.splitlines() if line.strip()]
    fields = {"id_number": _id_number(text), "full_name": _name(lines),
              "date_of_birth": _birth_date(lines)}
    return Paper(kind=kind_of(text), fields={k: v for k, v in fields.items() if v})


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
        agrees = same_name(found, wanted) if key == "full_name" else found == str(wanted)
        if not agrees:
            out.append(Mismatch(key, found, str(wanted)))
    return out


def needs_retake(confidence: float, words: int) -> bool:
    """Too little read, or read too unsurely, to say anything: ask for a better photo."""
    return words < FEW_WORDS or confidence < LOW_CONFIDENCE
