"""Filling a procedure's form from the applicant's profile (the citizen's, also when an agent
files for them). A field says what it takes with ``prefill`` in the procedure definition
(``catalog.definition.ProfileKey``); forms designed before that key existed keep the old guess
by key (ho_ten, so_dien_thoai, …) for name, phone and e-mail only.

The values are raw form values, as the form engine reads them back: text, ISO dates, an
option's value, the address as {province, commune, street}. A procedure filed at commune
level starts with the applicant's own ward or commune as the receiving agency
(``home_agency_id``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.utils import translation

from dichvucong.accounts.models import Gender, User
from dichvucong.adminunits.models import AdministrativeUnit
from dichvucong.agencies.models import Agency
from dichvucong.catalog.definition import FieldType, FormField, ProfileKey

# Forms without declared prefill: the keys the first version of the portal recognised.
LEGACY_KEYS = {"full_name": ProfileKey.FULL_NAME, "ho_ten": ProfileKey.FULL_NAME,
               "phone": ProfileKey.PHONE, "so_dien_thoai": ProfileKey.PHONE,
               "email": ProfileKey.EMAIL}

# How a gender option may be written in a designed form.
GENDER_WORDS = {Gender.MALE: {"male", "nam", "m", "1"}, Gender.FEMALE: {"female", "nữ", "nu",
                                                                          "f", "2"}}


def profile_values(fields: list[FormField], user: User,
                   place_name: Callable[[str, str], str] | None = None) -> dict[str, Any]:
    """Raw values for the top-level ``fields`` the profile can fill. ``place_name(province,
    commune)`` names an address for a plain-text address field."""
    declared = any(f.prefill for f in fields)
    values: dict[str, Any] = {}
    for field in fields:
        key = field.prefill or (None if declared else LEGACY_KEYS.get(field.key))
        if key is None:
            continue
        value = _value(field, ProfileKey(key), user, place_name)
        if value not in (None, "", {}):
            values[field.key] = value
    return values


def _value(field: FormField, key: ProfileKey, user: User, place_name) -> Any:
    if key == ProfileKey.FULL_NAME:
        return user.full_name
    if key == ProfileKey.ID_NUMBER:
        return user.id_number
    if key == ProfileKey.PHONE:
        return user.phone
    if key == ProfileKey.EMAIL:
        return user.email
    if key == ProfileKey.DATE_OF_BIRTH:
        return user.date_of_birth.isoformat() if user.date_of_birth else ""
    if key == ProfileKey.GENDER:
        return _gender(field, user.gender)
    if key == ProfileKey.ADDRESS:
        address = user.address or {}
        if not address:
            return ""
        if field.type == FieldType.ADDRESS:
            return {part: str(address.get(part, "") or "")
                    for part in ("province", "commune", "street")}
        return _address_text(address, place_name)
    return ""  # pragma: no cover - every ProfileKey is handled above


def _gender(field: FormField, gender: str) -> str:
    if not gender:
        return ""
    words = GENDER_WORDS.get(gender, set())
    if field.type == FieldType.SELECT:
        return next((o.value for o in field.options
                     if o.value.casefold() in words or o.label.casefold() in words), "")
    with translation.override("vi"):  # the declaration's own language, whatever the page's
        return str(Gender(gender).label)


def _address_text(address: dict, place_name) -> str:
    street = str(address.get("street", "") or "")
    province, commune = str(address.get("province", "")), str(address.get("commune", ""))
    place = place_name(province, commune) if place_name and province else ""
    return ", ".join(part for part in (street, place) if part)


def home_agency_id(agencies: Sequence[Agency], user: User) -> str:
    """The receiving agency preselected for a procedure filed at commune level: of
    ``agencies`` (those the procedure allows, one kind), the one whose area is the ward or
    commune of the applicant's address (2025 two-level units). "" when the procedure has a
    single agency, the address names no commune, or no agency serves it: the applicant
    chooses."""
    commune = str((getattr(user, "address", None) or {}).get("commune", "") or "")
    if len(agencies) < 2 or not commune:
        return ""
    unit = (AdministrativeUnit.objects.filter(level=AdministrativeUnit.Level.COMMUNE,
                                              code=commune)
            .values_list("pk", flat=True).first())
    return next((str(a.pk) for a in agencies
                 if unit is not None and a.administrative_unit_id == unit), "")


def place_name(province: str, commune: str) -> str:
    """"Phường Hải Châu, Thành phố Đà Nẵng" from the administrative units."""
    names = dict(AdministrativeUnit.objects.filter(code__in=[province, commune])
                 .values_list("code", "name"))
    return ", ".join(names[c] for c in (commune, province) if c in names)
