"""The National Public Service Portal's (Cổng DVCQG) sync services, as JSON Schema.

Source: the research notes on the portal's integration (copied here so nothing outside the
repository is read at run time), which cite two open implementations of provincial systems:
S1 ``ISyncLocalDataToDVCQGService.cs`` (class ``HoSoDongBoDVC``, ``SyncLocalDataToDVCQGService``)
and S2 ``DVCQGIntegrationActionImpl.java`` (``createSyncDossierStatusBodyRequest``).

- Transport [verified]: a JSON POST ``{"service": …, "isUpdating": "True"|"False", "data": […]}``
  answered by ``{"error_code": "0"|…, "message": …}``; dates are ``yyyyMMddHHmmss``.
- ``DongBoHoSoMC`` creates (``isUpdating`` "False") or updates ("True") a dossier;
  ``CapNhatTienDoHoSoMC`` appends processing steps.
- Codes: ``TrangThaiHoSo`` / ``TrangThai`` 1–10, ``KenhThucHien`` 1 trực tiếp, 2 trực tuyến,
  3 bưu chính công ích; ``LoaiDoiTuong`` 1 công dân, 2 doanh nghiệp, 3 cơ quan nhà nước,
  4 tổ chức/khác; ``DinhDanhCHS.LoaiDinhDanh`` 1 CCCD (12 digits), 2 CMND (9 digits).

Not verified, chosen here and marked so [I]: which fields are required (the sources list fields,
not constraints), that codes and 0/1 flags travel as strings of digits (as S1's "2" and "7"),
and that amounts (``Gia``) are integers in đồng. Unknown fields are refused, so a misspelt field
is caught rather than silently dropped.
"""

from __future__ import annotations

import re
from datetime import datetime

DATE_FORMAT = "%Y%m%d%H%M%S"  # yyyyMMddHHmmss
DOSSIER_SERVICE = "DongBoHoSoMC"
STEP_SERVICE = "CapNhatTienDoHoSoMC"
SERVICES = (DOSSIER_SERVICE, STEP_SERVICE)
# Dossiers filed on the portal for the province, asked for by intake.py. Not documented [I].
INTAKE_SERVICE = "LayDanhSachHoSoMoi"
STATUS_CODES = tuple(str(n) for n in range(1, 11))
CHANNEL_CODES = ("1", "2", "3")
APPLICANT_TYPE_CODES = ("1", "2", "3", "4")

_DATE = {"type": "string", "pattern": (r"^(19|20)\d\d(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])"
                                        r"([01]\d|2[0-3])[0-5]\d[0-5]\d$")}
_OPTIONAL_DATE = {"anyOf": [_DATE, {"type": "string", "maxLength": 0}, {"type": "null"}]}
_TEXT = {"type": ["string", "null"]}
_FLAG = {"type": "string", "enum": ["0", "1"]}


def _text(limit: int) -> dict:
    return {"type": ["string", "null"], "maxLength": limit}


def _record(properties: dict, required: list[str]) -> dict:
    return {"type": "object", "properties": properties, "required": required,
            "additionalProperties": False}


_FILE = _record({
    "TepDinhKemId": {"type": "string", "minLength": 1}, "TenTepDinhKem": _text(4000),
    "IsDeleted": {"type": "boolean"}, "MaThanhPhanHoSo": _TEXT,
    "DuongDanTaiTepTin": {"type": "string", "pattern": "^https?://"},
    "DuocSoHoa": _FLAG, "DuocTaiSuDung": _FLAG, "DuocLayTuKhoDMQG": _FLAG,
    "MaKetQuaThayThe": _TEXT,
}, ["TepDinhKemId", "TenTepDinhKem", "DuongDanTaiTepTin"])
_FEE = _record({
    "TenPhiLePhi": {"type": "string", "minLength": 1}, "MaPhiLePhi": _TEXT,
    "HinhThucThu": _TEXT, "Gia": {"type": "integer", "minimum": 0}, "LoaiPhiLePhi": _TEXT,
}, ["TenPhiLePhi", "Gia"])
_OTHER_PAPER = _record({"TenGiayTo": {"type": "string"}, "SoLuong": {"type": "integer"},
                        "LoaiGiayTo": _TEXT}, ["TenGiayTo"])
_SUPPLEMENT = _record({
    "HoSoBoSungId": {"type": "string", "minLength": 1}, "NguoiYeuCauBoSung": _TEXT,
    "NoiDungBoSung": _TEXT, "NgayBoSung": _OPTIONAL_DATE, "NguoiTiepNhanBoSung": _TEXT,
    "ThongTinTiepNhan": _TEXT, "NgayTiepNhanBoSung": _OPTIONAL_DATE,
    "TrangThaiBoSung": _TEXT, "DanhSachGiayToBoSung": {"type": "array"},
    "DanhSachLePhiBoSung": {"type": "array", "items": _FEE},
    "NgayHenTraTruoc": _OPTIONAL_DATE, "NgayHenTraMoi": _OPTIONAL_DATE,
}, ["HoSoBoSungId", "NgayBoSung"])
_RESULT = _record({
    "TenGiayTo": {"type": "string", "minLength": 1}, "MaThanhPhanHoSo": _TEXT,
    "GiayToId": {"type": "string", "minLength": 1},
    "DuongDanTepTinKetQua": {"type": "string", "pattern": "^https?://"},
    "MaGiayToKetQua": _TEXT,
}, ["TenGiayTo", "GiayToId", "DuongDanTepTinKetQua"])

DOSSIER_RECORD = _record({
    "MaHoSo": {"type": "string", "minLength": 1, "maxLength": 50},
    "MaTTHC": {"type": "string", "minLength": 1}, "TenTTHC": {"type": "string", "minLength": 1},
    "MaLinhVuc": _TEXT, "TenLinhVuc": _TEXT,
    "KenhThucHien": {"type": "string", "enum": list(CHANNEL_CODES)},
    "SoGiayToChuHoSo": _TEXT, "ChuHoSo": {"type": "string", "minLength": 1},
    "LoaiDoiTuong": {"type": "string", "enum": list(APPLICANT_TYPE_CODES)},
    "MaDoiTuong": _TEXT, "ThongTinKhac": _TEXT, "Email": _TEXT, "Fax": _TEXT,
    "SoDienThoai": _TEXT, "TrichYeuHoSo": {"type": "string", "minLength": 1, "maxLength": 1000},
    "NgayTiepNhan": _OPTIONAL_DATE, "NgayHenTra": _OPTIONAL_DATE,
    "TrangThaiHoSo": {"type": "string", "enum": list(STATUS_CODES)},
    "NgayTra": _OPTIONAL_DATE, "ThongTinTra": _TEXT, "HinhThuc": _TEXT,
    "NgayKetThucXuLy": _OPTIONAL_DATE, "DonViXuLy": _TEXT, "GhiChu": _TEXT,
    "NgayTuChoi": _OPTIONAL_DATE, "NgayNopHoSo": _DATE,
    "TaiLieuNop": {"type": "array", "items": _FILE},
    "DanhSachLePhi": {"type": "array", "items": _FEE},
    "DanhSachTepDinhKemKhac": {"type": "array", "items": _OTHER_PAPER},
    "DanhSachHoSoBoSung": {"type": "array", "items": _SUPPLEMENT},
    "DanhSachGiayToKetQua": {"type": "array", "items": _RESULT},
    "NoiNopHoSo": _TEXT, "HoSoCoThanhPhanSoHoa": _FLAG,
    "TaiKhoanDuocXacThucVoiVNeID": _FLAG, "DuocThanhToanTrucTuyen": _FLAG,
    "DinhDanhCHS": {"type": "array", "items": _record({
        "LoaiDinhDanh": {"type": "string", "enum": ["1", "2"]},
        "SoDinhDanh": {"type": "string", "pattern": r"^(\d{12}|\d{9})$"}},
        ["LoaiDinhDanh", "SoDinhDanh"])},
    "DSKetNoiCSDL": {"type": "array", "items": _record({"MaCSDL": {"type": "string"}},
                                                       ["MaCSDL"])},
}, ["MaHoSo", "MaTTHC", "TenTTHC", "KenhThucHien", "ChuHoSo", "LoaiDoiTuong",
    "TrichYeuHoSo", "TrangThaiHoSo", "NgayNopHoSo"])

STEP_RECORD = _record({
    "MaHoSo": {"type": "string", "minLength": 1, "maxLength": 50},
    "NguoiXuLy": {"type": "string", "minLength": 1, "maxLength": 50},
    "ChucDanh": _TEXT, "ThoiDiemXuLy": _DATE, "PhongBanXuLy": _TEXT,
    "NoiDungXuLy": {"type": "string", "minLength": 1},
    "TrangThai": {"type": "string", "enum": list(STATUS_CODES)},
    "NgayBatDau": _OPTIONAL_DATE, "NgayKetThucTheoQuyDinh": _OPTIONAL_DATE,
}, ["MaHoSo", "NguoiXuLy", "ThoiDiemXuLy", "NoiDungXuLy", "TrangThai"])

_BOOL_TEXT = {"type": "string", "enum": ["True", "False"]}
REQUEST = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["service", "data"],
    "properties": {"service": {"type": "string", "enum": list(SERVICES)},
                   "isUpdating": _BOOL_TEXT, "data": {"type": "array", "minItems": 1}},
    "additionalProperties": False,
    "allOf": [
        {"if": {"properties": {"service": {"const": DOSSIER_SERVICE}}},
         "then": {"required": ["isUpdating"],
                  "properties": {"data": {"items": DOSSIER_RECORD}}}},
        {"if": {"properties": {"service": {"const": STEP_SERVICE}}},
         "then": {"properties": {"data": {"items": STEP_RECORD}}}},
    ],
}


def national_date(value: datetime | None) -> str:
    """``yyyyMMddHHmmss`` in the portal's time (Vietnam); empty for no date."""
    if value is None:
        return ""
    from zoneinfo import ZoneInfo

    return value.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime(DATE_FORMAT)


def field_name(path) -> str:
    """``['data', 0, 'TrangThai']`` → ``data[0].TrangThai``: the field a refusal names."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(body)"

_REQUIRED = re.compile(r'^"([^"]+)" is a required property$')


def named_errors(validator, instance) -> list[dict]:
    """Each error of ``instance`` under a jsonschema_rs ``validator`` with the field it is about
    (a missing field named itself, not the record that lacks it)."""
    errors = []
    for error in validator.iter_errors(instance):
        path = list(error.instance_path)
        missing = _REQUIRED.match(error.message)
        if missing:
            path.append(missing.group(1))
        errors.append({"field": field_name(path), "message": error.message})
    return errors
