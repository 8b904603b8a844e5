"""Vietnamese text helpers: folding diacritics for search and slugs."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Lower-case, without diacritics: 'Đăng ký Khai sinh' → 'dang ky khai sinh'.

    'đ' has no Unicode decomposition, so it is mapped by hand before the combining marks go.
    """
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def slugify_vi(text: str, max_length: int = 200) -> str:
    return _NON_WORD.sub("-", fold(text)).strip("-")[:max_length].rstrip("-")


def words(text: str) -> list[str]:
    """The folded words of ``text``."""
    return [w for w in _NON_WORD.split(fold(text)) if w]
