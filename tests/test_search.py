"""The catalogue search engine (dichvucong.catalog.search): plain Python, no database."""

from __future__ import annotations

import os

os.environ.setdefault("DICHVUCONG_MODE", "test")


import pytest  # noqa: E402

from dichvucong.catalog.loaders import iter_popular_codes, read_catalogue  # noqa: E402
from dichvucong.catalog.search import (  # noqa: E402
    SYNONYMS,
    SearchDocument,
    SearchHit,
    SearchIndex,
    expand_query,
)
from dichvucong.core.text import fold  # noqa: E402

try:
    from search_queries import QUERIES  # noqa: E402
except ImportError:  # tests/ imported as a package
    from tests.search_queries import QUERIES  # noqa: E402


def catalogue_documents() -> list[SearchDocument]:
    """The demo catalogue as search documents: id = position, popularity = the highest weight
    ``iter_popular_codes`` gives the code."""
    popularity: dict[str, int] = {}
    for code, weight in iter_popular_codes():
        popularity[code] = max(popularity.get(code, 0), weight)
    return [
        SearchDocument(id=position, code=d.code, name=d.name, field=d.field, agency=d.agency,
                       keywords=tuple(d.keywords), popularity=popularity.get(d.code, 0))
        for position, d in enumerate(read_catalogue())
    ]


@pytest.fixture(scope="module")
def documents() -> list[SearchDocument]:
    return catalogue_documents()


@pytest.fixture(scope="module")
def index(documents) -> SearchIndex:
    return SearchIndex(documents)


def codes(index: SearchIndex, documents, query: str, limit: int = 5) -> list[str]:
    return [documents[hit.id].code for hit in index.search(query, limit)]


# Citizen queries ---------------------------------------------------------------------------

def test_query_table_is_large_enough_and_codes_exist(documents):
    assert len(QUERIES) >= 30
    known = {d.code for d in documents}
    for query, wanted in QUERIES:
        assert wanted, query
        missing = [code for code in wanted if code not in known]
        assert not missing, f"{query!r}: codes not in the catalogue: {missing}"


@pytest.mark.parametrize(("query", "wanted"), QUERIES, ids=[q for q, _ in QUERIES])
def test_citizen_query_finds_intended_procedure_in_top_3(index, documents, query, wanted):
    hits = index.search(query, limit=5)
    top3 = [documents[hit.id].code for hit in hits[:3]]
    top5 = "\n".join(f"  {hit.score:8.3f}  {documents[hit.id].code:<12} {documents[hit.id].name}"
                     for hit in hits)
    assert set(wanted) & set(top3), (
        f"{query!r}: none of {wanted} in the top 3; expanded to {expand_query(query)}; "
        f"top 5:\n{top5}")


# Behaviour on the real catalogue -----------------------------------------------------------

def test_len(index, documents):
    assert len(index) == len(documents) > 1500


@pytest.mark.parametrize("query", [
    "Đăng ký khai sinh", "dang ky khai sinh", "ĐĂNG KÝ KHAI SINH", "  đăng   ký,  khai-sinh! ",
    "đăng ky khai sinh", "Dang Ký khai Sinh", "đăng kí khai sinh",
])
def test_diacritics_case_spacing_and_punctuation_do_not_matter(index, query):
    assert index.search(query) == index.search("đăng ký khai sinh")


@pytest.mark.parametrize("query", ["", " ", "\t\n  ", "!!!", "  ,.;  "])
def test_empty_query_returns_nothing(index, query):
    assert index.search(query) == []


def test_hits_are_search_hits_sorted_and_limited(index):
    hits = index.search("giấy phép", limit=7)
    assert len(hits) == 7
    assert all(isinstance(hit, SearchHit) for hit in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert index.search("giấy phép", limit=0) == []


@pytest.mark.parametrize(("query", "code"), [
    ("1.001193", "1.001193"), (" 1.000894 ", "1.000894"), ("DNG.707970", "DNG.707970"),
    ("dng.707970", "DNG.707970"), ("001193", "1.001193"), ("mã 3.000347", "3.000347"),
    ("1.001193.000.00.00.H12", "1.001193"),
])
def test_exact_code_comes_first(index, documents, query, code):
    assert codes(index, documents, query)[0] == code


def test_code_and_words_together(index, documents):
    found = codes(index, documents, "1.000894 khai sinh")
    assert found[0] == "1.000894"
    assert "1.001193" in found[1:3]


def test_unknown_code_is_not_pinned(index):
    assert all(hit.score < 1000 for hit in index.search("9.999999"))


@pytest.mark.parametrize(("typo", "right"), [
    ("khia sinh", "khai sinh"),  # transposition
    ("dang ky thuongg tru", "dang ky thuong tru"),  # insertion
    ("ddang ky ket hon", "dang ky ket hon"),  # đ typed as dd
    ("dangky kethon", "dang ky ket hon"),  # no spaces
    ("passpot", "passport"),  # a synonym key misspelled
])
def test_one_typo_is_corrected(index, typo, right):
    assert index.search(typo)[0].id == index.search(right)[0].id


def test_synonyms_are_folded():
    for key, phrases in SYNONYMS.items():
        assert key == fold(key).strip() and key.isascii(), key
        for phrase in phrases:
            assert phrase == fold(phrase).strip() and phrase.isascii(), (key, phrase)


@pytest.mark.parametrize(("query", "expanded"), [
    ("GPLX", "giay phep lai xe"),
    ("bằng lái xe", "giay phep lai xe"),
    ("CCCD", "the can cuoc"),
    ("sổ đỏ", "giay chung nhan quyen su dung dat"),
    ("xác nhận độc thân", "xac nhan tinh trang hon nhan"),
    ("nhập hộ khẩu", "dang ky thuong tru"),
    ("làm lại bằng lái", "cap lai giay phep lai xe"),
    ("đổi bằng lái", "cap doi giay phep lai xe"),
    ("trợ cấp thất nghiệp", "tro cap that nghiep"),  # no "trợ cấp trợ cấp"
    ("thủ tục đăng kí kết hôn như thế nào", "dang ky ket hon"),  # filler words dropped
    ("BHYT", "bao hiem y te"),
    ("thay đổi nội dung", "thay doi noi dung"),  # "đổi" alone would become "cấp đổi"
    ("lâm nghiệp", "lam nghiep"),  # "làm" alone would become "cấp"
])
def test_expand_query(query, expanded):
    assert expand_query(query) == expanded.split()


def test_abbreviation_in_catalogue_names_matches_full_words(index, documents):
    # The catalogue writes "thẻ BHYT" in some names and "thẻ bảo hiểm y tế" in others.
    by_abbreviation = set(codes(index, documents, "thẻ BHYT", 10))
    by_words = set(codes(index, documents, "thẻ bảo hiểm y tế", 10))
    assert {"1.001939", "2.000639"} <= by_abbreviation & by_words


# Ranking rules on a small synthetic index --------------------------------------------------

FILLER_NAMES = [
    "Cấp giấy phép xây dựng", "Đăng ký tạm trú", "Cấp hộ chiếu phổ thông",
    "Chứng thực chữ ký", "Đăng ký thường trú", "Cấp đổi giấy phép lái xe",
    "Thu hồi giấy phép kinh doanh", "Đăng ký biến động đất đai", "Cấp lại thẻ căn cước",
]


def small_index(*docs: tuple[str, int]) -> SearchIndex:
    """Index of (name, popularity) documents with ids 1, 2, …, plus filler procedures."""
    documents = [SearchDocument(id=n, code=f"TST.{n:06d}", name=name, field="Hộ tịch",
                                popularity=popularity)
                 for n, (name, popularity) in enumerate(docs, start=1)]
    documents += [SearchDocument(id=100 + n, code=f"TST.{100 + n:06d}", name=name, field="Khác")
                  for n, name in enumerate(FILLER_NAMES)]
    return SearchIndex(documents)


def ids(index: SearchIndex, query: str) -> list[int]:
    return [hit.id for hit in index.search(query)]


def test_popular_near_duplicate_wins_an_equal_match():
    index = small_index(("Đăng ký khai sinh", 0), ("Đăng ký khai sinh", 100))
    assert ids(index, "khai sinh")[:2] == [2, 1]
    index = small_index(("Đăng ký khai sinh lưu động", 0), ("Đăng ký khai sinh có yếu tố", 50))
    assert ids(index, "khai sinh")[0] == 2


def test_clearly_better_match_beats_popularity():
    index = small_index(("Đăng ký khai sinh", 0), ("Đăng ký khai tử", 100),
                        ("Đăng ký khai sinh có yếu tố nước ngoài", 100),
                        ("Đăng ký lại khai sinh", 100))
    assert ids(index, "đăng ký khai sinh")[0] == 1


def test_shorter_general_name_first():
    index = small_index(("Đăng ký khai sinh có yếu tố nước ngoài", 0),
                        ("Đăng ký lại khai sinh", 0), ("Đăng ký khai sinh", 0),
                        ("Thủ tục đăng ký khai sinh lưu động", 0))
    assert ids(index, "khai sinh")[0] == 3
    assert ids(index, "dang ky khai sinh")[0] == 3


def test_phrase_in_name_beats_scattered_words():
    index = small_index(("Kết hôn, đăng ký lại", 0), ("Đăng ký kết hôn lại", 0))
    assert ids(index, "đăng ký kết hôn")[0] == 2


def test_name_weighs_more_than_field():
    documents = [
        SearchDocument(id=1, code="TST.000001", name="Cấp bản sao trích lục", field="Hộ tịch"),
        SearchDocument(id=2, code="TST.000002", name="Cấp bản sao hộ tịch", field="Chứng thực"),
        *[SearchDocument(id=100 + n, code=f"TST.{100 + n:06d}", name=name)
          for n, name in enumerate(FILLER_NAMES)],
    ]
    assert ids(SearchIndex(documents), "hộ tịch")[0] == 2


def test_empty_index():
    index = SearchIndex([])
    assert len(index) == 0
    assert index.search("khai sinh") == []
