from ninja import Router, Schema

from dichvucong.adminunits.queries import communes_of, provinces

router = Router(tags=["administrative units"])


class UnitOut(Schema):
    code: str
    name: str


@router.get("/provinces", response=list[UnitOut], summary="Provinces (2025 structure)")
def list_provinces(request):
    return [UnitOut(code=code, name=name) for code, name in provinces()]


@router.get("/{province_code}/communes", response=list[UnitOut],
            summary="Communes, wards and special zones of a province")
def list_communes(request, province_code: str):
    return [UnitOut(code=code, name=name) for code, name in communes_of(province_code)]
