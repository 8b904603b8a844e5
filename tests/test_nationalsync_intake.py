"""Issue #17 item 3: dossiers filed on the National Public Service Portal arrive. The simulator
(its own process) files them; the platform pulls them (``intake.pull``, as the periodic task
does); the reception officer finds them in the agency's queue with their files; the outbound
sync answers the same national dossier."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from dichvucong.agencies.models import Agency
from dichvucong.catalog.definition import ProcedureDefinition
from dichvucong.catalog.services import import_definitions
from dichvucong.dossiers.clock import time_limit
from dichvucong.dossiers.models import Attachment, Dossier, DossierChannel
from dichvucong.nationalsync import intake, shape, tasks, worker
from dichvucong.nationalsync.models import IntakeRecord
from tests import test_nationalsync as outbound
from tests.builders import derive
from tests.test_backoffice import HAI_CHAU, client_for, make_dossier, post_action

pytestmark = pytest.mark.django_db
simulator, portal = outbound.simulator, outbound.portal  # the outbound tests' fixtures

CODE = "1.990172"  # a test procedure in the national form
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def procedure():
    import_definitions([ProcedureDefinition.model_validate({
        "code": CODE, "name": "Thủ tục thử nhận hồ sơ từ Cổng quốc gia", "field": "Thử nghiệm",
        "levels": ["commune"], "online_mode": "full",
        "processing": {"time_limit": {"value": "5", "unit": "working_days"},
                       "online_time_limit": {"value": "3", "unit": "working_days"}},
        "documents": [{"name": "Đơn đề nghị", "mandatory": True}],
        "form": [{"key": "ly_do", "label": "Lý do", "type": "text", "required": True}]})])


def filing(code: str = "G22.99-261207-0001", **changes) -> dict:
    """What a citizen files on the portal for Hải Châu, with one PDF."""
    record = {
        "MaHoSo": code, "MaTTHC": f"{CODE}.H48", "TenTTHC": "Thủ tục thử nhận hồ sơ",
        "KenhThucHien": "2", "ChuHoSo": "Lê Thị Quốc Gia", "LoaiDoiTuong": "1",
        "SoGiayToChuHoSo": "048190009999", "SoDienThoai": "0905123456",
        "TrichYeuHoSo": "Đề nghị thử", "TrangThaiHoSo": "1", "NgayNopHoSo": "20261207090000",
        "TaiKhoanDuocXacThucVoiVNeID": "1"}
    body = {"MaDonViTiepNhan": Agency.objects.get(name=HAI_CHAU).code, "HoSo": record,
            "DuLieuToKhai": {"ly_do": "Cần giấy tờ"},
            "TepDinhKem": [{"MaThanhPhanHoSo": "Đơn đề nghị", "TenTepDinhKem": "don.pdf",
                            "NoiDung": base64.b64encode(PDF).decode()}]}
    for key, value in changes.items():
        target, name = (record, key[5:]) if key.startswith("HoSo_") else (body, key)
        if value is None:
            target.pop(name, None)
        else:
            target[name] = value
    return body


def files_on_disk() -> set[Path]:
    return {p for p in Path(django_settings.MEDIA_ROOT).rglob("*") if p.is_file()}


def test_a_dossier_filed_on_the_portal_lands_in_the_agency_queue_once(portal, procedure):
    code = "G22.99-261207-0001"
    portal.control("file", **filing(code))
    portal.control("file", **filing(code))  # the portal hands the same dossier over twice
    report = intake.pull()
    assert (report.taken, report.duplicates, report.refused) == (1, 1, 0), report.outcomes
    assert intake.pull().taken == 0  # the next pull starts after both
    dossier = Dossier.objects.get(code=code)
    assert dossier.channel == DossierChannel.NATIONAL_PORTAL and dossier.state == "submitted"
    assert dossier.applicant_id_number == "048190009999" and dossier.form_data == {
        "ly_do": "Cần giấy tờ"}
    assert dossier.intake.vneid_verified is True

    reception = client_for("motcua.haichau")
    queue = reception.get("/mot-cua/").content.decode()
    assert f"/mot-cua/ho-so/{code}/" in queue and "Lê Thị Quốc Gia" in queue
    page = reception.get(f"/mot-cua/ho-so/{code}/").content.decode()
    assert "Cổng Dịch vụ công quốc gia" in page and "don.pdf" in page
    attachment = Attachment.objects.get(dossier=dossier)
    assert attachment.requirement == "Đơn đề nghị" and attachment.file.read() == PDF
    assert client_for("motcua.sotuphap").get(f"/mot-cua/ho-so/{code}/").status_code in (403, 404)

    response = post_action(reception, dossier, "receive")
    assert response.status_code == 302, response.content.decode()[:500]
    dossier.refresh_from_db()
    spec = time_limit(dossier.procedure_version.parsed(), dossier.channel)
    assert spec is not None and spec.value == 3  # the online limit, not the 5 at the counter
    assert dossier.due_at is not None

    # The same outbound sync answers the portal's dossier: updates and steps under its code.
    derive()  # the pipeline's sync step writes the records
    report = worker.deliver_due()
    assert report.failed == report.retried == 0 and report.synced == 4
    received = portal.received()
    assert received["refused"] == []
    sent = [r for r in received["accepted"] if r["record"]["MaHoSo"] == code]
    assert [(r["service"], r["isUpdating"]) for r in sent] == [
        (shape.DOSSIER_SERVICE, True), (shape.STEP_SERVICE, False)] * 2
    assert sent[-2]["record"]["TrangThaiHoSo"] == "2"
    assert sent[-2]["record"]["KenhThucHien"] == "2"
    assert sent[-2]["record"]["TaiKhoanDuocXacThucVoiVNeID"] == "1"


@pytest.mark.parametrize(("changes", "field"), [
    ({"HoSo_ChuHoSo": None}, "HoSo.ChuHoSo"),
    ({"HoSo_KenhThucHien": "1"}, "HoSo.KenhThucHien"),
    ({"MaDonViTiepNhan": "000.99.99.H99"}, "MaDonViTiepNhan"),
    ({"HoSo_MaTTHC": "1.999999"}, "HoSo.MaTTHC"),
    ({"DuLieuToKhai": {}}, "DuLieuToKhai.ly_do"),
    ({"TepDinhKem": [{"MaThanhPhanHoSo": "Đơn đề nghị", "TenTepDinhKem": "don.pdf",
                      "NoiDung": base64.b64encode(b"not a pdf at all").decode()}]},
     "HoSo.TaiLieuNop[0].DuongDanTaiTepTin"),
    ({"TepDinhKem": None}, "HoSo.TaiLieuNop"),
])
def test_a_malformed_dossier_is_refused_with_the_field_named_and_nothing_kept(
        portal, procedure, admin_client, changes, field):
    code = "G22.99-261207-0002"
    dossiers, attachments, files = (Dossier.objects.count(), Attachment.objects.count(),
                                    files_on_disk())
    portal.control("file", **filing(code, **changes))
    report = intake.pull()
    assert (report.taken, report.refused) == (0, 1)
    assert field in [e["field"] for e in report.outcomes[0].errors], report.outcomes[0].errors
    assert (Dossier.objects.count(), Attachment.objects.count()) == (dossiers, attachments)
    assert files_on_disk() == files
    assert IntakeRecord.objects.get(national_code=code).dossier is None
    if field == "HoSo.ChuHoSo":  # the operator sees the refusal and the field it names
        page = admin_client.get("/quan-tri/nationalsync/intakerecord/").content.decode()
        assert code in page and "HoSo.ChuHoSo" in page

    portal.control("file", **filing(code))  # filed again, correctly: taken in
    assert tasks.pull_national_dossiers.call_local() == 1  # as huey runs it every minute
    assert Dossier.objects.filter(code=code).exists()


def test_files_come_from_the_portal_only_and_our_codes_are_not_taken_over(portal, procedure):
    body = filing("G22.99-261207-0003", TepDinhKem=None)
    body["HoSo"]["TaiLieuNop"] = [{"TepDinhKemId": "x", "TenTepDinhKem": "don.pdf",
                                   "MaThanhPhanHoSo": "Đơn đề nghị",
                                   "DuongDanTaiTepTin": "http://169.254.169.254/latest/"}]
    portal.control("file", **body)
    report = intake.pull()
    assert report.outcomes[0].errors == [{
        "field": "HoSo.TaiLieuNop[0].DuongDanTaiTepTin",
        "message": "Đường dẫn tệp không thuộc Cổng Dịch vụ công quốc gia."}]
    assert not Dossier.objects.filter(code="G22.99-261207-0003").exists()

    ours = make_dossier("submitted")
    portal.control("file", **filing(ours.code))
    report = intake.pull()
    assert report.outcomes[0].errors == [{"field": "HoSo.MaHoSo", "message": intake.CODE_TAKEN}]
    assert Dossier.objects.get(code=ours.code).channel == DossierChannel.ONLINE


def test_an_intake_that_keeps_failing_is_shown_on_the_monitoring_centre(portal, settings):
    """The portal unreachable: the pulls fail, the IOC's sync panel says since when once it has
    lasted NATIONAL_INTAKE_ALERT_MINUTES, and a pull that works again clears it."""
    ioc = client_for("ioc")
    assert intake.health() is None  # never pulled: nothing to say
    portal.control("faults", mode="http500", count=2)
    for _ in range(2):
        with pytest.raises(Exception):  # noqa: B017 - requests' HTTPError, whatever its class
            intake.pull()
    health = intake.health()
    assert health.failures == 2 and health.last_error == "HTTP 500" and not health.alert
    assert 'id="intake-alert"' not in ioc.get("/giam-sat/").content.decode()

    settings.NATIONAL_INTAKE_ALERT_MINUTES = 0
    page = ioc.get("/giam-sat/").content.decode()
    assert 'id="intake-alert"' in page and "Không nhận được hồ sơ từ Cổng Dịch vụ công" in page
    assert "2 lần hỏi lỗi" in page and "HTTP 500" in page

    intake.pull()  # the portal answers again
    health = intake.health()
    assert health.failures == 0 and health.failing_since is None and not health.alert
    page = ioc.get("/giam-sat/").content.decode()
    assert 'id="intake-alert"' not in page and "Lần nhận hồ sơ từ Cổng quốc gia gần nhất" in page
