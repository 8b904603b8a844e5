"""Vietnamese alphabetical order of names (``core.text.vietnamese_key``), directly and as people
see it: the address pickers, the catalogue's agencies and fields, the API and the public
transparency page."""

from __future__ import annotations

import re
import unicodedata
from html import unescape

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dichvucong.core.text import sorted_vietnamese, vietnamese_key

ALPHABET = list("aăâbcdđeêghiklmnoôơpqrstuưvxy")
# Dictionary order of the tones: none, huyền, hỏi, ngã, sắc, nặng.
TONES = ["", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323"]
VOWELS = set("aăâeêioôơuưy")


def toned(letters: list[str], tone: str) -> str:
    """A syllable with ``tone`` on its first vowel (or none when it has no vowel)."""
    for i, letter in enumerate(letters):
        if letter in VOWELS:
            letters = [*letters[:i], letter + tone, *letters[i + 1:]]
            break
    return unicodedata.normalize("NFC", "".join(letters))


syllable_letters = st.lists(st.sampled_from(ALPHABET), min_size=1, max_size=6)
tones = st.sampled_from(TONES)
names = st.lists(st.builds(toned, syllable_letters, tones), min_size=1, max_size=4).map(" ".join)


def before(a: str, b: str) -> bool:
    return vietnamese_key(a) < vietnamese_key(b)


def primary(text: str) -> tuple:
    """The part of the key that decides the order; the rest only breaks ties."""
    return vietnamese_key(text)[0]


# --- the key ------------------------------------------------------------------------------------


@pytest.mark.parametrize("first, second", [
    ("Hải Châu", "Hương Trà"),        # a < ư: the first word decides
    ("Phường Hải Châu", "Phường Hương Trà"),
    ("Đà Nẵng", "Vĩnh Long"),          # đ right after d, long before v
    ("Điện Biên", "Gia Lai"),
    ("Duy Xuyên", "Đại Lộc"),
    ("Cà Mau", "Cao Bằng"),            # letters first: «ca» is a prefix of «cao»
    ("Cao Bằng", "Cấp sổ"),            # a < â
    ("Chi trả", "Chính sách"),         # «chi» is a prefix of «chính»
    ("Hội An", "Hội An Đông"),         # a name before the longer names it begins
    ("Hội An Đông", "Hội An Tây"),
    ("La Dêê", "La Êê"),
    ("Hà Nội", "Hạ Long"),             # same letters: huyền before nặng
    ("Ha Long", "Hà Nam"),             # word by word: the first word's tone first
    ("o", "ô"), ("ô", "ơ"), ("u", "ư"), ("ư", "v"), ("a", "ă"), ("ă", "â"), ("e", "ê"),
    ("Phường 2", "Phường 10"),         # numbers by value
    ("Thanh Khê", "Thành phố Huế"),
])
def test_known_pairs(first, second):
    assert before(first, second) and not before(second, first)


def test_tones_in_dictionary_order():
    words = ["ba", "bà", "bả", "bã", "bá", "bạ"]
    assert sorted_vietnamese(reversed(words)) == words


def test_the_alphabet_in_order():
    assert sorted_vietnamese(reversed(ALPHABET)) == ALPHABET


@given(names, names)
def test_letters_decide_before_tones(a, b):
    """Two one-word names with different letters sort as their toneless letters do."""
    a, b = a.split()[0], b.split()[0]
    bare_a, bare_b = (unicodedata.normalize("NFC", "".join(
        ch for ch in unicodedata.normalize("NFD", w) if ch not in TONES[1:])) for w in (a, b))
    if bare_a != bare_b:
        assert before(a, b) == before(bare_a, bare_b)


@given(st.lists(syllable_letters, min_size=1, max_size=3), st.permutations(TONES))
def test_same_letters_sort_by_tone(letters, shuffled):
    name = [toned(list(word), "") for word in letters]
    first_word = letters[0]
    variants = [" ".join([toned(list(first_word), tone), *name[1:]]) for tone in shuffled]
    assert sorted_vietnamese(variants) == [
        " ".join([toned(list(first_word), tone), *name[1:]]) for tone in TONES]


@given(names, names, names, names)
def test_the_first_different_word_decides(w1, w2, rest1, rest2):
    """Names compare word by word: what follows a different word does not matter."""
    w1, w2 = w1.split()[0], w2.split()[0]
    if primary(w1) != primary(w2):
        assert before(f"{w1} {rest1}", f"{w2} {rest2}") == before(w1, w2)
    assert before(w1, f"{w1} {rest1}")  # a name before the names it begins


@given(names, names)
def test_case_does_not_count(a, b):
    if primary(a) != primary(b):
        assert before(a.upper(), b.lower()) == before(a, b) == before(a.title(), b.upper())
    assert primary(a.upper()) == primary(a) == primary(a.title())


@given(names)
def test_composed_or_decomposed_and_tone_placement_do_not_count(a):
    assert primary(unicodedata.normalize("NFD", a)) == primary(a)
    assert primary("Hoà " + a) == primary("Hòa " + a)


@given(st.lists(st.text(max_size=12), max_size=12), st.randoms())
def test_any_text_sorts_the_same_whatever_its_first_order(items, random):
    """A total order on any text (digits, punctuation, other scripts): no error, and the same
    result from any starting order."""
    expected = sorted_vietnamese(items)
    shuffled = list(items)
    random.shuffle(shuffled)
    assert sorted_vietnamese(shuffled) == expected


# --- as people see it -----------------------------------------------------------------------------


def option_texts(html: str, select_id: str) -> list[str]:
    """The labels of a <select>'s options, without its empty «— Chọn —»."""
    body = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    assert body, select_id
    return [unescape(text) for value, text in
            re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', body.group(1)) if value]


def assert_in_order(names: list[str], *pairs: tuple[str, str]) -> None:
    assert names == sorted_vietnamese(names)
    for first, second in pairs:
        assert names.index(first) < names.index(second), (first, second)


@pytest.mark.django_db
def test_provinces_and_wards_through_the_api_and_the_forms(client):
    from dichvucong.accounts.models import User

    provinces = [u["name"] for u in client.get("/api/v1/units/provinces").json()]
    assert_in_order(provinces, ("Điện Biên", "Gia Lai"), ("Đồng Tháp", "Vĩnh Long"),
                    ("Cà Mau", "Cao Bằng"))
    wards = [u["name"] for u in client.get("/api/v1/units/48/communes").json()]
    assert_in_order(wards, ("Phường Hải Châu", "Phường Hương Trà"),
                    ("Phường Hội An Đông", "Phường Hội An Tây"), ("Xã Đại Lộc", "Xã Vu Gia"))
    # The account page's address pickers.
    client.force_login(User.objects.get(username="congdan"))
    html = client.get("/tai-khoan/").content.decode()
    assert option_texts(html, "id_province") == provinces
    assert option_texts(html, "id_commune") == wards
    # Where to file a birth registration: any ward's committee.
    html = client.get("/thu-tuc/1.001193/nop-ho-so/").content.decode()
    committees = option_texts(html, "f-agency")
    assert_in_order(committees, ("Ủy ban nhân dân phường Hải Châu",
                                 "Ủy ban nhân dân phường Hương Trà"),
                    ("Ủy ban nhân dân xã Đại Lộc", "Ủy ban nhân dân xã Vu Gia"))


@pytest.mark.django_db
def test_agencies_and_fields_of_the_catalogue(client):
    html = client.get("/co-quan/").content.decode()
    html = html.split("<h2>")[1]  # the city's agencies, not the commune groups after them
    agencies = re.findall(r'<li class="card"><a href="/thu-tuc/\?agency=[^"]+">([^<]+)</a>', html)
    assert len(agencies) > 10
    assert_in_order([unescape(a) for a in agencies])
    fields = client.get("/api/v1/catalog/fields").json()
    by_count: dict[int, list[str]] = {}
    for f in fields:
        by_count.setdefault(f["procedure_count"], []).append(f["name"])
    # The most used first; fields with as many procedures in Vietnamese order.
    assert [f["procedure_count"] for f in fields] == sorted(
        (f["procedure_count"] for f in fields), reverse=True)
    ties = [names for names in by_count.values() if len(names) > 1]
    assert ties and all(names == sorted_vietnamese(names) for names in ties)
    assert any(names != sorted(names) for names in ties)  # the case this is about
