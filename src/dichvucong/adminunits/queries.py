"""Administrative units for address pickers."""

from __future__ import annotations

from operator import itemgetter

from dichvucong.adminunits.models import AdministrativeUnit
from dichvucong.core.text import sorted_vietnamese


def provinces() -> list[tuple[str, str]]:
    """``(code, name)`` of every province, in Vietnamese alphabetical order."""
    return sorted_vietnamese(AdministrativeUnit.objects.filter(level="province")
                             .values_list("code", "name"), itemgetter(1))


def communes_of(province_code: str) -> list[tuple[str, str]]:
    """``(code, name)`` of the province's communes, in Vietnamese alphabetical order."""
    return sorted_vietnamese(
        AdministrativeUnit.objects.filter(level="commune", parent__level="province",
                                          parent__code=province_code)
        .values_list("code", "name"), itemgetter(1))


def known_communes(province_code: str) -> dict[str, set[str]]:
    return {province_code: {code for code, _ in communes_of(province_code)}}
