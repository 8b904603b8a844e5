"""Signer backends behind one interface, chosen by ``settings.RESULTS_SIGNER``:

- ``pkcs12`` (default): a PKCS#12 file per agency, ``<RESULTS_PKI_DIR>/agencies/<code>.p12``;
- ``pkcs11``: a key and certificate labelled with the agency's code on a PKCS#11 token
  (an HSM, a USB token; SoftHSM in tests);
- ``csc``: a remote signing service speaking the Cloud Signature Consortium API v1
  (docs/architecture.md «Integrations»): ``auth/login`` (ours, when a user name is configured),
  ``credentials/info`` for the certificates, ``credentials/authorize`` for the SAD bound to the
  hashes, and pyHanko's ``CSCSigner`` for ``signatures/signHash``.

Each backend opens a pyHanko :class:`~pyhanko.sign.Signer` for an agency, as an async context
manager; everything else (the PAdES signature of the PDF, the COSE signature of the QR payload)
goes through that Signer's ``async_sign_raw``, so every backend signs both the same way.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import io
import secrets
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import aiohttp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from django.conf import settings
from pyhanko.sign import signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.csc_signer import (
    CSCAuthorizationManager,
    CSCServiceSessionInfo,
    CSCSigner,
    fetch_certs_in_csc_credential,
)


class SigningUnavailable(Exception):
    """The agency cannot sign now; ``message`` is Vietnamese, for the officer."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class AgencyRef:
    """What a backend needs to know of the agency (a model instance fits)."""

    code: str
    name: str


class Backend(Protocol):
    name: str

    def open(self, agency: AgencyRef) -> contextlib.AbstractAsyncContextManager[
            signers.Signer]: ...


def algorithm_of(certificate: asn1_x509.Certificate) -> str:
    """The COSE algorithm a certificate's key signs with: ES256 (P-256) or RS256 (RSA)."""
    public_key = certificate.public_key
    if public_key.algorithm == "ec":
        if public_key.curve[1] != "secp256r1":
            raise SigningUnavailable("Khóa ký phải là ECDSA P-256 hoặc RSA.")
        return "ES256"
    if public_key.algorithm == "rsa":
        return "RS256"
    raise SigningUnavailable("Khóa ký phải là ECDSA P-256 hoặc RSA.")


async def sign_raw(signer: signers.Signer, data: bytes) -> bytes:
    """Sign ``data`` (SHA-256) as COSE wants it: ECDSA as the raw r‖s, RSA as is."""
    signature = await signer.async_sign_raw(data, "sha256")
    if algorithm_of(signer.signing_cert) == "ES256":
        r, s = decode_dss_signature(signature)
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return signature


def run_async(coroutine_function, *args):
    """Run pyHanko's async API from sync code, also when this thread already runs an event loop
    (then in a short-lived thread of its own)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine_function(*args))
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(coroutine_function(*args))).result()


# --- PKCS#12 -----------------------------------------------------------------------------------


def pkcs12_passphrase() -> bytes:
    """From the environment; in demo and test mode a generated one kept beside the keys."""
    if settings.RESULTS_PKCS12_PASSWORD:
        return settings.RESULTS_PKCS12_PASSWORD.encode()
    if settings.MODE == "production":
        raise SigningUnavailable("Chưa cấu hình mật khẩu tệp khóa ký "
                                 "(DICHVUCONG_RESULTS_PKCS12_PASSWORD).")
    folder = Path(settings.RESULTS_PKI_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    secret = folder / "pkcs12-passphrase"
    if not secret.exists():
        secret.write_text(secrets.token_urlsafe(24))
        secret.chmod(0o600)
    return secret.read_text().strip().encode()


def pkcs12_path(code: str) -> Path:
    return Path(settings.RESULTS_PKI_DIR) / "agencies" / f"{code}.p12"


class Pkcs12Backend:
    name = "pkcs12"

    @contextlib.asynccontextmanager
    async def open(self, agency: AgencyRef) -> AsyncIterator[signers.Signer]:
        path = pkcs12_path(agency.code)
        if not path.is_file():
            raise SigningUnavailable(
                f"Cơ quan «{agency.name}» chưa có chứng thư số để ký kết quả.")
        signer = signers.SimpleSigner.load_pkcs12(str(path), passphrase=pkcs12_passphrase())
        if signer is None:
            raise SigningUnavailable(f"Không đọc được tệp khóa ký của «{agency.name}».")
        yield signer


# --- PKCS#11 -----------------------------------------------------------------------------------


class Pkcs11Backend:
    """The key and the certificate carry the agency's code as their label."""

    name = "pkcs11"

    @contextlib.asynccontextmanager
    async def open(self, agency: AgencyRef) -> AsyncIterator[signers.Signer]:
        # Only this backend needs python-pkcs11's native library (~45 ms): loaded when chosen.
        from pyhanko.config.pkcs11 import TokenCriteria
        from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

        if not settings.RESULTS_PKCS11_MODULE:
            raise SigningUnavailable("Chưa cấu hình thư viện PKCS#11 "
                                     "(DICHVUCONG_RESULTS_PKCS11_MODULE).")
        try:
            session = open_pkcs11_session(
                settings.RESULTS_PKCS11_MODULE,
                token_criteria=TokenCriteria(label=settings.RESULTS_PKCS11_TOKEN or None),
                user_pin=settings.RESULTS_PKCS11_PIN or None)
        except Exception as exc:
            raise SigningUnavailable("Không mở được thiết bị ký số (PKCS#11).") from exc
        try:
            yield PKCS11Signer(session, key_label=agency.code, cert_label=agency.code,
                               use_raw_mechanism=settings.RESULTS_PKCS11_RAW)
        finally:
            session.close()


# --- CSC remote signing ------------------------------------------------------------------------


def csc_failure(exc: BaseException | None, credential: str) -> SigningUnavailable:
    """The officer's sentence for a failed exchange with the remote signing service: pyHanko
    wraps aiohttp's errors in ``SigningError``, so the cause chain is searched for the HTTP
    status or the connection error."""
    seen = exc
    while seen is not None:
        if isinstance(seen, aiohttp.ClientResponseError):
            if seen.status in (401, 403):
                return SigningUnavailable(
                    "Dịch vụ ký số từ xa từ chối đăng nhập: sai tài khoản, mật khẩu hoặc mã truy "
                    "cập (DICHVUCONG_CSC_…). Sửa cấu hình rồi bấm «Ký lại».")
            if seen.status == 404:
                return SigningUnavailable(
                    f"Dịch vụ ký số từ xa không có chứng thư «{credential}» của cơ quan.")
            return SigningUnavailable(
                f"Dịch vụ ký số từ xa từ chối yêu cầu ký (HTTP {seen.status}).")
        if isinstance(seen, (aiohttp.ClientConnectionError, OSError, TimeoutError)):
            return SigningUnavailable(
                "Không kết nối được dịch vụ ký số từ xa. Hãy thử ký lại sau ít phút.")
        seen = seen.__cause__ or seen.__context__
    return SigningUnavailable("Dịch vụ ký số từ xa không ký được kết quả; hãy thử ký lại.")


class _HashBoundAuthorization:
    """Asks ``credentials/authorize`` for a SAD bound to exactly the hashes about to be signed
    (SCAL 2), for each signing request."""

    def __new__(cls, session, session_info, credential_info, pin: str | None):
        class Manager(CSCAuthorizationManager):
            async def authorize_signature(self, hash_b64s):
                request = self.format_csc_auth_request(
                    hash_b64s=hash_b64s, pin=pin,
                    description="dichvucong: ký kết quả giải quyết")
                try:
                    async with session.post(
                            self.csc_session_info.endpoint_url("credentials/authorize"),
                            headers=self.auth_headers, json=request, raise_for_status=True,
                            timeout=aiohttp.ClientTimeout(total=30)) as response:
                        return self.parse_csc_auth_response(await response.json())
                except aiohttp.ClientError as exc:
                    raise SigningError("credentials/authorize failed") from exc

        return Manager(session_info, credential_info)


async def csc_login(session, base_url: str, username: str, password: str) -> str:
    """``auth/login`` with HTTP Basic credentials: the access token (CSC API v1 §11.2)."""
    auth = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    async with session.post(f"{base_url}/csc/v1/auth/login",
                            headers={"Authorization": f"Basic {auth}"},
                            json={"rememberMe": False}, raise_for_status=True,
                            timeout=aiohttp.ClientTimeout(total=30)) as response:
        data = await response.json()
    token = data.get("access_token")
    if not token:
        raise SigningUnavailable("Dịch vụ ký số từ xa không cấp mã truy cập.")
    return str(token)


def _csc_signer(session, manager, failures: list[BaseException]):
    """pyHanko's CSCSigner, keeping the error of a failed ``signatures/signHash`` round: pyHanko
    only logs it and then reports "no signing results", which would lose the cause."""
    class Signer(CSCSigner):
        async def commit(self):
            try:
                await super().commit()
            except SigningError as exc:
                failures.append(exc)
                raise

    return Signer(session, manager)


class CscBackend:
    name = "csc"

    @contextlib.asynccontextmanager
    async def open(self, agency: AgencyRef) -> AsyncIterator[signers.Signer]:
        base = settings.RESULTS_CSC_URL.rstrip("/")
        if not base:
            raise SigningUnavailable("Chưa cấu hình dịch vụ ký số từ xa (DICHVUCONG_CSC_URL).")
        credential = settings.RESULTS_CSC_CREDENTIAL.format(agency=agency.code)
        failures: list[BaseException] = []
        try:
            async with aiohttp.ClientSession() as session:
                token = settings.RESULTS_CSC_TOKEN or None
                if settings.RESULTS_CSC_USERNAME:
                    token = await csc_login(session, base, settings.RESULTS_CSC_USERNAME,
                                            settings.RESULTS_CSC_PASSWORD)
                info = CSCServiceSessionInfo(base, credential, oauth_token=token)
                credential_info = await fetch_certs_in_csc_credential(session, info)
                manager = _HashBoundAuthorization(session, info, credential_info,
                                                  settings.RESULTS_CSC_PIN or None)
                yield _csc_signer(session, manager, failures)
        except SigningUnavailable:
            raise
        except (aiohttp.ClientError, OSError, TimeoutError, SigningError) as exc:
            raise csc_failure(failures[-1] if failures else exc, credential) from exc


BACKENDS: dict[str, type] = {"pkcs12": Pkcs12Backend, "pkcs11": Pkcs11Backend,
                             "csc": CscBackend}


def backend(name: str | None = None) -> Backend:
    name = name or settings.RESULTS_SIGNER
    try:
        return BACKENDS[name]()
    except KeyError:
        raise SigningUnavailable(f"Không có cách ký «{name}» (pkcs12, pkcs11, csc).") from None



def sign_with_key(pdf: bytes, key_pem: bytes, certificate_pem: bytes, name: str) -> bytes:
    """``pdf`` with a PAdES signature made by a key and certificate held in memory: what a
    third-party issuer (a clinic's own system) does before depositing a document; the demo data
    and the tests play that issuer with it."""
    from asn1crypto import keys as asn1_keys
    from asn1crypto import pem as asn1_pem
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields as sig_fields
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    def der(text: bytes) -> bytes:
        return asn1_pem.unarmor(text)[2]

    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(der(certificate_pem)),
        signing_key=asn1_keys.PrivateKeyInfo.load(der(key_pem)),
        cert_registry=SimpleCertificateStore())
    meta = signers.PdfSignatureMetadata(field_name="ChuKySo", name=name,
                                        subfilter=sig_fields.SigSeedSubFilter.PADES)
    output = io.BytesIO()
    run_async(functools.partial(signers.PdfSigner(meta, signer).async_sign_pdf,
                                IncrementalPdfFileWriter(io.BytesIO(pdf)), output=output))
    return output.getvalue()
