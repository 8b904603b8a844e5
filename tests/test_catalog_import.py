"""Importing definitions into the database: versions, agencies, all or nothing."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from dichvucong.agencies.models import Agency
from dichvucong.catalog.definition import ProcedureDefinition
from dichvucong.catalog.models import Procedure, ProcedureVersion
from dichvucong.catalog.services import import_definitions

pytestmark = pytest.mark.django_db


def _definition(code="DNG.900001", name="Thủ tục thử nghiệm", **extra) -> ProcedureDefinition:
    return ProcedureDefinition.model_validate(
        {"code": code, "name": name, "field": "Hộ tịch", "levels": ["commune"], **extra}
    )


def test_demo_catalogue_is_loaded_with_agencies():
    assert Procedure.objects.count() >= 1600
    licence = Procedure.objects.get(code="3.000347")
    assert licence.agency.name == "Công an thành phố Đà Nẵng"
    assert licence.current_version.status == ProcedureVersion.Status.PUBLISHED
    residence = Procedure.objects.get(code="1.004222")
    assert residence.at_commune and residence.commune_agency_kind == Agency.Kind.COMMUNE_POLICE
    birth = Procedure.objects.get(code="1.001193")
    assert birth.commune_agency_kind == Agency.Kind.COMMUNE_COMMITTEE
    assert birth.popularity == 200  # first in the curated list
    justice = Procedure.objects.filter(agency__name="Sở Tư pháp").count()
    assert justice > 20


def test_reimport_unchanged_makes_no_new_version():
    before = ProcedureVersion.objects.count()
    call_command("load_catalog", verbosity=0)
    assert ProcedureVersion.objects.count() == before


def test_changed_content_makes_a_new_published_version():
    import_definitions([_definition(conditions="Điều kiện A")])
    import_definitions([_definition(conditions="Điều kiện B")])
    procedure = Procedure.objects.get(code="DNG.900001")
    versions = list(procedure.versions.order_by("number").values_list("number", "status"))
    assert versions == [(1, "superseded"), (2, "published")]
    assert procedure.current_version.parsed().conditions == "Điều kiện B"


def test_import_is_all_or_nothing(monkeypatch):
    """A crash part-way through leaves the catalog as it was."""
    calls = {"n": 0}
    original = ProcedureVersion.objects.create

    def failing_create(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return original(**kwargs)

    monkeypatch.setattr(ProcedureVersion.objects, "create", failing_create)
    with pytest.raises(RuntimeError, match="disk full"):
        import_definitions([_definition(code="DNG.900002"), _definition(code="DNG.900003")])
    assert not Procedure.objects.filter(code__in=["DNG.900002", "DNG.900003"]).exists()


def test_load_catalog_command_reports_a_bad_file_and_loads_nothing(tmp_path):
    import shutil

    from dichvucong.catalog import loaders

    data = tmp_path / "data"
    shutil.copytree(loaders.DATA_DIR, data)
    path = data / "tthc_index.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[-1] = lines[-1].replace(",", ",,", 1).replace("Cấp", "Cấp lạ", 1)
    path.write_text("".join(lines), encoding="utf-8")
    before = ProcedureVersion.objects.count()
    with pytest.raises(CommandError, match="tthc_index.csv, bản ghi dòng"):
        call_command("load_catalog", data_dir=data, verbosity=0)
    assert ProcedureVersion.objects.count() == before
