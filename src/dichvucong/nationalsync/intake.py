"""Intake: dossiers filed on the National Public Service Portal for this province's agencies.

Pull, not push. Every documented service of the portal (research notes §3.3: ``DongBoHoSoMC``,
``CapNhatTienDoHoSoMC``, ``LayThuTuc``, ``TraCuuHoSo``, …) is one a provincial system calls on the
portal, in the same JSON POST ``{"service", "data"}``; nothing documents the portal calling into
a province. So the platform asks, every minute (``tasks.py``), for the dossiers handed over after
the last one it has: ``{"service": "LayDanhSachHoSoMoi", "data": [{"SauSoThuTu": n}]}``, answered
``{"error_code": "0", "data": [item, …]}``. The service's name and the item's wrapper
(``SoThuTu``, ``MaDonViTiepNhan``, ``HoSo``, ``DuLieuToKhai``) are not documented [I]; ``HoSo``
is the documented ``DongBoHoSoMC`` record, its files ``TaiLieuNop[]`` with public download links
(``DuongDanTaiTepTin``), fetched here from the portal's own host only.

Each item is taken in or refused on its own, all or nothing (``take``): the schema, then the
agency (``MaDonViTiepNhan``, the QCVN 102 identifier, is ``Agency.code``), the procedure
(``MaTTHC``, national or province-published form, ``1.001776.000.00.00.H56`` → ``1.001776``), the
filing rules of ``dossiers.submission`` (the agency receives the procedure, the form, the
mandatory documents; a file's ``MaThanhPhanHoSo`` names the component [I]), then every file
fetched and checked by its content. A refusal names the field (``HoSo.TaiLieuNop[0].…``) and
keeps nothing of the dossier. The dossier keeps the portal's code (``MaHoSo``) as its own, so
the outbound sync answers the same dossier (as an update: the portal has it already); the same
national dossier twice is one dossier (``IntakeRecord`` and ``Dossier.code`` are unique), and a
code that is already one of our own dossiers' is refused. Applicants are citizens or businesses
(``LoaiDoiTuong`` 1, 2): the platform has no dossier type for the portal's 3 and 4 [I].
It arrives submitted, channel «Cổng Dịch vụ công quốc gia», in its agency's reception queue,
with the procedure's online time limit.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import jsonschema_rs
import requests
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from dichvucong.agencies.models import Agency
from dichvucong.catalog.formengine import validate
from dichvucong.catalog.models import Procedure
from dichvucong.core.text import NAME_MAX
from dichvucong.dossiers import actions, submission
from dichvucong.dossiers.lifecycle import LifecycleRole
from dichvucong.dossiers.models import ApplicantType, Delivery, Dossier, DossierChannel
from dichvucong.dossiers.uploads import MAX_BYTES, UploadError
from dichvucong.nationalsync import shape
from dichvucong.nationalsync.models import IntakeRecord, IntakeStatus

CODE_MAX = 40  # Dossier.code
AGENCY_CODE = r"^\d{3}\.\d{2}\.\d{2}\.H\d{2}$"  # QCVN 102:2016/BTTTT
PROCEDURE_CODE = re.compile(r"^(\d\.\d{6})(\.\d{3}\.\d{2}\.\d{2}\.H\d{2}|\.H\d{2})?$")
CODE_TAKEN = "Mã hồ sơ đã là mã của một hồ sơ khác trên hệ thống."
APPLICANT_TYPES = {"1": ApplicantType.CITIZEN, "2": ApplicantType.ENTERPRISE}

_online_record = {**shape.DOSSIER_RECORD, "properties": {
    **shape.DOSSIER_RECORD["properties"],
    "MaHoSo": {"type": "string", "minLength": 1, "maxLength": CODE_MAX},
    "MaTTHC": {"type": "string", "pattern": PROCEDURE_CODE.pattern},
    "KenhThucHien": {"const": "2"},  # filed online on the portal
    "TrangThaiHoSo": {"const": "1"},  # «Mới đăng ký»: not received yet
    "LoaiDoiTuong": {"type": "string", "enum": list(APPLICANT_TYPES)},
}, "required": [*shape.DOSSIER_RECORD["required"], "TaiKhoanDuocXacThucVoiVNeID"]}
ITEM = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object", "additionalProperties": False,
    "required": ["SoThuTu", "MaDonViTiepNhan", "HoSo"],
    "properties": {
        "SoThuTu": {"type": "integer", "minimum": 1},
        "MaDonViTiepNhan": {"type": "string", "pattern": AGENCY_CODE},
        "HoSo": _online_record,
        "DuLieuToKhai": {"type": "object"},
    },
}
_validator = jsonschema_rs.validator_for(ITEM)


class Refusal(Exception):
    def __init__(self, errors: list[dict]) -> None:
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.errors = errors


def _error(field_: str, message: str) -> dict:
    return {"field": field_, "message": message}


@dataclass
class Outcome:
    national_code: str
    dossier: Dossier | None = None
    duplicate: bool = False
    errors: list[dict] = field(default_factory=list)


@dataclass
class Report:
    taken: int = 0
    duplicates: int = 0
    refused: int = 0
    outcomes: list[Outcome] = field(default_factory=list)


def check_shape(item) -> list[dict]:
    """The item against ``ITEM``: each error with the field it is about."""
    return [_error(e["field"], e["message"][:300])
            for e in shape.named_errors(_validator, item)]


def _file_url_allowed(url: str) -> bool:
    """Files are fetched from the portal's own host only: a record cannot make the platform
    request an address of its choosing."""
    portal, target = urlsplit(settings.NATIONAL_SYNC_URL), urlsplit(url)
    return bool(portal.netloc) and (target.scheme, target.netloc) == (portal.scheme,
                                                                       portal.netloc)


def fetch_file(url: str, name: str):
    """(checked, content) of one ``TaiLieuNop`` file. Raises UploadError."""
    if not _file_url_allowed(url):
        raise UploadError("Đường dẫn tệp không thuộc Cổng Dịch vụ công quốc gia.")
    try:
        with requests.get(url, timeout=settings.NATIONAL_SYNC_TIMEOUT, stream=True) as response:
            if response.status_code != 200:
                raise UploadError(f"Không tải được tệp (HTTP {response.status_code}).")
            buffer = bytearray()
            for chunk in response.iter_content(64 * 1024):
                buffer += chunk
                if len(buffer) > MAX_BYTES:  # too big: check_upload refuses it by its size
                    break
            content = bytes(buffer)
    except requests.RequestException as exc:
        raise UploadError(f"Không tải được tệp: {type(exc).__name__}.") from exc
    # Type, size and content (an acting PDF refused, a photo's metadata stripped), as any upload.
    checked = submission.inspect(ContentFile(content, name=name))
    return checked, content


def _resolve(item: dict):
    """The agency, procedure, definition and cleaned form, or Refusal."""
    record = item["HoSo"]
    agency = Agency.objects.filter(code=item["MaDonViTiepNhan"], is_active=True).first()
    if agency is None:
        raise Refusal([_error("MaDonViTiepNhan", "Không có cơ quan có mã định danh này.")])
    base = PROCEDURE_CODE.match(record["MaTTHC"]).group(1)
    procedure = (Procedure.objects.filter(code=base, is_active=True)
                 .exclude(online_mode=Procedure.OnlineMode.NONE)
                 .select_related("current_version").first())
    if procedure is None or procedure.current_version is None:
        raise Refusal([_error("HoSo.MaTTHC", "Thủ tục không có hoặc không nộp trực tuyến.")])
    definition = procedure.current_version.parsed()
    form = validate(definition.form, item.get("DuLieuToKhai") or {}, timezone.localdate())
    names = {doc.name[:NAME_MAX] for doc in definition.documents}
    errors = []
    for index, file in enumerate(record.get("TaiLieuNop") or []):
        if (file.get("MaThanhPhanHoSo") or "")[:NAME_MAX] not in names:
            errors.append(_error(f"HoSo.TaiLieuNop[{index}].MaThanhPhanHoSo",
                                 "Không phải thành phần hồ sơ của thủ tục."))
    given = [f["MaThanhPhanHoSo"] for f in record.get("TaiLieuNop") or [] if not f.get("IsDeleted")]
    check = submission.check_filing(procedure, definition, agency_id=agency.pk,
                                    delivery=Delivery.COUNTER, form=form,
                                    documents=[g for g in given if g])
    if check.errors.agency:
        errors.append(_error("MaDonViTiepNhan", check.errors.agency))
    errors += [_error(f"DuLieuToKhai.{key}", "; ".join(messages))
               for key, messages in check.errors.form.items()]
    errors += [_error("HoSo.TaiLieuNop", message)
               for _, message in sorted(check.errors.documents.items())]
    if errors:
        raise Refusal(errors)
    return agency, procedure, form


def _new_dossier(item: dict, agency: Agency, procedure: Procedure, form) -> Dossier:
    record = item["HoSo"]
    id_number = record.get("SoGiayToChuHoSo") or ""
    return Dossier(
        code=record["MaHoSo"], procedure=procedure,
        procedure_version_id=procedure.current_version_id, agency=agency,
        applicant_type=APPLICANT_TYPES[record["LoaiDoiTuong"]],
        applicant_name=record["ChuHoSo"][:150],
        applicant_id_number=id_number if id_number.isdigit() and len(id_number) in (9, 12)
        else "",
        applicant_phone=(record.get("SoDienThoai") or "")[:20],
        applicant_email=(record.get("Email") or "")[:254],
        channel=DossierChannel.NATIONAL_PORTAL, form_data=submission.to_json(form.cleaned),
        delivery=Delivery.COUNTER)


def _taken_in(code: str) -> Dossier | None:
    record = (IntakeRecord.objects.filter(national_code=code, dossier__isnull=False)
              .select_related("dossier").first())
    return record.dossier if record is not None else None


def take(item) -> Outcome:
    """Take one handed-over item in, all or nothing (see the module's docstring)."""
    code = str(item.get("HoSo", {}).get("MaHoSo", "")) if isinstance(item, dict) else ""
    errors = check_shape(item)
    if errors:
        return Outcome(code, errors=errors)
    existing = _taken_in(code)
    if existing is not None:
        return Outcome(code, dossier=existing, duplicate=True)
    if Dossier.objects.filter(code=code).exists():  # one of ours: never answered as theirs
        return Outcome(code, errors=[_error("HoSo.MaHoSo", CODE_TAKEN)])
    try:
        agency, procedure, form = _resolve(item)
        files = []
        for index, file in enumerate(item["HoSo"].get("TaiLieuNop") or []):
            if file.get("IsDeleted"):
                continue
            try:
                checked, content = fetch_file(file["DuongDanTaiTepTin"], file["TenTepDinhKem"])
            except UploadError as exc:
                raise Refusal([_error(f"HoSo.TaiLieuNop[{index}].DuongDanTaiTepTin",
                                      str(exc))]) from exc
            files.append((file["MaThanhPhanHoSo"], checked, content))
    except Refusal as refusal:
        return Outcome(code, errors=refusal.errors)
    return _store(item, _new_dossier(item, agency, procedure, form), files)


def _store(item: dict, dossier: Dossier, files: list) -> Outcome:
    stored = []

    def attach(saved: Dossier) -> None:
        # Before the submitting event: its sync record reads the VNeID flag from this row.
        IntakeRecord.objects.create(
            sequence=item["SoThuTu"], national_code=saved.code, dossier=saved,
            vneid_verified=item["HoSo"]["TaiKhoanDuocXacThucVoiVNeID"] == "1")
        for requirement, checked, content in files:
            upload = ContentFile(content, name=checked.original_name)
            stored.append(submission.attach(saved, requirement, upload, None, checked))

    try:
        with transaction.atomic():
            actions.submit_new(dossier, None, LifecycleRole.system, attach,
                               data={"intake": "national_portal"})
    except IntegrityError:
        for attachment in stored:  # the rows are rolled back; the files go too
            attachment.file.delete(save=False)
        existing = _taken_in(dossier.code)  # taken in meanwhile by a concurrent pull
        if existing is not None:
            return Outcome(dossier.code, dossier=existing, duplicate=True)
        return Outcome(dossier.code, errors=[_error("HoSo.MaHoSo", CODE_TAKEN)])
    except BaseException:
        for attachment in stored:
            attachment.file.delete(save=False)
        raise
    return Outcome(dossier.code, dossier=dossier)


def cursor() -> int:
    return IntakeRecord.objects.aggregate(last=Max("sequence"))["last"] or 0


def _ask(after: int) -> list:
    auth = None
    if settings.NATIONAL_SYNC_USERNAME:
        auth = (settings.NATIONAL_SYNC_USERNAME, settings.NATIONAL_SYNC_PASSWORD)
    body = {"service": shape.INTAKE_SERVICE, "data": [{"SauSoThuTu": after}]}
    response = requests.post(settings.NATIONAL_SYNC_URL, auth=auth, json=body,
                             timeout=settings.NATIONAL_SYNC_TIMEOUT)
    response.raise_for_status()
    answer = response.json()
    if str(answer.get("error_code")) != "0" or not isinstance(answer.get("data"), list):
        raise requests.RequestException(f"error_code {answer.get('error_code')}")
    return answer["data"]


def _failure_kind(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if response is not None:
        return f"HTTP {response.status_code}"
    return type(exc).__name__


def record_pull(error: BaseException | None, now: dt.datetime | None = None) -> IntakeStatus:
    """Keep how this pull went: the monitoring centre shows an intake that keeps failing."""
    now = now or timezone.now()
    with transaction.atomic():
        status, _ = IntakeStatus.objects.select_for_update().get_or_create(pk=1)
        status.last_pull_at = now
        if error is None:
            status.last_success_at, status.failing_since = now, None
            status.failures, status.last_error = 0, ""
        else:
            status.failing_since = status.failing_since or now
            status.failures += 1
            status.last_error = _failure_kind(error)[:200]
        status.save()
    return status


@dataclass(frozen=True)
class IntakeHealth:
    last_success_at: dt.datetime | None
    failing_since: dt.datetime | None
    failures: int
    last_error: str
    alert: bool  # failing for longer than NATIONAL_INTAKE_ALERT_MINUTES


def health(now: dt.datetime | None = None) -> IntakeHealth | None:
    """None when intake is not configured or has never run."""
    if not settings.NATIONAL_SYNC_URL:
        return None
    status = IntakeStatus.objects.filter(pk=1).first()
    if status is None:
        return None
    now = now or timezone.now()
    limit = dt.timedelta(minutes=settings.NATIONAL_INTAKE_ALERT_MINUTES)
    alert = status.failing_since is not None and now - status.failing_since >= limit
    return IntakeHealth(status.last_success_at, status.failing_since, status.failures,
                        status.last_error, alert)


def pull() -> Report:
    """Ask the portal for the dossiers handed over since the last one kept and take each in.
    Raises requests.RequestException when the portal cannot be asked (the next run retries);
    either way the outcome is kept (``record_pull``)."""
    report = Report()
    if not settings.NATIONAL_SYNC_URL:
        return report
    try:
        items = _ask(cursor())
    except (requests.RequestException, ValueError) as exc:
        record_pull(exc)
        raise
    record_pull(None)
    for item in items:
        outcome = take(item)
        report.outcomes.append(outcome)
        if outcome.errors:
            report.refused += 1
        elif outcome.duplicate:
            report.duplicates += 1
        else:
            report.taken += 1
            continue
        # A refusal or a dossier handed over again: its number is kept (and the fields a
        # refusal names) so the next pull starts after it; nothing else of it is.
        sequence = item.get("SoThuTu") if isinstance(item, dict) else None
        if isinstance(sequence, int) and sequence > 0:
            IntakeRecord.objects.get_or_create(sequence=sequence, defaults={
                "national_code": outcome.national_code[:50], "errors": outcome.errors})
    return report
