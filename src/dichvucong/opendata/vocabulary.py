"""The fixed vocabulary of the open data portal: licence, update frequencies, groups and tags.

Licence: every dataset is published under Creative Commons Attribution 4.0 (CC BY 4.0). The
catalogue's source, the National Database on Administrative Procedures, is public government
information that asks to cite dichvucong.gov.vn (``catalog/data/SOURCES.md``); CC BY keeps that
attribution duty for re-users. Administrative unit codes are the statistics office's official
codes. Statistics are the platform's own.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

LICENSE = {
    "id": "CC-BY-4.0",
    "title": "Creative Commons Attribution 4.0 (CC BY 4.0)",
    "url": "https://creativecommons.org/licenses/by/4.0/",
    "od_conformance": "approved",
    "osd_conformance": "not reviewed",
    "is_okd_compliant": True,
    "status": "active",
}

# Update frequencies, with their EU Publications Office authority URIs (what DCAT-AP and
# ckanext-dcat put in dct:accrualPeriodicity).
FREQUENCIES = {
    "daily": ("Hằng ngày", "http://publications.europa.eu/resource/authority/frequency/DAILY"),
    "monthly": ("Hằng tháng",
                "http://publications.europa.eu/resource/authority/frequency/MONTHLY"),
    "irregular": ("Khi có thay đổi",
                  "http://publications.europa.eu/resource/authority/frequency/IRREG"),
}

# Namespace of the ids derived from names: the same name always gives the same id.
ID_NAMESPACE = uuid.UUID("6f0f5a3e-3c55-5d0e-9c8b-0d1c4b9a2e71")


def stable_id(*parts: str) -> uuid.UUID:
    return uuid.uuid5(ID_NAMESPACE, "/".join(parts))


@dataclass(frozen=True)
class Group:
    name: str
    title: str
    description: str

    @property
    def id(self) -> str:
        return str(stable_id("group", self.name))


GROUP_CATALOGUE = "thu-tuc-hanh-chinh"
GROUP_STATISTICS = "thong-ke-dich-vu-cong"
GROUP_UNITS = "don-vi-hanh-chinh"
GROUPS = {
    group.name: group
    for group in (
        Group(GROUP_CATALOGUE, "Thủ tục hành chính",
              "Danh mục và nội dung các thủ tục hành chính."),
        Group(GROUP_STATISTICS, "Thống kê dịch vụ công",
              "Số liệu tổng hợp về hồ sơ, tình hình giải quyết và dịch vụ công trực tuyến."),
        Group(GROUP_UNITS, "Đơn vị hành chính",
              "Danh mục tỉnh, thành phố và đơn vị hành chính cấp xã."),
    )
}

TAG_CATALOGUE = "thủ tục hành chính"
TAG_PUBLIC_SERVICE = "dịch vụ công"
TAG_DANANG = "Đà Nẵng"
TAG_UNITS = "đơn vị hành chính"
TAG_STATISTICS = "thống kê"
TAG_DOSSIERS = "hồ sơ"
TAG_ONLINE = "trực tuyến"
TAG_ON_TIME = "đúng hạn"
TAG_FEEDBACK = "phản ánh, kiến nghị"

MIMETYPES = {"CSV": "text/csv", "JSON": "application/json"}
FORMAT_URIS = {
    "CSV": "http://publications.europa.eu/resource/authority/file-type/CSV",
    "JSON": "http://publications.europa.eu/resource/authority/file-type/JSON",
}
