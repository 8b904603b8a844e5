"""Administrative units for address pickers."""

from __future__ import annotations

from dichvucong.adminunits.models import AdministrativeUnit


def provinces() -> list[tuple[str, str]]:
    return list(AdministrativeUnit.objects.filter(level="province").order_by("name")
                .values_list("code", "name"))


def communes_of(province_code: str) -> list[tuple[str, str]]:
    return list(AdministrativeUnit.objects.filter(level="commune", parent__level="province",
                                                  parent__code=province_code)
                .order_by("name").values_list("code", "name"))


def known_communes(province_code: str) -> dict[str, set[str]]:
    return {province_code: {code for code, _ in communes_of(province_code)}}
