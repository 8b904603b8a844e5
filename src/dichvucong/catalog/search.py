"""Search over the procedure catalogue, the way citizens type.

Plain Python (no Django) so it is tested directly and can be rebuilt in memory from the
``Procedure`` rows in well under a second. The pipeline:

1. Fold text (diacritics, case, đ→d), split into syllables, unify i/y spellings (kí/ký).
2. Query only: pin exact procedure codes; correct unknown syllables against the index
   vocabulary (one edit, or two syllables typed together); map citizen words and abbreviations
   to the official phrases of ``SYNONYMS``; drop filler words ("thủ tục", "làm thế nào").
   Each phrase with synonyms gives alternatives, so one query becomes a few variants.
3. Score every variant with BM25F over name (weighted most), field, agency and keywords,
   normalised to 0..1 by the variant's own weight so variants compare; a document keeps its
   best variant. Rerank the best candidates with a bonus for the query read as a phrase in the
   name, one for how much of the name the query covers (short, general names first among
   near-duplicates), and a small popularity prior.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import islice, product

from rapidfuzz import process
from rapidfuzz.distance import OSA

from dichvucong.core.text import fold, words

__all__ = ["SYNONYMS", "SearchDocument", "SearchHit", "SearchIndex", "expand_query"]


@dataclass(frozen=True)
class SearchDocument:
    id: int  # the Procedure row id
    code: str
    name: str
    field: str = ""
    agency: str = ""
    keywords: tuple[str, ...] = ()
    popularity: int = 0


@dataclass(frozen=True)
class SearchHit:
    id: int
    score: float


# Vietnamese spells these syllables with either i or y (kí/ký, lí lịch/lý lịch, sĩ/sỹ, công
# ti/ty, qui/quy định); the catalogue mixes them too, so both sides use the y form.
_CANONICAL = {"ki": "ky", "li": "ly", "mi": "my", "si": "sy", "ti": "ty", "hi": "hy",
              "qui": "quy"}

# Abbreviations the catalogue itself uses in names and agencies. Documents are indexed with the
# expansion, so a citizen typing either form finds both spellings.
_ABBREVIATIONS = {
    "ubnd": "ủy ban nhân dân",
    "hdnd": "hội đồng nhân dân",
    "bhxh": "bảo hiểm xã hội",
    "bhyt": "bảo hiểm y tế",
    "bhtn": "bảo hiểm thất nghiệp",
    "bhtnld": "bảo hiểm tai nạn lao động",
    "tnld": "tai nạn lao động",
    "bnn": "bệnh nghề nghiệp",
    "kcb": "khám bệnh chữa bệnh",
    "tnhh": "trách nhiệm hữu hạn",
    "gtgt": "giá trị gia tăng",
    "tncn": "thu nhập cá nhân",
    "tndn": "thu nhập doanh nghiệp",
    "ttdb": "tiêu thụ đặc biệt",
    "nsnn": "ngân sách nhà nước",
    "kbnn": "kho bạc nhà nước",
    "nhnn": "ngân hàng nhà nước",
}

# Citizen words → official phrases, as typed (folded below). A key maps to alternatives: the
# query is tried with each and a document keeps the best; list the key itself as an
# alternative only where the literal words also name procedures. "" drops the words.
_CITIZEN_WORDS: dict[str, tuple[str, ...]] = {
    # Driving licence
    "gplx": ("giấy phép lái xe",),
    "bằng lái": ("giấy phép lái xe",),
    "bằng lái xe": ("giấy phép lái xe",),
    "bằng xe": ("giấy phép lái xe",),
    "bằng ô tô": ("giấy phép lái xe",),
    "bằng xe máy": ("giấy phép lái xe",),
    "bằng quốc tế": ("giấy phép lái xe quốc tế",),
    # Identity card (CMND was replaced by CCCD, now "thẻ căn cước")
    "cccd": ("thẻ căn cước",),
    "căn cước": ("thẻ căn cước", "căn cước"),
    "căn cước công dân": ("thẻ căn cước",),
    "thẻ căn cước công dân": ("thẻ căn cước",),
    "cmnd": ("thẻ căn cước", "chứng minh nhân dân"),
    "cmt": ("thẻ căn cước", "chứng minh nhân dân"),
    "chứng minh thư": ("thẻ căn cước", "chứng minh nhân dân"),
    "chứng minh nhân dân": ("thẻ căn cước", "chứng minh nhân dân"),
    "vneid": ("tài khoản định danh điện tử",),
    "định danh": ("định danh điện tử",),
    # Civil status
    "giấy khai sinh": ("khai sinh", "đăng ký khai sinh"),
    "làm giấy khai sinh": ("đăng ký khai sinh",),
    "làm khai sinh": ("đăng ký khai sinh",),
    "khai sinh cho con": ("đăng ký khai sinh",),
    "sinh con": ("đăng ký khai sinh",),
    "mới sinh": ("đăng ký khai sinh",),
    "báo tử": ("đăng ký khai tử",),
    "giấy báo tử": ("đăng ký khai tử",),
    "chứng tử": ("đăng ký khai tử",),
    "giấy chứng tử": ("đăng ký khai tử",),
    "người chết": ("đăng ký khai tử",),
    "người mất": ("đăng ký khai tử",),
    "qua đời": ("đăng ký khai tử",),
    "cưới": ("đăng ký kết hôn",),
    "đám cưới": ("đăng ký kết hôn",),
    "lấy vợ": ("đăng ký kết hôn",),
    "lấy chồng": ("đăng ký kết hôn",),
    "giấy kết hôn": ("đăng ký kết hôn",),
    "giấy đăng ký kết hôn": ("đăng ký kết hôn",),
    "độc thân": ("xác nhận tình trạng hôn nhân",),
    "xác nhận độc thân": ("xác nhận tình trạng hôn nhân",),
    "giấy độc thân": ("xác nhận tình trạng hôn nhân",),
    "giấy xác nhận độc thân": ("xác nhận tình trạng hôn nhân",),
    "trích lục": ("trích lục hộ tịch", "trích lục"),
    "trích lục khai sinh": ("bản sao trích lục hộ tịch",),
    "trích lục kết hôn": ("bản sao trích lục hộ tịch",),
    "bản sao giấy khai sinh": ("bản sao trích lục hộ tịch",),
    "bản sao khai sinh": ("bản sao trích lục hộ tịch",),
    "đổi tên": ("thay đổi cải chính bổ sung thông tin hộ tịch",),
    "cải chính": ("thay đổi cải chính bổ sung thông tin hộ tịch", "cải chính"),
    "sửa tên": ("thay đổi cải chính bổ sung thông tin hộ tịch",),
    "nhận con nuôi": ("nuôi con nuôi",),
    "xin con nuôi": ("nuôi con nuôi",),
    "nhận con": ("nhận cha mẹ con",),
    "nhận cha": ("nhận cha mẹ con",),
    # Residence
    "hộ khẩu": ("đăng ký thường trú", "hộ khẩu thường trú"),
    "nhập hộ khẩu": ("đăng ký thường trú",),
    "nhập khẩu hộ": ("đăng ký thường trú",),
    "chuyển hộ khẩu": ("đăng ký thường trú",),
    "đăng ký hộ khẩu": ("đăng ký thường trú",),
    "cắt khẩu": ("xóa đăng ký thường trú",),
    "cắt hộ khẩu": ("xóa đăng ký thường trú",),
    "xóa hộ khẩu": ("xóa đăng ký thường trú",),
    "tách hộ khẩu": ("tách hộ",),
    "tách khẩu": ("tách hộ",),
    "kt3": ("đăng ký tạm trú",),
    "ở trọ": ("đăng ký tạm trú",),
    "thuê trọ": ("đăng ký tạm trú",),
    "nhà trọ": ("đăng ký tạm trú", "thông báo lưu trú"),
    "khai báo tạm trú": ("đăng ký tạm trú", "khai báo tạm trú"),
    "báo tạm trú": ("đăng ký tạm trú",),
    "báo tạm vắng": ("khai báo tạm vắng",),
    "đi vắng": ("khai báo tạm vắng",),
    "báo lưu trú": ("thông báo lưu trú",),
    "xác nhận cư trú": ("xác nhận thông tin về cư trú",),
    "giấy xác nhận cư trú": ("xác nhận thông tin về cư trú",),
    "ct07": ("xác nhận thông tin về cư trú",),
    "ct 07": ("xác nhận thông tin về cư trú",),
    # Land and housing
    "sổ đỏ": ("giấy chứng nhận quyền sử dụng đất",),
    "sổ hồng": ("giấy chứng nhận quyền sử dụng đất",),
    "bìa đỏ": ("giấy chứng nhận quyền sử dụng đất",),
    "gcn": ("giấy chứng nhận",),
    "gcnqsdd": ("giấy chứng nhận quyền sử dụng đất",),
    "qsdd": ("quyền sử dụng đất",),
    "làm sổ đỏ": ("cấp giấy chứng nhận quyền sử dụng đất lần đầu hộ gia đình cá nhân",),
    "sang tên": ("đăng ký biến động", "sang tên"),
    "sang tên sổ đỏ": ("đăng ký biến động quyền sử dụng đất",),
    "sang tên sổ hồng": ("đăng ký biến động quyền sử dụng đất",),
    "mua bán đất": ("đăng ký biến động quyền sử dụng đất",),
    "chuyển nhượng đất": ("đăng ký biến động quyền sử dụng đất",),
    "thổ cư": ("đất ở",),
    "lên thổ cư": ("chuyển mục đích sử dụng đất",),
    "tranh chấp đất": ("tranh chấp đất đai",),
    "gpxd": ("giấy phép xây dựng",),
    "phép xây dựng": ("giấy phép xây dựng",),
    "xin phép xây nhà": ("giấy phép xây dựng nhà ở riêng lẻ",),
    "phép xây nhà": ("giấy phép xây dựng nhà ở riêng lẻ",),
    "xây nhà": ("giấy phép xây dựng mới nhà ở riêng lẻ",),
    "làm nhà": ("giấy phép xây dựng mới nhà ở riêng lẻ",),
    "sửa nhà": ("giấy phép xây dựng sửa chữa cải tạo nhà ở riêng lẻ",),
    "sửa chữa nhà": ("giấy phép xây dựng sửa chữa cải tạo nhà ở riêng lẻ",),
    "nhà ở xã hội": ("nhà ở xã hội",),
    # Business
    "hkd": ("hộ kinh doanh",),
    "mở quán": ("đăng ký thành lập hộ kinh doanh",),
    "mở tiệm": ("đăng ký thành lập hộ kinh doanh",),
    "mở cửa hàng": ("đăng ký thành lập hộ kinh doanh",),
    "mở shop": ("đăng ký thành lập hộ kinh doanh",),
    "đăng ký hộ kinh doanh": ("đăng ký thành lập hộ kinh doanh", "đăng ký hộ kinh doanh"),
    "đăng ký doanh nghiệp": ("đăng ký thành lập doanh nghiệp", "đăng ký doanh nghiệp"),
    "buôn bán": ("hộ kinh doanh",),
    "đkkd": ("đăng ký kinh doanh",),
    "giấy phép kinh doanh": ("đăng ký kinh doanh", "giấy phép kinh doanh"),
    "dn": ("doanh nghiệp",),
    "cty": ("công ty", "doanh nghiệp"),
    "công ty": ("công ty", "doanh nghiệp"),
    "mở công ty": ("đăng ký thành lập doanh nghiệp", "đăng ký thành lập công ty"),
    "thành lập công ty": ("đăng ký thành lập doanh nghiệp", "đăng ký thành lập công ty"),
    "mst": ("mã số thuế",),
    "attp": ("an toàn thực phẩm",),
    "atvstp": ("an toàn thực phẩm",),
    "vsattp": ("an toàn thực phẩm",),
    "vệ sinh an toàn thực phẩm": ("an toàn thực phẩm",),
    "vệ sinh thực phẩm": ("an toàn thực phẩm",),
    "bán rượu": ("bán lẻ rượu",),
    "du lịch": ("lữ hành", "du lịch"),
    "tour": ("lữ hành",),
    "công ty du lịch": ("kinh doanh dịch vụ lữ hành",),
    "mở công ty du lịch": ("giấy phép kinh doanh dịch vụ lữ hành",),
    "kinh doanh du lịch": ("kinh doanh dịch vụ lữ hành",),
    # Travel documents
    "passport": ("hộ chiếu",),
    "pasport": ("hộ chiếu",),
    "hộ chiếu": ("hộ chiếu phổ thông", "hộ chiếu"),
    "visa": ("thị thực",),
    # Justice, certification
    "lltp": ("phiếu lý lịch tư pháp",),
    "lý lịch tư pháp": ("phiếu lý lịch tư pháp",),
    "lý lịch": ("phiếu lý lịch tư pháp", "lý lịch"),
    # Citizens say "công chứng" for what a ward does as "chứng thực", most often copies.
    "công chứng": ("chứng thực bản sao",),
    "công chứng viên": ("công chứng viên",),
    "văn phòng công chứng": ("văn phòng công chứng",),
    "công chứng chữ ký": ("chứng thực chữ ký",),
    "công chứng di chúc": ("chứng thực di chúc",),
    "công chứng hợp đồng": ("chứng thực hợp đồng giao dịch", "công chứng hợp đồng"),
    "công chứng giấy tờ": ("chứng thực bản sao giấy tờ",),
    "sao y": ("chứng thực bản sao từ bản chính",),
    "sao y bản chính": ("chứng thực bản sao từ bản chính",),
    "photo công chứng": ("chứng thực bản sao từ bản chính",),
    "sao công chứng": ("chứng thực bản sao từ bản chính",),
    "thừa kế": ("phân chia di sản", "di sản"),
    "bằng tốt nghiệp": ("văn bằng",),
    "bằng đại học": ("văn bằng",),
    "bằng cấp": ("văn bằng chứng chỉ",),
    # Re-issue and renewal words
    "làm lại": ("cấp lại",),
    "xin lại": ("cấp lại",),
    "bị mất": ("cấp lại", "mất"),
    "mất": ("cấp lại", "mất"),
    "bị hỏng": ("cấp lại",),
    "đổi": ("cấp đổi", "đổi"),
    "đổi lại": ("cấp đổi",),
    "gia hạn": ("gia hạn",),
    "làm": ("cấp", "đăng ký", "", "làm"),
    "xin": ("cấp", ""),
    # Compounds that fold to the same syllables as the short words above, kept as they are.
    "thay đổi": ("thay đổi",),
    "chuyển đổi": ("chuyển đổi",),
    "sửa đổi": ("sửa đổi",),
    "biến đổi": ("biến đổi",),
    "trao đổi": ("trao đổi",),
    "đổi mới": ("đổi mới",),
    "đối với": ("đối với",),
    "đối tượng": ("đối tượng",),
    "mặt nước": ("mặt nước",),
    "mặt bằng": ("mặt bằng",),
    "làm việc": ("làm việc",),
    "làm con nuôi": ("làm con nuôi",),
    "lâm nghiệp": ("lâm nghiệp",),
    "lâm sản": ("lâm sản",),
    "kiểm lâm": ("kiểm lâm",),
    # Vehicles
    "cà vẹt": ("chứng nhận đăng ký xe",),
    "cavet": ("chứng nhận đăng ký xe",),
    "giấy đăng ký xe": ("chứng nhận đăng ký xe",),
    "biển số": ("biển số xe",),
    "sang tên xe": ("đăng ký sang tên xe",),
    "xe máy": ("xe mô tô", "xe"),
    "đăng ký xe máy": ("đăng ký xe lần đầu", "đăng ký cấp biển số xe lần đầu"),
    "đăng ký ô tô": ("đăng ký xe lần đầu", "đăng ký cấp biển số xe lần đầu"),
    "đăng ký xe": ("đăng ký xe lần đầu", "đăng ký cấp biển số xe lần đầu", "đăng ký xe"),
    # Social insurance, labour, health
    "bảo hiểm thất nghiệp": ("trợ cấp thất nghiệp", "bảo hiểm thất nghiệp"),
    "thất nghiệp": ("trợ cấp thất nghiệp", "thất nghiệp"),
    "mất việc": ("trợ cấp thất nghiệp",),
    "nghỉ việc": ("trợ cấp thất nghiệp",),
    "rút bảo hiểm": ("hưởng bảo hiểm xã hội một lần",),
    "rút bhxh": ("hưởng bảo hiểm xã hội một lần",),
    "bhxh một lần": ("hưởng bảo hiểm xã hội một lần",),
    "thẻ bảo hiểm": ("thẻ bảo hiểm y tế",),
    "gpld": ("giấy phép lao động",),
    "giấy phép lao động": ("giấy phép lao động",),
    "work permit": ("giấy phép lao động",),
    "khám chữa bệnh": ("khám bệnh chữa bệnh",),
    "hành nghề y": ("hành nghề khám bệnh chữa bệnh",),
    "chứng chỉ hành nghề y": ("giấy phép hành nghề khám bệnh chữa bệnh",),
    "mở phòng khám": ("khám bệnh chữa bệnh",),
    "phòng khám": ("khám bệnh chữa bệnh",),
    "bác sĩ": ("hành nghề khám bệnh chữa bệnh",),
    "bảo trợ": ("bảo trợ xã hội",),
    "trợ cấp xã hội": ("trợ cấp xã hội",),
    "hộ nghèo": ("hộ nghèo",),
    "nghỉ hưu": ("lương hưu",),
    "về hưu": ("lương hưu",),
    # Streets
    "lòng đường hè phố": ("lòng đường hè phố",),
    "vỉa hè": ("hè phố", "vỉa hè"),
    "lề đường": ("lòng đường hè phố",),
    "hè phố": ("hè phố",),
    "online": ("trực tuyến", ""),
}

# Query filler: how citizens phrase a question around the procedure's name.
_FILLER = (
    "thủ tục", "thủ tục hành chính", "làm thế nào", "như thế nào", "thế nào", "ở đâu",
    "cần gì", "cần những gì", "cần giấy tờ gì", "giấy tờ gì", "hồ sơ gì", "hướng dẫn",
    "cách làm", "cách nào", "tôi", "muốn", "tôi muốn", "cho tôi", "cho mình", "cho con",
    "cho bé", "bao nhiêu", "bao lâu", "mất bao lâu", "lệ phí", "hết bao nhiêu", "phải", "nào",
    "gì", "ạ", "nhé", "xin hỏi",
)


def _tokens(text: str) -> list[str]:
    return [_CANONICAL.get(w, w) for w in words(text)]


def _fold_table(table: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    folded: dict[str, tuple[str, ...]] = {}
    for key, phrases in table.items():
        folded[" ".join(_tokens(key))] = tuple(" ".join(_tokens(p)) for p in phrases)
    return folded


_ABBREV_TOKENS = {key: tuple(_tokens(phrase)) for key, phrase in _ABBREVIATIONS.items()}

SYNONYMS: dict[str, tuple[str, ...]] = {
    **{key: (" ".join(tokens),) for key, tokens in _ABBREV_TOKENS.items()},
    **_fold_table(_CITIZEN_WORDS),
}
"""Folded citizen word or abbreviation → folded official phrases (alternatives, best first)."""

_SYNONYM_KEYS = {tuple(key.split()): tuple(tuple(p.split()) for p in phrases)
                 for key, phrases in SYNONYMS.items()}
for _filler in _FILLER:
    _SYNONYM_KEYS.setdefault(tuple(_tokens(_filler)), ((),))
_MAX_KEY = max(len(key) for key in _SYNONYM_KEYS)
# Words the query may contain that need not be in the index (typo correction leaves them).
_QUERY_WORDS = {token for key in _SYNONYM_KEYS for token in key}

# A national code (1.001193, optionally with a locality suffix) or a local one (DNG.707970).
_CODE = re.compile(r"(?<![\w.])(\d\.\d{6}(?:\.\d{3}\.\d{2}\.\d{2})?(?:\.h\d{2})?"
                   r"|[a-z]{2,5}\.\d{3,6})(?![\w.])")
_CODE_NUMBER = re.compile(r"^\d{6}$")

# Ranking constants, tuned on tests/search_queries.py.
_K1 = 1.2
_FIELDS = (  # (weight, length normalisation b)
    (3.0, 0.75),  # name
    (1.0, 0.3),  # field (lĩnh vực)
    (0.5, 0.3),  # agency
    (2.0, 0.5),  # keywords
)
_PHRASE_BONUS = 0.35  # share of the query's syllable pairs found side by side in the name
_COVERAGE_BONUS = 0.25  # share of the name the query accounts for: general names first
_POPULARITY_PRIOR = 0.08  # most popular: +8%, so only near-equal matches swap
_MAX_VARIANTS = 24
_RERANK = 120  # candidates reranked with the phrase and coverage bonuses
_MIN_RELATIVE = 0.2  # drop hits scoring under this share of the best


def _segment(tokens: Sequence[str]) -> list[tuple[tuple[str, ...], ...]]:
    """Query tokens → clauses, each a tuple of alternative token sequences. Greedy longest
    match against the synonym keys, left to right."""
    clauses: list[tuple[tuple[str, ...], ...]] = []
    i = 0
    while i < len(tokens):
        for size in range(min(_MAX_KEY, len(tokens) - i), 0, -1):
            key = tuple(tokens[i:i + size])
            if key in _SYNONYM_KEYS:
                clauses.append(tuple(_trim_overlap(tokens[:i], phrase)
                                     for phrase in _SYNONYM_KEYS[key]))
                i += size
                break
        else:
            clauses.append(((tokens[i],),))
            i += 1
    return clauses


def _trim_overlap(before: Sequence[str], phrase: tuple[str, ...]) -> tuple[str, ...]:
    """Drop the start of an expansion the query already typed: "trợ cấp" + "thất nghiệp" →
    "trợ cấp thất nghiệp", not "trợ cấp trợ cấp thất nghiệp"."""
    for k in range(min(len(before), len(phrase) - 1), 0, -1):
        if tuple(before[-k:]) == phrase[:k]:
            return phrase[k:]
    return phrase


def _drop_repeats(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """Remove a run of two or more tokens that repeats an earlier run, as when the query
    typed both a colloquial word and the official name it expands to, and a token that
    repeats the one before it ("xin cấp" → "cấp cấp")."""
    out = [t for n, t in enumerate(tokens) if n == 0 or t != tokens[n - 1]]
    i = 1
    while i < len(out):
        for size in range(len(out) - i, 1, -1):
            window = out[i:i + size]
            if any(out[j:j + size] == window for j in range(0, i - size + 1)):
                del out[i:i + size]
                break
        else:
            i += 1
    return tuple(out)


def _variants(clauses: Sequence[tuple[tuple[str, ...], ...]]) -> list[tuple[str, ...]]:
    seen: dict[tuple[str, ...], None] = {}
    for combination in islice(product(*clauses), _MAX_VARIANTS * 4):
        variant = _drop_repeats(tuple(token for part in combination for token in part))
        if variant:
            seen.setdefault(variant)
        if len(seen) >= _MAX_VARIANTS:
            break
    return list(seen)


def _strip_codes(folded: str) -> tuple[list[str], str]:
    codes = _CODE.findall(folded)
    return codes, _CODE.sub(" ", folded)


def expand_query(query: str) -> list[str]:
    """The folded tokens of the query's preferred reading after abbreviation and synonym
    expansion, without typo correction (that needs an index). For display and debugging."""
    _, rest = _strip_codes(fold(query))
    variants = _variants(_segment(_tokens(rest)))
    return list(variants[0]) if variants else []


@dataclass
class _Doc:
    id: int
    name: tuple[str, ...]
    name_set: frozenset[str]
    name_pairs: frozenset[tuple[str, str]]
    prior: float


def _doc_tokens(text: str) -> list[str]:
    out: list[str] = []
    for token in _tokens(text):
        out.extend(_ABBREV_TOKENS.get(token, (token,)))
    return out


class SearchIndex:
    """An in-memory index of procedures. Build once, query from any thread (read-only)."""

    def __init__(self, documents: Iterable[SearchDocument]):
        docs = list(documents)
        self._docs: list[_Doc] = []
        self._codes: dict[str, list[int]] = {}
        self._code_numbers: dict[str, list[int]] = {}
        field_tokens: list[list[list[str]]] = []
        max_pop = max((d.popularity for d in docs), default=0) or 1
        for position, doc in enumerate(docs):
            name = _doc_tokens(doc.name)
            # Some national names start with "Thủ tục"; it says nothing and only lengthens them.
            if name[:2] == ["thu", "tuc"] and len(name) > 2:
                name = name[2:]
            fields = [name, _doc_tokens(doc.field), _doc_tokens(doc.agency),
                      _doc_tokens(" ".join(doc.keywords))]
            field_tokens.append(fields)
            self._docs.append(_Doc(
                id=doc.id, name=tuple(name), name_set=frozenset(name),
                name_pairs=frozenset(zip(name, name[1:], strict=False)),
                prior=max(doc.popularity, 0) / max_pop,
            ))
            code = doc.code.strip().lower()
            self._codes.setdefault(code, []).append(position)
            number = code.split(".")[1] if "." in code else ""
            if number:
                self._code_numbers.setdefault(number, []).append(position)

        n = len(docs)
        avg = [max(sum(len(f[i]) for f in field_tokens) / n, 1.0) if n else 1.0
               for i in range(len(_FIELDS))]
        df: Counter[str] = Counter()
        pairs: Counter[tuple[str, str]] = Counter()
        # token → {position: saturated BM25F term frequency}. Dicts of ints and floats are not
        # tracked by the cycle collector, so a big index adds nothing to GC pauses.
        self._postings: dict[str, dict[int, float]] = {}
        for position, fields in enumerate(field_tokens):
            pseudo_tf: dict[str, float] = {}
            for (weight, b), tokens, average in zip(_FIELDS, fields, avg, strict=True):
                if not tokens:
                    continue
                norm = 1 - b + b * len(tokens) / average
                for token, count in Counter(tokens).items():
                    pseudo_tf[token] = pseudo_tf.get(token, 0.0) + weight * count / norm
            for token, tf in pseudo_tf.items():
                self._postings.setdefault(token, {})[position] = tf / (_K1 + tf)
            df.update(pseudo_tf.keys())
            for tokens in fields:
                pairs.update(zip(tokens, tokens[1:], strict=False))
        self._idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        # A word the index has never seen still weighs in a variant, so a reading that keeps
        # an unknown abbreviation cannot score as if the query were only its known words.
        self._unknown_idf = math.log(1 + (n + 0.5) / 0.5)
        self._df = df
        self._pairs = pairs
        for key in _SYNONYM_KEYS:  # "sodo" splits into "so do" even though no name has it
            for pair in zip(key, key[1:], strict=False):
                self._pairs[pair] += 1
        self._vocabulary = sorted(set(df) | _QUERY_WORDS)
        self._known = set(self._vocabulary)

    def __len__(self) -> int:
        return len(self._docs)

    # Query analysis ---------------------------------------------------------------------

    def _correct(self, tokens: list[str]) -> list[str]:
        out: list[str] = []
        for i, token in enumerate(tokens):
            if token in self._known or len(token) < 4 or not token.isalpha():
                out.append(token)
                continue
            split = self._split(token)
            if split:
                out.extend(split)
                continue
            before = out[-1] if out else None
            after = tokens[i + 1] if i + 1 < len(tokens) else None
            best, best_rank = token, None
            for candidate, _, _ in process.extract(token, self._vocabulary, scorer=OSA.distance,
                                                   score_cutoff=1, limit=None):
                # A candidate that forms a known pair with a neighbour fits the context.
                context = (self._pairs.get((before, candidate), 0)
                           + self._pairs.get((candidate, after), 0))
                rank = (context, self._df.get(candidate, 0), candidate)
                if best_rank is None or rank > best_rank:
                    best, best_rank = candidate, rank
            out.append(best)
        return out

    def _split(self, token: str) -> list[str] | None:
        """Two syllables typed together ("khaisinh") → the most frequent known pair."""
        best, best_count = None, 0
        for cut in range(1, len(token)):
            left = _CANONICAL.get(token[:cut], token[:cut])
            right = _CANONICAL.get(token[cut:], token[cut:])
            count = self._pairs.get((left, right), 0)
            if count > best_count:
                best, best_count = [left, right], count
        return best

    # Search -----------------------------------------------------------------------------

    def search(self, query: str, limit: int = 20) -> list[SearchHit]:
        if limit <= 0 or not query or not query.strip():
            return []
        codes, rest = _strip_codes(fold(query))
        pinned: list[int] = []
        for code in codes:
            # The long national form (1.001193.000.00.00.H12) names the same procedure.
            pinned.extend(self._codes.get(code) or self._codes.get(code[:8], ()))
        tokens = _tokens(rest)
        if not pinned and len(tokens) == 1 and _CODE_NUMBER.match(tokens[0]):
            pinned.extend(self._code_numbers.get(tokens[0], ()))  # "001193" without "1."
            tokens = []
        pinned = list(dict.fromkeys(pinned))
        hits = [SearchHit(self._docs[p].id, 1000.0 - rank) for rank, p in enumerate(pinned)]
        if tokens:
            taken = set(pinned)
            for position, score in self._rank(tokens, limit + len(pinned)):
                if position not in taken:
                    hits.append(SearchHit(self._docs[position].id, score))
        return hits[:limit]

    def _rank(self, tokens: list[str], limit: int) -> list[tuple[int, float]]:
        corrected = self._correct(tokens)
        variants = _variants(_segment(corrected))
        if not variants:  # only filler words: search them as typed
            variants = [tuple(corrected)]
        idf, unknown = self._idf, self._unknown_idf
        base: dict[int, float] = {}
        by_variant: list[tuple[tuple[str, ...], dict[int, float]]] = []
        for variant in variants:
            unique = dict.fromkeys(variant)
            weight = sum(idf.get(t, unknown) for t in unique)
            scores: dict[int, float] = {}
            for token in unique:
                token_idf = idf.get(token)
                if token_idf is None:
                    continue
                for position, saturation in self._postings[token].items():
                    scores[position] = scores.get(position, 0.0) + token_idf * saturation
            for position, score in scores.items():
                score /= weight
                scores[position] = score
                if score > base.get(position, 0.0):
                    base[position] = score
            by_variant.append((variant, scores))
        if not base:
            return []
        shortlist = sorted(base, key=base.__getitem__, reverse=True)[:max(_RERANK, limit * 3)]
        ranked: list[tuple[float, int, int]] = []
        for position in shortlist:
            doc = self._docs[position]
            best = max(self._rerank(doc, variant, scores[position])
                       for variant, scores in by_variant if position in scores)
            ranked.append((-best, len(doc.name), position))  # ties: shorter name, then order
        ranked.sort()
        floor = -ranked[0][0] * _MIN_RELATIVE
        return [(position, round(-score, 6)) for score, _, position in ranked[:limit]
                if -score >= floor]

    @staticmethod
    def _rerank(doc: _Doc, variant: tuple[str, ...], text: float) -> float:
        if len(variant) > 1:
            pairs = list(zip(variant, variant[1:], strict=False))
            phrase = sum(pair in doc.name_pairs for pair in pairs) / len(pairs)
        else:
            phrase = 0.0
        coverage = (len(doc.name_set.intersection(variant)) / len(doc.name_set)
                    if doc.name_set else 0.0)
        return (text * (1 + _PHRASE_BONUS * phrase + _COVERAGE_BONUS * coverage)
                * (1 + _POPULARITY_PRIOR * doc.prior))
