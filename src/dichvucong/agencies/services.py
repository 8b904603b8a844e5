"""The city's agencies: the demo set for Đà Nẵng, and matching a procedure to its agency."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from dichvucong.adminunits.models import AdministrativeUnit
from dichvucong.agencies.models import Agency
from dichvucong.core.text import fold, slugify_vi

Kind = Agency.Kind


@dataclass(frozen=True)
class CityAgency:
    number: int  # the middle part of the QCVN 102 identifier
    name: str
    kind: str
    keywords: tuple[str, ...]  # folded words of published agency names that mean this agency
    ministries: tuple[str, ...] = ()  # catalogue ministry folders that default to it


# City-level agencies. Their identifiers are demo values in the QCVN 102 form.
CITY_AGENCIES = [
    CityAgency(0, "Ủy ban nhân dân thành phố Đà Nẵng", Kind.PEOPLES_COMMITTEE,
               ("uy ban nhan dan cap tinh", "ubnd cap tinh", "chu tich uy ban nhan dan cap tinh")),
    CityAgency(1, "Sở Tư pháp", Kind.DEPARTMENT, ("so tu phap",), ("bo-tu-phap",)),
    CityAgency(2, "Sở Xây dựng", Kind.DEPARTMENT, ("so xay dung",), ("bo-xay-dung",)),
    CityAgency(3, "Sở Tài chính", Kind.DEPARTMENT, ("so tai chinh",), ("bo-tai-chinh",)),
    CityAgency(4, "Sở Nông nghiệp và Môi trường", Kind.DEPARTMENT,
               ("so nong nghiep", "thuy san cap tinh", "van phong dang ky dat dai"),
               ("bo-nong-nghiep-mt",)),
    CityAgency(5, "Sở Công Thương", Kind.DEPARTMENT, ("so cong thuong",)),
    CityAgency(6, "Sở Giáo dục và Đào tạo", Kind.DEPARTMENT, ("so giao duc",)),
    CityAgency(7, "Sở Khoa học và Công nghệ", Kind.DEPARTMENT, ("so khoa hoc",)),
    CityAgency(8, "Sở Nội vụ", Kind.DEPARTMENT, ("so noi vu", "dich vu viec lam")),
    CityAgency(9, "Sở Văn hóa, Thể thao và Du lịch", Kind.DEPARTMENT, ("so van hoa", "so du lich")),
    CityAgency(10, "Sở Y tế", Kind.DEPARTMENT, ("so y te",)),
    CityAgency(11, "Công an thành phố Đà Nẵng", Kind.SECTOR,
               ("cong an cap tinh", "cong an tinh", "canh sat", "xuat nhap canh"),
               ("bo-cong-an",)),
    CityAgency(12, "Thuế thành phố Đà Nẵng", Kind.SECTOR, ("thue",)),
    CityAgency(13, "Chi cục Hải quan khu vực XII", Kind.SECTOR, ("hai quan",)),
    CityAgency(14, "Ngân hàng Nhà nước Khu vực 10", Kind.SECTOR, ("ngan hang nha nuoc",),
               ("ngan-hang-nha-nuoc",)),
    CityAgency(15, "Bảo hiểm xã hội thành phố Đà Nẵng", Kind.SECTOR, ("bao hiem xa hoi",)),
    CityAgency(16, "Ban Quản lý các Khu công nghệ cao và các Khu công nghiệp Đà Nẵng",
               Kind.SECTOR, ("ban quan ly khu",)),
]


def agency_code(middle: int, last: int = 0) -> str:
    return f"000.{middle:02d}.{last:02d}.{settings.PROVINCE_AGENCY_SUFFIX}"


@transaction.atomic
def load_city_agencies() -> int:
    """Create the city's agencies and one People's Committee and one police station for each
    commune-level unit of the province. Idempotent."""
    committee = None
    for agency in CITY_AGENCIES:
        obj, _ = Agency.objects.update_or_create(
            code=agency_code(0, agency.number),
            defaults={"name": agency.name, "slug": slugify_vi(agency.name), "kind": agency.kind,
                      "level": Agency.Level.PROVINCE,
                      "parent": committee if agency.number else None},
        )
        if agency.number == 0:
            committee = obj
    communes = AdministrativeUnit.objects.filter(
        level="commune", parent__level="province", parent__code=str(settings.PROVINCE_CODE)
    ).order_by("code")
    for index, unit in enumerate(communes, start=1):
        for kind, prefix, middle in (
            (Kind.COMMUNE_COMMITTEE, "Ủy ban nhân dân", 20),
            (Kind.COMMUNE_POLICE, "Công an", 21),
        ):
            name = f"{prefix} {unit.name[0].lower()}{unit.name[1:]}"
            Agency.objects.update_or_create(
                code=agency_code(middle, index) if index < 100 else agency_code(middle + 2,
                                                                               index - 99),
                defaults={"name": name, "slug": slugify_vi(name), "kind": kind,
                          "level": Agency.Level.COMMUNE, "parent": committee,
                          "administrative_unit": unit},
            )
    return Agency.objects.count()


class AgencyMatcher:
    """Finds the city agency that carries out a province-level procedure, from the agency name
    the catalogue publishes, falling back to the ministry's department."""

    def __init__(self) -> None:
        by_number = {
            int(a.code.split(".")[2]): a
            for a in Agency.objects.filter(level=Agency.Level.PROVINCE)
        }
        self._keywords = [(kw, by_number[a.number]) for a in CITY_AGENCIES
                          for kw in a.keywords if a.number in by_number]
        self._ministries = {m: by_number[a.number] for a in CITY_AGENCIES
                            for m in a.ministries if a.number in by_number}
        self._default = by_number.get(0)

    def match(self, agency_name: str, ministry: str = "") -> Agency | None:
        folded = fold(agency_name)
        for keyword, agency in self._keywords:
            if keyword in folded:
                return agency
        return self._ministries.get(ministry, self._default)


def commune_agency_kind(agency_name: str) -> str:
    """Which commune agency does a commune-level procedure: the police or the committee."""
    return Kind.COMMUNE_POLICE if "cong an" in fold(agency_name) else Kind.COMMUNE_COMMITTEE
