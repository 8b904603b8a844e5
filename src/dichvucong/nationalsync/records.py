"""A dossier and a dossier event in the national portal's JSON shape (``shape.py``).

Sent now: identity, procedure and field, channel, applicant (type, names, identifiers, contacts),
dates and status, the fee, flags, the files filed (``TaiLieuNop``: uploads, the counter's scans,
the rendered declaration, supplements) and the results (``DanhSachGiayToKetQua``: signed digital
results and the result files the back office attached), each with a signed public download link
(``links.py``); each event as a processing step. Not sent yet: supplements as
``DanhSachHoSoBoSung``, and the per-file flags (``DuocSoHoa``, ``DuocTaiSuDung``,
``DuocLayTuKhoDMQG``) and component codes (``MaThanhPhanHoSo``), which the platform does not
record in the national code lists.
"""

from __future__ import annotations

from datetime import datetime

from dichvucong.backoffice.services import RESULT_REQUIREMENT
from dichvucong.dossiers.lifecycle import LifecycleRole, national_status
from dichvucong.dossiers.models import ApplicantType, Dossier, DossierChannel, DossierEvent
from dichvucong.nationalsync import links
from dichvucong.nationalsync.models import IntakeRecord
from dichvucong.nationalsync.shape import national_date
from dichvucong.results.models import Result, SigningState, Status

# Hộ kinh doanh counts with the businesses (LoaiDoiTuong 2) [I]: the code list has no own code.
APPLICANT_TYPE = {ApplicantType.CITIZEN: "1", ApplicantType.ENTERPRISE: "2",
                  ApplicantType.HOUSEHOLD_BUSINESS: "2"}
STEP_ACTOR_MAX = 50
# A signed result is issued with «issue_result»: before (9, 10) a dossier has none to list.
RESULT_STATUSES = (9, 10)


def dossier_record(dossier: Dossier, at: datetime | None = None) -> dict:
    """The dossier as ``DongBoHoSoMC`` sends it; ``at``: the record's moment, from which its
    download links run (``links.file_link``)."""
    procedure = dossier.procedure
    status = dossier.national_status or national_status(dossier.state) or 1
    online = DossierChannel(dossier.channel).is_online
    id_number = dossier.applicant_id_number or ""
    record = {
        "MaHoSo": dossier.code,
        "MaTTHC": procedure.code,
        "TenTTHC": procedure.name,
        "MaLinhVuc": str(procedure.field_id or ""),
        "TenLinhVuc": procedure.field.name if procedure.field_id else "",
        "KenhThucHien": str(DossierChannel(dossier.channel).national_code),
        "SoGiayToChuHoSo": id_number,
        "ChuHoSo": dossier.applicant_name,
        "LoaiDoiTuong": APPLICANT_TYPE.get(dossier.applicant_type, "4"),
        "Email": dossier.applicant_email or "",
        "SoDienThoai": dossier.applicant_phone or "",
        "TrichYeuHoSo": f"{procedure.name} - {dossier.applicant_name}"[:1000],
        "NgayNopHoSo": national_date(dossier.submitted_at or dossier.created_at),
        "NgayTiepNhan": national_date(dossier.received_at),
        "NgayHenTra": national_date(dossier.due_at),
        "TrangThaiHoSo": str(status),
        "NgayKetThucXuLy": national_date(dossier.finished_at),
        "DonViXuLy": dossier.agency.name,
        "NoiNopHoSo": "2" if online else "1",
        "HoSoCoThanhPhanSoHoa": "1" if online else "0",
        # Known for a dossier taken in from the portal (intake.py); not flagged for ours yet.
        "TaiKhoanDuocXacThucVoiVNeID": "1" if _vneid_verified(dossier) else "0",
        "DuocThanhToanTrucTuyen": "0",
        "DanhSachLePhi": ([{"TenPhiLePhi": "Phí, lệ phí", "Gia": int(dossier.fee_amount)}]
                          if dossier.fee_amount else []),
    }
    filed, results = files(dossier, at)
    if filed:
        record["TaiLieuNop"] = filed
    if results:
        record["DanhSachGiayToKetQua"] = results
    if len(id_number) in (9, 12) and id_number.isdigit():
        record["DinhDanhCHS"] = [{"LoaiDinhDanh": "1" if len(id_number) == 12 else "2",
                                  "SoDinhDanh": id_number}]
    return record


def _vneid_verified(dossier: Dossier) -> bool:
    if dossier.channel != DossierChannel.NATIONAL_PORTAL:
        return False
    return IntakeRecord.objects.filter(dossier=dossier, vneid_verified=True).exists()


def files(dossier: Dossier, at: datetime | None) -> tuple[list[dict], list[dict]]:
    """(``TaiLieuNop``, ``DanhSachGiayToKetQua``): the dossier's files, then its results, in the
    order they were stored. A result file the back office attached is a result, not a filing;
    a digital result counts once signed and while valid (a revoked or replaced one is not
    the dossier's result any more)."""
    filed, results = [], []
    for attachment in dossier.attachments.order_by("id"):
        link = links.file_link(links.ATTACHMENT, attachment.token, at)
        if attachment.requirement == RESULT_REQUIREMENT:
            results.append({"TenGiayTo": attachment.requirement, "GiayToId": attachment.token,
                            "DuongDanTepTinKetQua": link})
        else:
            filed.append({"TepDinhKemId": attachment.token,
                          "TenTepDinhKem": attachment.original_name[:4000],
                          "IsDeleted": False, "DuongDanTaiTepTin": link})
    signed = (Result.objects.filter(dossier=dossier, signing_state=SigningState.DONE,
                                    status=Status.VALID).exclude(pdf="").order_by("id")
              if (dossier.national_status or national_status(dossier.state)) in RESULT_STATUSES
              else ())
    for result in signed:
        results.append({"TenGiayTo": result.title, "GiayToId": result.token,
                        "DuongDanTepTinKetQua": links.file_link(links.RESULT, result.token, at),
                        "MaGiayToKetQua": result.number})
    return filed, results


def step_record(event: DossierEvent, dossier: Dossier | None = None) -> dict:
    dossier = dossier or event.dossier
    actor = event.actor
    if actor is not None:
        who = actor.full_name or actor.username
    elif event.actor_role == LifecycleRole.system:
        who = "Hệ thống"
    else:
        who = dossier.applicant_name
    try:
        title = LifecycleRole(event.actor_role).label
    except ValueError:
        title = event.actor_role
    content = str(event.get_action_label())
    if event.note:
        content = f"{content}: {event.note}"
    status = national_status(event.to_state) if event.to_state else None
    return {
        "MaHoSo": dossier.code,
        "NguoiXuLy": who[:STEP_ACTOR_MAX],
        "ChucDanh": str(title),
        "ThoiDiemXuLy": national_date(event.created_at),
        "PhongBanXuLy": dossier.agency.name,
        "NoiDungXuLy": content,
        "TrangThai": str(status or dossier.national_status or 1),
        "NgayBatDau": national_date(event.created_at),
        "NgayKetThucTheoQuyDinh": national_date(dossier.due_at),
    }
