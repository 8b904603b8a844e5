"""Real signing services for the results tests.

- :class:`CscService`: ``certomancer-csc-dummy`` (a CSC API v1 server built on Certomancer)
  running as a real HTTP server on a free local port, with a Certomancer configuration generated
  for the test (a root CA and one signing certificate per agency, ECDSA P-256). The dummy has no
  authentication of its own; the test server puts the CSC ``auth/login`` endpoint (HTTP Basic →
  access token) and the Bearer check of every other endpoint but ``info`` in front of it, as a
  real service does, so wrong credentials can be tried.
- citizens' credentials (``certomancer_config(citizens=…)``): each citizen's certificate
  carries their CCCD in the subject's serialNumber («CCCD:<12 digits>») and a CRL distribution
  point at the test server, which serves the root's CRL (a certificate marked ``revoked`` is on
  it). The server lists a user's credentials by ``userID``, sends a one-time code per
  ``credentials/sendOTP`` (kept in ``phone``: what the citizen's phone receives), checks it in
  ``credentials/authorize`` (SCAL 2) and refuses a SAD older than ``sad_lifetime`` seconds.
- :func:`softhsm_token`: a SoftHSM2 token initialised in a temporary ``SOFTHSM2_CONF``, holding
  an agency's key and certificate labelled with the agency's code.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import secrets
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

ARCH = "dichvucong"
SOFTHSM_MODULES = ("/usr/lib/softhsm/libsofthsm2.so",
                   "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so")


def _write_key(path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))


@dataclass(frozen=True)
class Citizen:
    """A citizen's certificate at the test service: labelled ``label`` (its credential is
    ``dichvucong/<label>``), issued to ``name`` with ``id_number`` in the serialNumber."""

    label: str
    name: str
    id_number: str
    revoked: bool = False


URL_PLACEHOLDER = "http://csc.invalid"  # the server's own address, known once it listens


def certomancer_config(folder: Path, agencies: dict[str, str],
                       citizens: list[Citizen] = ()) -> Path:
    """A Certomancer configuration: a root CA ("root") and, for each agency code → name, a
    document-signing certificate labelled with the code; for each citizen, a personal one with
    a CRL distribution point. Returns the YAML file's path."""
    folder.mkdir(parents=True, exist_ok=True)
    keys = folder / "keys"
    keys.mkdir(exist_ok=True)
    now = datetime.now(UTC)
    stamp = "%Y-%m-%dT%H:%M:%S+0000"
    valid = {"valid-from": (now - timedelta(days=1)).strftime(stamp),
             "valid-to": (now + timedelta(days=730)).strftime(stamp)}
    key_entries = {"root": {"path": "root.key.pem"}}
    _write_key(keys / "root.key.pem")
    entities = {"root": {"common-name": "dichvucong CSC Test Root"}}
    certs: dict = {"root": {
        "subject": "root", "subject-key": "root", "issuer": "root", "authority-key": "root",
        "validity": valid,
        "extensions": [
            {"id": "basic_constraints", "critical": True, "value": {"ca": True}},
            {"id": "key_usage", "critical": True, "smart-value": {
                "schema": "key-usage", "params": ["digital_signature", "key_cert_sign",
                                                  "crl_sign"]}}]}}
    for index, (code, name) in enumerate(agencies.items()):
        label = f"agency{index}"
        _write_key(keys / f"{label}.key.pem")
        key_entries[label] = {"path": f"{label}.key.pem"}
        entities[label] = {"common-name": name, "organization-name": name}
        certs[code] = {
            "subject": label, "subject-key": label, "issuer": "root", "authority-key": "root",
            "validity": valid,
            "extensions": [
                {"id": "key_usage", "critical": True, "smart-value": {
                    "schema": "key-usage", "params": ["digital_signature", "non_repudiation"]}},
                {"id": "extended_key_usage", "value": ["email_protection"]}]}
    for citizen in citizens:
        _write_key(keys / f"{citizen.label}.key.pem")
        key_entries[citizen.label] = {"path": f"{citizen.label}.key.pem"}
        # Vietnamese CAs put the holder's ID number in the subject (serialNumber, or UID).
        entities[citizen.label] = {"common-name": citizen.name,
                                   "serial-number": f"CCCD:{citizen.id_number}"}
        certs[citizen.label] = {
            "subject": citizen.label, "subject-key": citizen.label, "issuer": "root",
            "authority-key": "root", "validity": valid,
            "extensions": [
                {"id": "key_usage", "critical": True, "smart-value": {
                    "schema": "key-usage", "params": ["digital_signature", "non_repudiation"]}},
                {"id": "crl_distribution_points", "smart-value": {
                    "schema": "crl-dist-url", "params": {"crl-repo-names": ["root"]}}}]}
        if citizen.revoked:
            certs[citizen.label]["revocation"] = {"revoked-since": valid["valid-from"],
                                                  "reason": "key_compromise"}
    config = {
        "external-url-prefix": URL_PLACEHOLDER,
        "keysets": {ARCH: {"path-prefix": "keys", "keys": key_entries}},
        "pki-architectures": {ARCH: {
            "keyset": ARCH, "entity-defaults": {"country-name": "VN"},
            "entities": entities, "certs": certs,
            "services": {"crl-repo": {"root": {"for-issuer": "root", "signing-key": "root",
                                               "simulated-update-schedule": "P30D"}}}}},
    }
    # JSON is YAML: Certomancer reads it as is.
    path = folder / "certomancer.yml"
    path.write_text(json.dumps(config, ensure_ascii=False, indent=1))
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class CscService:
    """certomancer-csc-dummy behind CSC ``auth/login``, served from a thread of its own."""

    config_path: Path
    username: str = "ky-so-ket-qua"
    password: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    scal: int = 2
    requests: list[str] = field(default_factory=list)
    port: int = 0
    # Armed: the next signHash is held (``held`` set) until ``release``; to kill a signer there.
    hold: threading.Event = field(default_factory=threading.Event)
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    # Citizens: userID (the CCCD) → their credential IDs; the codes sent to the phone, in order;
    # a SAD older than this many seconds is refused as expired.
    users: dict[str, list[str]] = field(default_factory=dict)
    phone: list[str] = field(default_factory=list)
    sad_lifetime: float = 300.0
    _codes: dict[str, str] = field(default_factory=dict)
    _sads: dict[str, float] = field(default_factory=dict)
    _token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _runner: object = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def root_pem(self) -> str:
        from asn1crypto import pem
        from certomancer.registry import CertomancerConfig

        arch = CertomancerConfig.from_file(str(self.config_path)).get_pki_arch(ARCH)
        return pem.armor("CERTIFICATE", arch.get_cert("root").dump()).decode("ascii")

    def _app(self):
        from aiohttp import web
        from certomancer.registry import CertomancerConfig
        from csc_dummy.csc_dummy_server import CSCWithCertomancer, DummyServiceParams

        config = CertomancerConfig.from_file(str(self.config_path))
        csc = CSCWithCertomancer(config, service_params=DummyServiceParams(
            hash_pinning_required=self.scal >= 2))

        async def login(request: web.Request) -> web.Response:
            expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
            if request.headers.get("Authorization") != f"Basic {expected}":
                raise web.HTTPUnauthorized()
            return web.json_response({"access_token": self._token, "expires_in": 3600})

        @web.middleware
        async def bearer(request: web.Request, handler):
            self.requests.append(request.path.removeprefix("/csc/v1/"))
            open_paths = ("/info", "/csc/v1/info", "/csc/v1/auth/login")
            if request.path.startswith("/csc/v1/") and request.path not in open_paths and \
                    request.headers.get("Authorization") != f"Bearer {self._token}":
                raise web.HTTPUnauthorized()
            citizen = await self._citizen_step(request)
            if citizen is not None:
                return citizen
            if request.path.endswith("signatures/signHash") and self.hold.is_set():
                self.hold.clear()
                self.held.set()
                await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 60)
            return await handler(request)

        async def crl(request: web.Request) -> web.Response:
            arch = CertomancerConfig.from_file(str(self.config_path)).get_pki_arch(ARCH)
            return web.Response(body=arch.service_registry.get_crl("root").dump(),
                                content_type="application/pkix-crl")

        csc.app.router.add_get(f"/{ARCH}/crls/root/latest.crl", crl)
        csc.app.middlewares.append(bearer)
        csc.app.add_routes([web.post("/csc/v1/auth/login", login)])
        csc.register_routes()
        return csc.app

    async def _citizen_step(self, request):
        """Per-user listing, one-time codes and SAD expiry (None: the dummy answers)."""
        from aiohttp import web

        step = request.path.removeprefix("/csc/v1/")
        if step not in ("credentials/list", "credentials/sendOTP", "credentials/authorize",
                        "signatures/signHash"):
            return None
        params = await request.json()
        credential = str(params.get("credentialID", ""))
        owners = {c for owned in self.users.values() for c in owned}

        def refuse(error: str, description: str) -> web.Response:
            return web.json_response({"error": error, "error_description": description},
                                     status=400)

        if step == "credentials/list" and "userID" in params:
            return web.json_response(
                {"credentialIDs": self.users.get(str(params["userID"]), [])})
        if step == "credentials/sendOTP":
            if credential not in owners:
                return refuse("invalid_request", "Invalid parameter credentialID")
            self._codes[credential] = f"{secrets.randbelow(10**6):06d}"
            self.phone.append(self._codes[credential])
            return web.Response(status=204)
        if step == "credentials/authorize" and credential in owners:
            # One code, one use, for this credential only.
            if not params.get("OTP") or self._codes.pop(credential, None) != params["OTP"]:
                return refuse("invalid_otp", "The OTP is invalid")
            response = await self._handler_for(request)(request)
            self._sads[json.loads(response.body)["SAD"]] = time.monotonic()
            return response
        if step == "signatures/signHash" and credential in owners:
            issued = self._sads.get(str(params.get("SAD", "")))
            if issued is None or time.monotonic() - issued >= self.sad_lifetime:
                return refuse("invalid_request", "SAD expired")
        return None

    @staticmethod
    def _handler_for(request):
        return request.match_info.handler

    def start(self) -> CscService:
        from aiohttp import web

        ready = threading.Event()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        # The CRL distribution points name this server.
        text = self.config_path.read_text()
        if URL_PLACEHOLDER in text:
            self.config_path.write_text(text.replace(URL_PLACEHOLDER, self.url))

        async def serve():
            self._runner = web.AppRunner(self._app())
            await self._runner.setup()
            await web.SockSite(self._runner, sock).start()
            ready.set()

        def run():
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(serve())
            self._loop.run_forever()
            self._loop.run_until_complete(self._runner.cleanup())
            self._loop.close()

        self._thread = threading.Thread(target=run, name="csc-dummy", daemon=True)
        self._thread.start()
        if not ready.wait(30):
            raise RuntimeError("the CSC test server did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(30)
            self._loop = self._thread = None


# --- SoftHSM2 ----------------------------------------------------------------------------------


def softhsm_module() -> str | None:
    return next((path for path in SOFTHSM_MODULES if Path(path).is_file()), None)


@dataclass(frozen=True)
class Token:
    module: str
    label: str
    pin: str
    conf: Path


def softhsm_token(folder: Path, label: str = "dichvucong-test") -> Token:
    """A fresh SoftHSM2 token in ``folder`` (its own ``softhsm2.conf`` and token directory);
    ``SOFTHSM2_CONF`` is set for this process, which SoftHSM reads when first loaded."""
    module = softhsm_module()
    assert module and shutil.which("softhsm2-util")
    tokens = folder / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\n"
                    "log.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    pin = secrets.token_hex(4)
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", label,
                    "--so-pin", secrets.token_hex(4), "--pin", pin], check=True,
                   capture_output=True, env={**os.environ, "SOFTHSM2_CONF": str(conf)})
    return Token(module=module, label=label, pin=pin, conf=conf)


def import_agency_key(token: Token, code: str, certificate_der: bytes,
                      key: ec.EllipticCurvePrivateKey, folder: Path) -> None:
    """The agency's private key (softhsm2-util --import, PKCS#8) and its certificate (a PKCS#11
    certificate object made with python-pkcs11), both labelled with the agency's code."""
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    key_file = folder / f"{code}.key.pem"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_id = secrets.token_hex(4)
    subprocess.run(["softhsm2-util", "--import", str(key_file), "--token", token.label,
                    "--label", code, "--id", key_id, "--pin", token.pin], check=True,
                   capture_output=True, env={**os.environ, "SOFTHSM2_CONF": str(token.conf)})
    key_file.unlink()
    from asn1crypto import x509 as asn1_x509

    certificate = asn1_x509.Certificate.load(certificate_der)
    lib = pkcs11.lib(token.module)
    with lib.get_token(token_label=token.label).open(rw=True, user_pin=token.pin) as session:
        session.create_object({
            Attribute.CLASS: ObjectClass.CERTIFICATE,
            Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
            Attribute.TOKEN: True,
            Attribute.LABEL: code,
            Attribute.ID: bytes.fromhex(key_id),
            Attribute.SUBJECT: certificate.subject.dump(),
            Attribute.ISSUER: certificate.issuer.dump(),
            Attribute.SERIAL_NUMBER: certificate["tbs_certificate"]["serial_number"].dump(),
            Attribute.VALUE: certificate_der,
        })


def citizens_service(settings, folder: Path, citizens: list[Citizen],
                     users: dict[str, list[str]]) -> CscService:
    """A started service holding ``citizens``' certificates (``users``: CCCD → credential IDs),
    configured as the one citizens sign their declarations with (stop it when done)."""
    service = CscService(certomancer_config(folder / "csc", {}, citizens))
    service.users = users
    service.start()
    roots = folder / "citizen-roots.pem"
    roots.write_text(service.root_pem())
    settings.DECLARATION_CSC_URL = service.url
    settings.DECLARATION_CSC_USERNAME = service.username
    settings.DECLARATION_CSC_PASSWORD = service.password
    settings.DECLARATION_TRUST_ROOTS = [str(roots)]
    return service
