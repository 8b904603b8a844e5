"""The demo's third-party issuer: a clinic registered as a machine client (scope
documents:issue, kind «cơ sở khám bệnh, chữa bệnh», its own demo CA), and the demo citizen's
driver's health certificate it deposited through the real deposit path, so that the licence
renewal (3.000347) shows it in the store with nothing to upload."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from dichvucong.accounts.assurance import IdentitySource
from dichvucong.accounts.models import User
from dichvucong.apiclients import services as clients
from dichvucong.apiclients.models import IssuerType, MachineClient
from dichvucong.apiclients.scopes import DOCUMENTS_ISSUE
from dichvucong.datastore import deposits, issuers
from dichvucong.datastore.models import IssuerConsent, Kind, StoredDocument
from dichvucong.results import pki, signing
from dichvucong.slips.fonts import FAMILY, font_set

CLINIC = "Phòng khám Đa khoa Hải Châu (demo)"
CITIZEN = "congdan"
CITIZEN_ID = "048090001234"  # a made-up number for the demo citizen


@dataclass
class DemoClinic:
    client: MachineClient
    secret: str  # empty when the clinic was registered by an earlier run (shown once, then)


def _keys(folder: Path) -> tuple[pki.Authority, bytes, bytes]:
    """The clinic's demo CA and signing key, kept beside the platform's demo keys."""
    folder.mkdir(parents=True, exist_ok=True)
    authority = pki.load_authority(folder)
    if authority is None:
        authority = pki.create_authority(f"{CLINIC} CA")
        pki.save_authority(authority, folder)
    key_file, cert_file = folder / "signer.key.pem", folder / "signer.cert.pem"
    if not (key_file.is_file() and cert_file.is_file()):
        cert, key = pki.issue_certificate(authority, CLINIC, CLINIC)
        key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        key_file.chmod(0o600)
        cert_file.write_text(pki.pem(cert))
    return authority, key_file.read_bytes(), cert_file.read_bytes()


def certificate_pdf(fields: dict) -> bytes:
    """The health certificate as the clinic prints it (demo layout, its fields in order)."""
    spec = issuers.spec_for(issuers.DRIVER_HEALTH_CERTIFICATE)
    page = FPDF()
    for style, path in font_set().files.items():
        if style in ("", "B"):
            page.add_font(FAMILY, style, str(path))
    page.add_page()
    page.set_font(FAMILY, style="B", size=14)
    page.multi_cell(0, 8, CLINIC.upper(), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    page.multi_cell(0, 10, issuers.DRIVER_HEALTH_CERTIFICATE.upper(), new_x=XPos.LMARGIN,
                    new_y=YPos.NEXT)
    page.set_font(FAMILY, size=12)
    for field in spec.fields:
        value = fields[field.key]
        shown = ", ".join(value) if isinstance(value, list) else value
        page.multi_cell(0, 8, f"{field.label}: {shown}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(page.output())


@transaction.atomic
def create_demo_clinic() -> DemoClinic:
    folder = Path(settings.RESULTS_PKI_DIR) / "issuers" / "demo-clinic"
    authority, key_pem, cert_pem = _keys(folder)
    client = (MachineClient.objects.select_related("application")
              .filter(application__name=CLINIC).first())
    secret = ""
    if client is None:
        client, secret = clients.register(
            name=CLINIC, kind=clients.Kind.SYSTEM, scopes=[DOCUMENTS_ISSUE],
            issuer_type=IssuerType.HEALTH,
            issuer_certificate=pki.pem(authority.certificate) + cert_pem.decode("ascii"))
    citizen = User.objects.filter(username=CITIZEN).first()
    if citizen is None:
        return DemoClinic(client, secret)
    if not citizen.id_number and not User.objects.filter(id_number=CITIZEN_ID).exists():
        # As if the demo citizen had logged in with VNeID once: a verified number.
        citizen.id_number, citizen.id_number_verified = CITIZEN_ID, True
        citizen.identity_source = IdentitySource.VNEID_2  # as if logged in with VNeID level 2
        citizen.save(update_fields=["id_number", "id_number_verified", "identity_source"])
    if not citizen.id_number_verified or StoredDocument.objects.filter(
            owner=citizen, kind=Kind.ISSUED, issuer=client).exists():
        return DemoClinic(client, secret)
    IssuerConsent.objects.get_or_create(owner=citizen, issuer_type=IssuerType.HEALTH,
                                        issuer=None, revoked_at=None, used_at=None)
    today = timezone.localdate()
    fields = {"so_giay": "00001/GKSKLX/48001/26", "ho_ten": citizen.full_name,
              "so_dinh_danh": citizen.id_number, "hang_du_dieu_kien": ["B"],
              "ngay_kham": (today - timedelta(days=3)).isoformat(),
              "gia_tri_den": (today + timedelta(days=362)).isoformat()}
    signed = signing.sign_with_key(certificate_pdf(fields), key_pem, cert_pem, CLINIC)
    deposits.deposit(client, id_number=citizen.id_number,
                     document_type=issuers.DRIVER_HEALTH_CERTIFICATE, fields=fields, pdf=signed)
    return DemoClinic(client, secret)
