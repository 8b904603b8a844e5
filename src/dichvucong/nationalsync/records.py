"""A dossier and a dossier event in the national portal's JSON shape (``shape.py``).

Sent now: identity, procedure and field, channel, applicant (type, names, identifiers, contacts),
dates and status, the fee, flags; each event as a processing step. Not yet sent (issue #17): the
files and results (``TaiLieuNop``, ``DanhSachGiayToKetQua``) need public download links, which
the platform does not give out yet; supplements as ``DanhSachHoSoBoSung``.
"""

from __future__ import annotations

from dichvucong.dossiers.lifecycle import LifecycleRole, national_status
from dichvucong.dossiers.models import ApplicantType, Dossier, DossierChannel, DossierEvent
from dichvucong.nationalsync.models import IntakeRecord
from dichvucong.nationalsync.shape import national_date

# Hộ kinh doanh counts with the businesses (LoaiDoiTuong 2) [I]: the code list has no own code.
APPLICANT_TYPE = {ApplicantType.CITIZEN: "1", ApplicantType.ENTERPRISE: "2",
                  ApplicantType.HOUSEHOLD_BUSINESS: "2"}
STEP_ACTOR_MAX = 50


def dossier_record(dossier: Dossier) -> dict:
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
    if len(id_number) in (9, 12) and id_number.isdigit():
        record["DinhDanhCHS"] = [{"LoaiDinhDanh": "1" if len(id_number) == 12 else "2",
                                  "SoDinhDanh": id_number}]
    return record


def _vneid_verified(dossier: Dossier) -> bool:
    if dossier.channel != DossierChannel.NATIONAL_PORTAL:
        return False
    return IntakeRecord.objects.filter(dossier=dossier, vneid_verified=True).exists()


def step_record(event: DossierEvent) -> dict:
    dossier = event.dossier
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
