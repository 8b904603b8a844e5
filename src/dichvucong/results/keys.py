"""The agencies' signing keys: published in the trust list when they first sign, revoked when
lost or compromised; the demo CA and certificates outside production."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dichvucong.accounts.models import User
from dichvucong.agencies.models import Agency

from . import pki, signing
from .errors import ResultError
from .models import IssuerKey
from .trust_list import trust_list_changed, trust_list_signer_files

logger = logging.getLogger(__name__)


def ensure_demo_keys(agencies=None) -> int:
    """A local demo CA and a PKCS#12 certificate for each agency that has none, published in the
    trust list. Returns how many certificates were made. Not for production."""
    folder = Path(settings.RESULTS_PKI_DIR)
    authority = pki.load_authority(folder)
    if authority is None:
        authority = pki.create_authority()
        pki.save_authority(authority, folder)
    passphrase = signing.pkcs12_passphrase()
    made, published = 0, False
    for agency in agencies if agencies is not None else Agency.objects.filter(is_active=True):
        path = signing.pkcs12_path(agency.code)
        if path.is_file():  # made before: make sure it is published
            loaded = pkcs12.load_pkcs12(path.read_bytes(), passphrase)
            if loaded.cert is not None:
                published |= register_key(agency, pki.pem(loaded.cert.certificate), "pkcs12",
                                          publish=False)[1]
            continue
        certificate, key = pki.issue_certificate(authority, agency.name, agency.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pki.pkcs12_bytes(certificate, key, [authority.certificate], passphrase,
                                          agency.code))
        path.chmod(0o600)
        register_key(agency, pki.pem(certificate), "pkcs12", publish=False)
        made += 1
        published = True
    trust_list_signer_files()
    if published:  # one new issue of the trust list for all the new keys
        trust_list_changed("key_registered")
    return made


def register_key(agency: Agency, certificate_pem: str, backend: str, *,
                 publish: bool = True) -> tuple[IssuerKey, bool]:
    """Publish a signing certificate of ``agency`` (idempotent): (the key, whether it is new).
    A new key is published in a new issue of the trust list unless ``publish`` is false (the
    caller publishes once for many)."""
    certificate = x509.load_pem_x509_certificate(certificate_pem.encode())
    der = certificate.public_bytes(serialization.Encoding.DER)
    kid = pki.key_id(der).hex()
    algorithm = signing.algorithm_of(asn1_x509.Certificate.load(der))
    key, created = IssuerKey.objects.get_or_create(kid=kid, defaults={
        "agency": agency, "algorithm": algorithm, "backend": backend,
        "certificate": certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        "subject": certificate.subject.rfc4514_string()[:400],
        "not_before": certificate.not_valid_before_utc,
        "not_after": certificate.not_valid_after_utc})
    if created and publish:
        trust_list_changed("key_registered")
    return key, created


def revoke_key(kid: str, reason: str, *, actor: User | None = None,
               now: datetime | None = None) -> IssuerKey:
    """Mark an agency's signing key revoked (a lost token, a compromised key): it stays in the
    trust list, marked, so every verifier stops trusting what it signed once it has the new
    list; a new issue of the list is published at once. Raises ResultError."""
    reason = (reason or "").strip()
    if not reason:
        raise ResultError("Cần ghi lý do thu hồi khóa.", "reason")
    with transaction.atomic():
        key = IssuerKey.objects.select_for_update().filter(kid=kid.strip().lower()).first()
        if key is None:
            raise ResultError(f"Không có khóa {kid} trong danh sách tin cậy.", "kid")
        if key.revoked_at is not None:
            raise ResultError(f"Khóa {key.kid} đã bị thu hồi từ trước.", "kid")
        key.revoked_at = now or timezone.now()
        key.revocation_reason = reason
        key.revoked_by = actor
        key.save(update_fields=["revoked_at", "revocation_reason", "revoked_by"])
        logger.info("issuer key %s revoked", key.kid)
        trust_list_changed("key_revoked")
    return key
