"""Certificates for result signing, made with ``cryptography``: a local demo certificate
authority and one signing certificate per agency, kept as PKCS#12 files under the data folder.

Production uses certificates from a licensed CA (in a PKCS#12 file, on a PKCS#11 token or behind
a remote signing service); this module is what the demo and the tests use, and what an operator
may use to make test keys. Plain Python with no Django.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"
TRUST_LIST_CERT_FILE = "trust-list-signer.pem"
TRUST_LIST_KEY_FILE = "trust-list-signer-key.pem"


def key_id(certificate_der: bytes) -> bytes:
    """The key id (docs/architecture.md «Integrations»): the first 8 bytes of the SHA-256 of the
    certificate."""
    return hashlib.sha256(certificate_der).digest()[:8]


@dataclass(frozen=True)
class Authority:
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey


UB_NAME = 64  # RFC 5280's upper bound for commonName; cryptography counts it in UTF-8 bytes


def fit_name(text: str) -> str:
    """An agency's name as an X.509 name attribute: at most 64 bytes of UTF-8 (a ward's
    committee, in Vietnamese, is often longer), cut at a word with an ellipsis."""
    text = " ".join(text.split())
    if len(text.encode()) <= UB_NAME:
        return text
    room = UB_NAME - len("…".encode())
    words, cut = text.split(" "), ""
    for word in words:
        longer = f"{cut} {word}" if cut else word
        if len(longer.encode()) > room:
            break
        cut = longer
    if not cut:  # one very long word: cut it by characters
        cut = text
        while len(cut.encode()) > room:
            cut = cut[:-1]
    return cut + "…"


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, fit_name(organisation)),
        x509.NameAttribute(NameOID.COMMON_NAME, fit_name(common_name)),
    ])


def create_authority(common_name: str = "dichvucong Demo CA", *, years: int = 20,
                     now: datetime | None = None) -> Authority:
    now = now or datetime.now(UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(common_name, "dichvucong (demo, not for production)")
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, key_cert_sign=True, crl_sign=True,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    return Authority(certificate, key)


def issue_certificate(authority: Authority, common_name: str, organisation: str, *,
                      key: ec.EllipticCurvePrivateKey | None = None, years: int = 5,
                      now: datetime | None = None,
                      not_before: datetime | None = None,
                      not_after: datetime | None = None,
                      ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A document-signing certificate (digital signature and non-repudiation) for an agency."""
    now = now or datetime.now(UTC)
    key = key or ec.generate_private_key(ec.SECP256R1())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organisation))
        .issuer_name(authority.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(days=1))
        .not_valid_after(not_after or now + timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True,
                                     key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, key_cert_sign=False, crl_sign=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION,
                                              ExtendedKeyUsageOID.CODE_SIGNING]),
                       critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            authority.key.public_key()), critical=False)
        .sign(authority.key, hashes.SHA256())
    )
    return certificate, key


def pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def save_authority(authority: Authority, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / CA_FILE).write_text(pem(authority.certificate))
    key_file = folder / CA_KEY_FILE
    key_file.write_bytes(authority.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    key_file.chmod(0o600)


def load_authority(folder: Path) -> Authority | None:
    cert_file, key_file = folder / CA_FILE, folder / CA_KEY_FILE
    if not (cert_file.is_file() and key_file.is_file()):
        return None
    certificate = x509.load_pem_x509_certificate(cert_file.read_bytes())
    key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return Authority(certificate, key)


def pkcs12_bytes(certificate: x509.Certificate, key, chain: list[x509.Certificate],
                 passphrase: bytes, friendly_name: str = "signer") -> bytes:
    return pkcs12.serialize_key_and_certificates(
        friendly_name.encode(), key, certificate, chain,
        serialization.BestAvailableEncryption(passphrase))


def fingerprint_pem(certificate_pem: bytes) -> str:
    certificate = x509.load_pem_x509_certificate(certificate_pem)
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def save_trust_list_signer(authority: Authority, folder: Path) -> None:
    """A demo trust-list signer, issued by the demo CA (verifiers pin its fingerprint)."""
    certificate, key = issue_certificate(authority, "dichvucong Trust List Signer (demo)",
                                         "dichvucong (demo, not for production)")
    key_file = folder / TRUST_LIST_KEY_FILE
    key_file.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    key_file.chmod(0o600)
    (folder / TRUST_LIST_CERT_FILE).write_text(pem(certificate))
