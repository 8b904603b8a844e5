"""Vietnamese text helpers: folding diacritics for search and slugs, and the alphabetical order
of names shown to people."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")

# The longest name kept for a procedure, a required document (an attachment's requirement), a
# stored document's type and title, a result: the model fields' max_length, and where a longer
# name is cut to fit (and then looked up by).
NAME_MAX = 600

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


# The Vietnamese alphabet, with f, j, w and z (in foreign and minority-language names such as
# «Avương», «Đắc Pring») at their Latin places.
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_LETTER_RANK = {letter: rank for rank, letter in enumerate(_ALPHABET)}
# Combining marks that make a letter of their own: ă â ê ô ơ ư.
_LETTER_MARKS = {("a", "\u0306"): "ă", ("a", "\u0302"): "â", ("e", "\u0302"): "ê",
                 ("o", "\u0302"): "ô", ("o", "\u031b"): "ơ", ("u", "\u031b"): "ư"}
# Tone marks in dictionary order, after the level tone (no mark): huyền, hỏi, ngã, sắc, nặng.
_TONE_RANK = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
# After NFD: a number, or a word of letters each followed by its combining marks.
_TOKEN = re.compile(r"\d+|(?:[^\W\d_][\u0300-\u036f]*)+")
_LETTER = re.compile(r"([^\W\d_])([\u0300-\u036f]*)")


def _word_key(token: str) -> tuple:
    """A word's place: numbers (by value) before words; a word by its letters, then its tone."""
    if token[0].isdecimal():
        return (0, int(token), (), ())
    letters, tones = [], []
    for base, marks in _LETTER.findall(token):
        letter = base
        for mark in marks:
            if (letter, mark) in _LETTER_MARKS:
                letter = _LETTER_MARKS[letter, mark]
            elif mark in _TONE_RANK:
                tones.append(_TONE_RANK[mark])
            # Other marks (ü, ç …) are not Vietnamese: the letter counts as its base.
        letters.append(_LETTER_RANK.get(letter, len(_ALPHABET) + ord(letter)))
    return (1, 0, tuple(letters), tuple(tones))


# Cached: the same names (agencies, fields, procedures) are sorted on every dashboard, and the
# key is pure; the city's whole-history page computed 730 of them a request (60 ms).
@functools.lru_cache(maxsize=16384)
def vietnamese_key(text: str) -> tuple:
    """The key that sorts names in Vietnamese alphabetical order.

    Word by word (a syllable is the unit of a dictionary: «Hải Châu» before «Hương Trà», «Hội
    An» before «Hội An Đông»); within a word, letters in the order a ă â b c d đ e ê g h i k l m
    n o ô ơ p q r s t u ư v x y first, the tone second (none, huyền, hỏi, ngã, sắc, nặng); case,
    punctuation and the placement of the tone mark (hòa, hoà) do not count, except to break
    ties. Numbers sort by value. Sorting in Python, not with a database collation, gives the same
    order on SQLite and PostgreSQL (whose ICU «vi» collation compares the tones of the whole
    string after its letters, not word by word).
    """
    decomposed = unicodedata.normalize("NFD", text.casefold())
    words_key = tuple(_word_key(token) for token in _TOKEN.findall(decomposed))
    return (words_key, unicodedata.normalize("NFC", text.casefold()), text)


def sorted_vietnamese(items: Iterable[T], name: Callable[[T], str] = str) -> list[T]:
    """``items`` in Vietnamese alphabetical order of ``name(item)``."""
    return sorted(items, key=lambda item: vietnamese_key(name(item)))
