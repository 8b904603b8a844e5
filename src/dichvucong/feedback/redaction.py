"""Personal data removed from a feedback before it is published (plain Python).

What is removed: phone numbers (Vietnamese mobile and landline, with or without +84 and
separators), ID numbers (CMND 9 digits, CCCD 12), e-mail addresses, dossier codes, any other run
of 8 or more digits, and the names given (the sender's, the official's), matched with or without
diacritics. An address in free text cannot be told apart from other words: the official checks
the text before publishing (the answer page shows what will be published).
"""

from __future__ import annotations

import re
import unicodedata

HIDDEN = "[đã ẩn]"

PATTERNS = (
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),  # e-mail
    re.compile(r"\d{3}\.\d{2}\.\d{2}\.H\d{2}-\d{6}-\d{4,}"),  # dossier code
    # Any run of 8 or more digits, separators allowed inside: phones, ID numbers, accounts.
    re.compile(r"(?<![\w])\+?\d(?:[\s.\-]?\d){7,}(?![\w])"),
)


def _fold(text: str) -> str:
    text = text.replace("Đ", "D").replace("đ", "d")
    return "".join(ch for ch in unicodedata.normalize("NFD", text)
                   if not unicodedata.combining(ch)).lower()


def _remove_name(text: str, name: str) -> str:
    """Every occurrence of ``name`` (whole words, any case, with or without diacritics)."""
    words = name.split()
    if not words:
        return text
    target = _fold(" ".join(words))
    # Fold character by character so positions in the folded text map back to the original.
    folded_chars = [_fold(ch) or ch for ch in text]
    folded = "".join(folded_chars)
    starts = [0]
    for piece in folded_chars:
        starts.append(starts[-1] + len(piece))
    pattern = re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, target.split())) + r"(?!\w)")
    out, last = [], 0
    for match in pattern.finditer(folded):
        begin = starts.index(match.start()) if match.start() in starts else None
        end = starts.index(match.end()) if match.end() in starts else None
        if begin is None or end is None:
            continue
        out.append(text[last:begin])
        out.append(HIDDEN)
        last = end
    out.append(text[last:])
    return "".join(out)


def redact(text: str, names: tuple[str, ...] = ()) -> str:
    for pattern in PATTERNS:
        text = pattern.sub(HIDDEN, text)
    for name in sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True):
        text = _remove_name(text, name)
    return text
