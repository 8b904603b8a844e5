"""Loading the administrative units from the ``vietnam-provinces`` package."""

from __future__ import annotations

from django.db import transaction
from vietnam_provinces import Province, Ward

from dichvucong.adminunits.models import AdministrativeUnit


@transaction.atomic
def load_administrative_units() -> tuple[int, int]:
    """Create or update every province and commune-level unit. Returns (provinces, communes)."""
    provinces: dict[int, AdministrativeUnit] = {}
    for province in Province.iter_all():
        unit, _ = AdministrativeUnit.objects.update_or_create(
            code=str(int(province.code)),
            level=AdministrativeUnit.Level.PROVINCE,
            defaults={
                "name": province.name,
                "division_type": province.division_type.value,
                "parent": None,
                "codename": province.codename,
            },
        )
        provinces[int(province.code)] = unit
    existing = {u.code: u for u in AdministrativeUnit.objects.filter(level="commune")}
    new, changed = [], []
    for ward in Ward.iter_all():
        code = str(int(ward.code))
        values = {
            "name": ward.name,
            "division_type": ward.division_type.value,
            "level": AdministrativeUnit.Level.COMMUNE,
            "parent": provinces[int(ward.province_code)],
            "codename": ward.codename,
        }
        unit = existing.get(code)
        if unit is None:
            new.append(AdministrativeUnit(code=code, **values))
        else:
            for key, value in values.items():
                setattr(unit, key, value)
            changed.append(unit)
    AdministrativeUnit.objects.bulk_create(new, batch_size=500)
    AdministrativeUnit.objects.bulk_update(
        changed, ["name", "division_type", "level", "parent", "codename"], batch_size=500
    )
    return len(provinces), len(new) + len(changed)
