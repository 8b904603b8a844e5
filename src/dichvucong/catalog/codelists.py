"""Shared code lists (danh mục dùng chung) that a form field takes its choices from, so a
list such as the 54 ethnic groups is written once and every form (and the designer) refers to it
by name. Plain data, no Django."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CodeList(StrEnum):
    ETHNIC_GROUPS = "dan_toc"
    SEX = "gioi_tinh"
    # --- residence group (cư trú, giấy phép lái xe) ---
    DRIVING_LICENCE_CLASSES = "hang_gplx"
    RELATION_TO_HOUSEHOLD_HEAD = "quan_he_chu_ho"


@dataclass(frozen=True)
class CodeListData:
    label: str  # what the designer shows
    source: str  # where the values come from
    values: tuple[str, ...]  # value and label are the same words


# The names as QĐ 121-TCTK/PPCĐ (02/3/1979) lists them, as published by the General Statistics
# Office (gso.gov.vn) and cucthongke.danang.gov.vn; the two copies number the groups
# differently, so only the names are kept.
ETHNIC_GROUPS = (
    "Kinh", "Tày", "Thái", "Mường", "Khơ-me", "Hoa", "Nùng", "HMông",
    "Dao",
    "Gia-rai",
    "Ê-đê",
    "Ba-na",
    "Sán Chay",
    "Chăm",
    "Cơ-ho",
    "Xơ-đăng",
    "Sán Dìu",
    "Hrê",
    "Ra-glai",
    "Mnông",
    "Thổ",
    "Xtiêng",
    "Khơ-mú",
    "Bru-Vân Kiều",
    "Cơ-tu",
    "Giáy",
    "Tà-ôi",
    "Mạ",
    "Giẻ-Triêng",
    "Co",
    "Chơ-ro",
    "Xinh-mun",
    "Hà Nhì",
    "Chu-ru",
    "Lào",
    "La Chí",
    "Kháng",
    "Phù Lá",
    "La Hủ",
    "La Ha",
    "Pà Thẻn",
    "Lự",
    "Ngái",
    "Chứt",
    "Lô Lô",
    "Mảng",
    "Cơ Lao",
    "Bố Y",
    "Cống",
    "Si La",
    "Pu Péo",
    "Rơ-măm",
    "Brâu",
    "Ơ-đu",
)

CODE_LISTS: dict[CodeList, CodeListData] = {
    CodeList.ETHNIC_GROUPS: CodeListData(
        "Dân tộc (54 dân tộc)",
        "Danh mục các thành phần dân tộc Việt Nam, Quyết định 121-TCTK/PPCĐ ngày 02/3/1979 "
        "của Tổng cục Thống kê",
        ETHNIC_GROUPS),
    CodeList.SEX: CodeListData(
        "Giới tính", "Bộ luật Dân sự 2015; mẫu giấy tờ hộ tịch (Thông tư 04/2020/TT-BTP)",
        ("Nam", "Nữ")),
    # --- residence group (cư trú, giấy phép lái xe) ---
    CodeList.DRIVING_LICENCE_CLASSES: CodeListData(
        "Hạng giấy phép lái xe (từ 01/01/2025)",
        "Luật Trật tự, an toàn giao thông đường bộ 2024, Điều 57 khoản 1",
        ("A1", "A", "B1", "B", "C1", "C", "D1", "D2", "D", "BE", "C1E", "CE", "D1E", "D2E",
         "DE")),
    CodeList.RELATION_TO_HOUSEHOLD_HEAD: CodeListData(
        "Quan hệ với chủ hộ",
        "Quan hệ thường ghi trong Cơ sở dữ liệu về cư trú (Luật Cư trú 2020, Điều 10, 20); "
        "chưa đối chiếu với danh mục chính thức của Bộ Công an",
        ("Chủ hộ", "Vợ", "Chồng", "Con đẻ", "Con nuôi", "Con riêng", "Cha đẻ", "Mẹ đẻ",
         "Cha nuôi", "Mẹ nuôi", "Ông nội", "Bà nội", "Ông ngoại", "Bà ngoại", "Anh ruột",
         "Chị ruột", "Em ruột", "Cháu ruột", "Con dâu", "Con rể", "Người giám hộ",
         "Người được giám hộ", "Người ở nhờ", "Người ở thuê", "Người ở mượn", "Quan hệ khác")),
}


def options(code_list: CodeList) -> list[dict[str, str]]:
    """The list's choices in the form definition's option shape."""
    return [{"value": v, "label": v} for v in CODE_LISTS[code_list].values]
