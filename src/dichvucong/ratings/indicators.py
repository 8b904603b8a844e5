"""What the citizen is asked: the nine indicators of Circular 01/2018/TT-VPCP (Annex, "Bộ chỉ số
đánh giá việc giải quyết thủ tục hành chính"), each scored 2 / 1 / 0, and the overall evaluation
of Circular 32/2017/TT-BTTTT (Art. 12) on three levels.

The titles and levels keep the circular's wording as provincial portals show it (the one-stop
software's "trả kết quả và đánh giá hài lòng" form lists the same nine items, then the overall
rating). It is legal text, so it stays Vietnamese in every interface language, like procedure
names. Plain Python: the form, the API and the scoring read the same table.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "INDICATORS",
    "MAX_POINTS",
    "NOT_SATISFIED",
    "OVERALL_CHOICES",
    "OVERALL_LABELS",
    "POINTS",
    "SATISFIED",
    "VERY_SATISFIED",
    "Indicator",
]

POINTS = (2, 1, 0)  # the levels of every indicator, best first
MAX_POINTS = 2 * 9  # nine indicators at 2 points

VERY_SATISFIED = "very_satisfied"
SATISFIED = "satisfied"
NOT_SATISFIED = "not_satisfied"
OVERALL_CHOICES: tuple[tuple[str, str], ...] = (
    (VERY_SATISFIED, "Rất hài lòng"),
    (SATISFIED, "Hài lòng"),
    (NOT_SATISFIED, "Không hài lòng"),
)
OVERALL_LABELS = dict(OVERALL_CHOICES)


@dataclass(frozen=True)
class Indicator:
    number: int
    title: str
    levels: tuple[str, str, str]  # the wording for 2, 1 and 0 points, in that order

    @property
    def name(self) -> str:
        """The form field and the model column."""
        return f"indicator_{self.number}"

    @property
    def options(self) -> tuple[tuple[int, str], ...]:
        return tuple(zip(POINTS, self.levels, strict=True))

    def label_for(self, points: int) -> str:
        return dict(self.options)[points]


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        1,
        "Tổng thời gian giải quyết thủ tục hành chính so với thời gian cho phép theo quy định "
        "của pháp luật",
        (
            "Tổng thời gian ngắn hơn so với quy định",
            "Tổng thời gian bằng thời gian quy định",
            "Tổng thời gian dài hơn so với quy định",
        ),
    ),
    Indicator(
        2,
        "Thời gian thực hiện của từng cơ quan, đơn vị tham gia giải quyết (kể cả đơn vị phối "
        "hợp) so với quy định",
        (
            "Cơ quan, đơn vị xử lý ngắn hơn so với thời hạn quy định",
            "Cơ quan, đơn vị xử lý bằng thời hạn quy định",
            "Cơ quan, đơn vị xử lý dài hơn so với thời hạn quy định",
        ),
    ),
    Indicator(
        3,
        "Số lần phải liên hệ với nơi tiếp nhận hồ sơ để hoàn thiện hồ sơ thủ tục hành chính "
        "(kể cả liên hệ theo hình thức trực tuyến)",
        (
            "Không phải liên hệ lần nào để hoàn thiện hồ sơ",
            "Chỉ phải liên hệ một lần để hoàn thiện hồ sơ",
            "Phải liên hệ hơn một lần để hoàn thiện hồ sơ, trừ trường hợp nguyên nhân do lỗi "
            "của người nộp hồ sơ",
        ),
    ),
    Indicator(
        4,
        "Số lượng cơ quan, đơn vị, tổ chức phải liên hệ để hoàn thiện hồ sơ thủ tục hành chính "
        "(kể cả liên hệ theo hình thức trực tuyến)",
        (
            "Không phải liên hệ với cơ quan, đơn vị, tổ chức nào",
            "Chỉ liên hệ với Bộ phận Một cửa (cộng thêm cơ quan được pháp luật giao kiểm tra, "
            "xác minh thực địa hoặc tổ chức Hội đồng thẩm định, thẩm tra, nếu có)",
            "Phải liên hệ với hơn một cơ quan, đơn vị, tổ chức",
        ),
    ),
    Indicator(
        5,
        "Thực hiện tổ chức tiếp nhận hồ sơ, giải quyết, trả kết quả tại Bộ phận Một cửa",
        (
            "Bộ phận Một cửa tiếp nhận, thẩm định, phê duyệt và trả kết quả đạt tỷ lệ thủ tục "
            "quy định (cấp tỉnh tối thiểu 20%, cấp huyện tối thiểu 50%, cấp xã 100%)",
            "100% thủ tục hành chính thuộc diện được tiếp nhận hồ sơ và trả kết quả tại Bộ phận "
            "Một cửa",
            "Dưới 100% thủ tục hành chính thuộc diện được tiếp nhận hồ sơ và trả kết quả tại Bộ "
            "phận Một cửa",
        ),
    ),
    Indicator(
        6,
        "Công khai các thủ tục hành chính",
        (
            "Được công khai chính xác, đầy đủ, kịp thời bằng cả hình thức niêm yết và điện tử",
            "Được công khai chính xác, đầy đủ, kịp thời bằng hình thức niêm yết hoặc điện tử",
            "Không được công khai chính xác, đầy đủ, kịp thời",
        ),
    ),
    Indicator(
        7,
        "Thái độ của cán bộ, công chức, viên chức khi hướng dẫn lập hồ sơ, tiếp nhận hồ sơ và "
        "giải quyết thủ tục hành chính",
        (
            "Tiếp nhận, xử lý, trả kết quả sớm hơn thời hạn và không có phản ánh, kiến nghị về "
            "thái độ nhũng nhiễu, gây phiền hà",
            "Tiếp nhận, xử lý, trả kết quả đúng thời hạn và không có phản ánh, kiến nghị về "
            "thái độ nhũng nhiễu, gây phiền hà",
            "Có phản ánh, kiến nghị về hành vi, thái độ nhũng nhiễu, gây phiền hà, không thực "
            "hiện hoặc thực hiện không đúng quy định pháp luật",
        ),
    ),
    Indicator(
        8,
        "Tiếp thu, giải trình đối với các ý kiến phản ánh, kiến nghị của tổ chức, cá nhân",
        (
            "Không có phản ánh, kiến nghị hoặc 100% được xử lý đúng thời hạn và không có phản "
            "ánh, kiến nghị kéo dài",
            "Từ 90% phản ánh, kiến nghị trở lên được xử lý đúng thời hạn và không có phản ánh, "
            "kiến nghị kéo dài",
            "Dưới 90% phản ánh, kiến nghị được xử lý đúng thời hạn hoặc có phản ánh, kiến nghị "
            "kéo dài",
        ),
    ),
    Indicator(
        9,
        "Tiến độ và chất lượng cung cấp dịch vụ công trực tuyến của cơ quan có thẩm quyền",
        (
            "Tối thiểu 20% thủ tục đủ điều kiện có dịch vụ công trực tuyến mức độ 3, 4; hồ sơ "
            "trực tuyến đạt tối thiểu 30%; không có hồ sơ trực tuyến giải quyết quá hạn",
            "Có dịch vụ công trực tuyến mức độ 3, 4; hồ sơ trực tuyến đạt từ 15% đến dưới 30%; "
            "không có hồ sơ trực tuyến giải quyết quá hạn",
            "Không có dịch vụ công trực tuyến mức độ 3, 4, hồ sơ trực tuyến dưới 15% hoặc có hồ "
            "sơ trực tuyến không được giải quyết, giải quyết quá hạn",
        ),
    ),
)
