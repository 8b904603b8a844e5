"""Third-party issuers' rules, plain Python: which document types an issuer of each kind may
deposit into a citizen's store, the structured fields each type carries, and when a deposit is
refused for what it says.

A deposit is accepted only when every check passes (``deposits.deposit`` runs them in this
order, so a refused issuer learns nothing it did not already know): the citizen exists and
consents (one answer for both, ``not_accepted``), the type is one the issuer's kind issues, the
fields are complete and name the same person, the document is still valid, the PDF's signature
chains to the certificate registered for the issuer.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dichvucong.apiclients.models import IssuerType
from dichvucong.catalog.codelists import CODE_LISTS, CodeList
from dichvucong.datastore import documents as rules

HEALTH, SCHOOL, BANK = IssuerType.HEALTH.value, IssuerType.SCHOOL.value, IssuerType.BANK.value

DRIVER_HEALTH_CERTIFICATE = "Giấy khám sức khỏe của người lái xe"
MAX_PDF_BYTES = 10 * 1024 * 1024  # as an upload with a dossier


class DepositRefused(Exception):
    """A refused deposit: a code for machines and a Vietnamese sentence for people."""

    def __init__(self, code: str, detail: str, status: int = 400) -> None:
        super().__init__(detail)
        self.code, self.detail, self.status = code, detail, status


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    kind: str = "text"  # text, id_number, date, classes


@dataclass(frozen=True)
class DocumentSpec:
    """A document type third-party issuers deposit: who issues it, its fields, which field
    dates it and which bounds its validity, and where its content is prescribed."""

    name: str
    issuer_types: tuple[str, ...]
    fields: tuple[Field, ...]
    dated_by: str
    valid_until: str = ""
    legal_reference: str = ""


NAME = Field("ho_ten", gettext_lazy("Họ và tên"))
ID_NUMBER = Field("so_dinh_danh", gettext_lazy("Số định danh cá nhân (CCCD)"), "id_number")

SPECS: tuple[DocumentSpec, ...] = (
    DocumentSpec(
        DRIVER_HEALTH_CERTIFICATE, (HEALTH,),
        (Field("so_giay", gettext_lazy("Số giấy khám sức khỏe")), NAME, ID_NUMBER,
         Field("hang_du_dieu_kien", gettext_lazy("Đủ điều kiện sức khỏe lái xe hạng"),
               "classes"),
         Field("ngay_kham", gettext_lazy("Ngày kết luận khám sức khỏe"), "date"),
         Field("gia_tri_den", gettext_lazy("Có giá trị đến ngày"), "date")),
        dated_by="ngay_kham", valid_until="gia_tri_den",
        # The fields are those of the form as secondary sources describe it (số giấy, CCCD,
        # hạng, kết luận «đủ điều kiện sức khỏe lái xe hạng …»); the annex's own text and the
        # length of validity (a 12-month proposal in the draft) are NOT verified: the issuer
        # states the end of validity and the platform enforces the date it states.
        legal_reference="Mẫu giấy khám sức khỏe của người lái xe, Phụ lục II ban hành kèm "
                        "Thông tư 36/2024/TT-BYT (hiệu lực từ 01/01/2025); chưa đối chiếu văn "
                        "bản gốc của phụ lục"),
    DocumentSpec(
        "Giấy xác nhận số dư tài khoản tiền gửi", (BANK,),
        (Field("so_giay", gettext_lazy("Số giấy xác nhận")), NAME, ID_NUMBER,
         Field("ngay_xac_nhan", gettext_lazy("Ngày xác nhận"), "date")),
        dated_by="ngay_xac_nhan",
        legal_reference="Nội dung do ngân hàng phát hành quy định (không có mẫu chung)"),
    DocumentSpec(
        "Giấy chứng nhận tốt nghiệp tạm thời", (SCHOOL,),
        (Field("so_giay", gettext_lazy("Số giấy chứng nhận")), NAME, ID_NUMBER,
         Field("ngay_cap", gettext_lazy("Ngày cấp"), "date")),
        dated_by="ngay_cap",
        legal_reference="Nội dung do cơ sở giáo dục cấp (chưa đối chiếu mẫu của Bộ Giáo dục "
                        "và Đào tạo)"),
)


def spec_for(document_type: str) -> DocumentSpec | None:
    key = rules.type_key(document_type)
    return next((s for s in SPECS if rules.type_key(s.name) == key), None)


def specs_for(issuer_type: str) -> list[DocumentSpec]:
    return [s for s in SPECS if issuer_type in s.issuer_types]


def same_name(a: str, b: str) -> bool:
    def norm(text: str) -> str:
        return " ".join(unicodedata.normalize("NFC", text or "").split()).casefold()
    return norm(a) == norm(b)


@dataclass(frozen=True)
class Checked:
    fields: dict
    dated: date
    valid_until: date | None


def check_fields(spec: DocumentSpec, raw: dict, *, id_number: str, holder_name: str,
                 today: date) -> Checked:
    """The declared fields, complete and typed, naming the citizen the deposit is for and
    still valid today; DepositRefused otherwise."""
    if not isinstance(raw, dict):
        raise DepositRefused("invalid_fields", _("«fields» phải là một đối tượng JSON."))
    missing = [str(f.label) for f in spec.fields if raw.get(f.key) in (None, "", [])]
    if missing:
        raise DepositRefused("invalid_fields", _("Thiếu thông tin: %(names)s.")
                             % {"names": ", ".join(missing)})
    clean: dict = {}
    classes = CODE_LISTS[CodeList.DRIVING_LICENCE_CLASSES].values
    for f in spec.fields:
        value = raw[f.key]
        if f.kind == "date":
            try:
                value = date.fromisoformat(str(value)).isoformat()
            except ValueError:
                raise DepositRefused("invalid_fields", _("«%(label)s» phải là ngày dạng "
                                     "YYYY-MM-DD.") % {"label": f.label}) from None
        elif f.kind == "classes":
            values = value if isinstance(value, list) else str(value).split(",")
            value = [str(v).strip().upper() for v in values if str(v).strip()]
            unknown = [v for v in value if v not in classes]
            if unknown or not value:
                raise DepositRefused("invalid_fields", _("Hạng giấy phép lái xe không có: "
                                     "%(v)s.") % {"v": ", ".join(unknown) or "—"})
        else:
            value = " ".join(str(value).split())[:200]
        clean[f.key] = value
    if clean.get(ID_NUMBER.key) != id_number:
        raise DepositRefused("invalid_fields", _("Số định danh trong giấy tờ khác số định danh "
                                                 "của người nhận."))
    if holder_name and not same_name(clean.get(NAME.key, ""), holder_name):
        raise DepositRefused("invalid_fields", _("Họ tên trong giấy tờ khác họ tên của người "
                                                 "nhận trên tài khoản định danh."))
    dated = date.fromisoformat(clean[spec.dated_by])
    if dated > today:
        raise DepositRefused("invalid_fields", _("Ngày trên giấy tờ ở tương lai."))
    until = date.fromisoformat(clean[spec.valid_until]) if spec.valid_until else None
    if until is not None and until < dated:
        raise DepositRefused("invalid_fields", _("Ngày hết giá trị trước ngày cấp."))
    if until is not None and until < today:
        raise DepositRefused("expired", expired_reason(spec.name, until))
    return Checked(clean, dated, until)


def expired_reason(document_type: str, until: date) -> str:
    return (_("«%(type)s» đã hết giá trị từ sau ngày %(day)s; cần giấy mới còn hiệu lực.")
            % {"type": document_type, "day": until.strftime("%d/%m/%Y")})


def trust_of(bundle_pem: str) -> tuple[list[str], list[bytes]]:
    """An issuer's registered certificates (PEM, one or more): the CA certificates its
    signatures must chain to, and the signing certificates it is pinned to (none: any
    certificate that CA issued). A bundle without a CA trusts nothing."""
    roots, pinned = [], []
    try:
        certificates = x509.load_pem_x509_certificates(bundle_pem.strip().encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return [], []
    for cert in certificates:
        try:
            is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            is_ca = False
        if is_ca:
            roots.append(cert.public_bytes(serialization.Encoding.PEM).decode("ascii"))
        else:
            pinned.append(cert.public_bytes(serialization.Encoding.DER))
    return roots, pinned


def is_pdf(data: bytes) -> bool:
    return data[:5] == b"%PDF-"
