"""The offline verifier of result QR codes: a plain Python module (no Django, no network) that
checks a QR text against a saved trust list.

The QR text is ``DVC1:`` followed by the base45 text of the zlib-compressed COSE_Sign1 (a CWT
claims set), as the EU Digital COVID Certificate does it (INTEGRATIONS.md "Signed QR on
results"); printed QR codes carry it inside a link to the verification page
(``…/xac-minh/?m=DVC1:…``), and either form is accepted here. The COSE signature is checked with
the ``cwt`` library against the issuer key the trust list gives for the ``kid``.

The trust list itself is signed (the EU DCC gateway's pattern: a trust anchor whose certificate
the verifier has pinned signs the list of issuer keys): a JWS in the flattened JSON form, ES256
or RS256, with the signer's certificate in ``x5c``. A verifier configures the SHA-256
fingerprints of the trust-list certificates it accepts and refuses any other list.

Usage::

    trust = open_signed_trust_list(json.load(open("trust-list.json")), anchors=["4f3c…"])
    verdict = verify(qr_text, trust)
    verdict.outcome  # "valid", "expired", "not_genuine", "unknown_issuer" or "malformed"

Revocation and replacement are online facts: the verification page adds them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import unicodedata
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from urllib.parse import parse_qs, unquote, urlsplit

import base45
import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import serialization

PREFIX = "DVC1:"
TRUST_LIST_FORMAT = "dichvucong.trust-list/1"
TRUST_LIST_JWS_TYPE = "dichvucong.trust-list+jws"
# Our claims sit under one private-use CWT claim key (RFC 8392 §4: below -65536).
CLAIMS_KEY = -70001
COSE_ALGORITHMS = {"ES256": -7, "RS256": -257}
MAX_TEXT = 4000  # a QR code holds less; anything longer is not ours

VALID, EXPIRED, NOT_GENUINE, UNKNOWN_ISSUER, MALFORMED = (
    "valid", "expired", "not_genuine", "unknown_issuer", "malformed")


@dataclass(frozen=True)
class Claims:
    """What a result's QR says. ``content_sha256`` is the hash of the rendered PDF (its first
    revision, before the signature and QR were added)."""

    issuer: str  # agency code
    document_type: str
    number: str
    holder: str  # name, partly masked
    id_hash: bytes  # SHA-256 of the ID number salted with the result number (16 bytes)
    issue_date: date
    valid_until: date | None
    content_sha256: bytes
    title: str = ""

    def to_cbor_map(self) -> dict:
        data = {"t": self.document_type, "n": self.number, "h": self.holder,
                "i": self.id_hash, "d": self.issue_date.isoformat(),
                "s": self.content_sha256, "k": self.title}
        if self.valid_until is not None:
            data["v"] = self.valid_until.isoformat()
        return data


@dataclass(frozen=True)
class TrustedKey:
    kid: bytes
    algorithm: str
    agency_code: str
    agency_name: str
    certificate_pem: str
    not_before: datetime
    not_after: datetime


@dataclass
class TrustList:
    keys: dict[bytes, TrustedKey] = field(default_factory=dict)
    roots: list[str] = field(default_factory=list)
    generated_at: str = ""
    publisher: str = ""


@dataclass(frozen=True)
class Verdict:
    outcome: str
    reason: str  # Vietnamese, for people
    claims: Claims | None = None
    key: TrustedKey | None = None
    kid: bytes = b""

    @property
    def genuine(self) -> bool:
        return self.outcome in (VALID, EXPIRED)


def id_hash(number: str, id_number: str) -> bytes:
    """The holder's ID number as the QR carries it: salted with the result number, so the same
    person's results do not share a value, and cut to 16 bytes. An inspector who is shown the ID
    card can check it matches; the QR never holds the number itself."""
    digits = "".join(ch for ch in id_number if ch.isdigit())
    return hashlib.sha256(f"dichvucong/id/1|{number}|{digits}".encode()).digest()[:16]


def mask_name(name: str) -> str:
    """NGUYỄN VĂN AN → N. V. AN: initials of the family and middle names, the given name whole
    (the holder is recognisable when shown the card, the QR says little to anyone else)."""
    parts = unicodedata.normalize("NFC", name).split()
    if len(parts) <= 1:
        return " ".join(parts)
    return " ".join([*(f"{p[0]}." for p in parts[:-1]), parts[-1]])


# --- trust list --------------------------------------------------------------------------------


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def load_trust_list(data: dict) -> TrustList:
    """Read the JSON the platform publishes at ``/xac-minh/danh-sach-tin-cay.json``."""
    if data.get("format") != TRUST_LIST_FORMAT:
        raise ValueError(f"not a {TRUST_LIST_FORMAT} document")
    trust = TrustList(roots=list(data.get("roots") or []),
                      generated_at=str(data.get("generated_at", "")),
                      publisher=str(data.get("publisher", "")))
    for entry in data.get("keys") or []:
        kid = bytes.fromhex(entry["kid"])
        certificate = x509.load_pem_x509_certificate(entry["certificate"].encode())
        # The kid is bound to the certificate: a list entry cannot lend a kid to another key.
        if hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).digest()[:8] \
                != kid:
            raise ValueError(f"kid {entry['kid']} does not match its certificate")
        trust.keys[kid] = TrustedKey(
            kid=kid, algorithm=entry["alg"], agency_code=entry["agency_code"],
            agency_name=entry.get("agency_name", ""), certificate_pem=entry["certificate"],
            not_before=_moment(entry["not_before"]), not_after=_moment(entry["not_after"]))
    return trust


class TrustListError(ValueError):
    """A trust list that must not be used (not signed, signed by a key that is not a configured
    anchor, altered, or its signer's certificate out of date)."""


def fingerprint(certificate_der: bytes) -> str:
    """SHA-256 of a certificate, lower-case hex: what a verifier pins."""
    return hashlib.sha256(certificate_der).hexdigest()


def _normalised(anchor: str) -> str:
    return anchor.replace(":", "").replace(" ", "").strip().lower()


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _jws_registry(algorithm: str):
    """joserfc's registry with room for an ``x5c`` header and a list of many agencies' keys."""
    from joserfc.jws import JWSRegistry

    registry = JWSRegistry(algorithms=[algorithm])
    registry.max_header_length = 16_384
    registry.max_payload_length = 32 * 1024 * 1024
    return registry


def _jws_key(certificate: x509.Certificate, algorithm: str):
    from joserfc.jwk import ECKey, RSAKey

    public_pem = certificate.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return (ECKey if algorithm == "ES256" else RSAKey).import_key(public_pem)


def sign_trust_list(data: dict, key_pem: bytes, certificate_pem: bytes) -> dict:
    """The signed form of a trust list (``load_trust_list``'s input) as the platform publishes
    it: a flattened JWS JSON object."""
    from joserfc import jws
    from joserfc.jwk import ECKey, RSAKey

    certificate = x509.load_pem_x509_certificate(certificate_pem)
    from cryptography.hazmat.primitives.asymmetric import ec

    algorithm = "ES256" if isinstance(certificate.public_key(), ec.EllipticCurvePublicKey) \
        else "RS256"
    key = (ECKey if algorithm == "ES256" else RSAKey).import_key(key_pem)
    der = certificate.public_bytes(serialization.Encoding.DER)
    header = {"alg": algorithm, "typ": TRUST_LIST_JWS_TYPE,
              "x5c": [base64.b64encode(der).decode("ascii")]}
    payload = json.dumps(data, ensure_ascii=False, sort_keys=True).encode()
    return dict(jws.serialize_json({"protected": header}, payload, key,
                                   registry=_jws_registry(algorithm)))


def open_signed_trust_list(document: dict, anchors: Iterable[str],
                           now: datetime | None = None) -> TrustList:
    """Check a signed trust list against the pinned anchors, then read it. Raises
    :class:`TrustListError`."""
    from joserfc import jws
    from joserfc.errors import JoseError

    now = now or datetime.now(UTC)
    pinned = {_normalised(a) for a in anchors if a.strip()}
    if not pinned:
        raise TrustListError("no trust-list anchor is configured")
    if not isinstance(document, dict) or not {"protected", "payload", "signature"} <= set(
            document):
        raise TrustListError("not a signed trust list (a JWS in flattened JSON form)")
    try:
        header = json.loads(_b64url(str(document["protected"])))
        algorithm = header["alg"]
        der = base64.b64decode(header["x5c"][0], validate=True)
        certificate = x509.load_der_x509_certificate(der)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise TrustListError("the trust list's signature header is unreadable") from exc
    if header.get("typ") != TRUST_LIST_JWS_TYPE or algorithm not in COSE_ALGORITHMS:
        raise TrustListError("not a dichvucong trust list")
    if fingerprint(der) not in pinned:
        raise TrustListError("the trust list is signed by a certificate that is not a "
                             "configured anchor")
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise TrustListError("the trust list signer's certificate is not valid now")
    try:
        signed = jws.deserialize_json(document, _jws_key(certificate, algorithm),
                                      registry=_jws_registry(algorithm))
        data = json.loads(signed.payload)
    except (JoseError, ValueError) as exc:
        raise TrustListError("the trust list's signature does not verify: it was altered") \
            from exc
    try:
        return load_trust_list(data)
    except (ValueError, KeyError, TypeError) as exc:
        raise TrustListError(f"the signed trust list is malformed: {exc}") from exc


# --- the QR text -------------------------------------------------------------------------------


def extract(text: str) -> str:
    """The ``DVC1:…`` payload from a QR text: the payload itself, or a verification link."""
    text = (text or "").strip()
    if text.upper().startswith(("HTTP://", "HTTPS://")):
        query = parse_qs(urlsplit(text).query)
        values = query.get("m") or []
        text = values[0] if values else ""
    elif not text.upper().startswith(PREFIX) and unquote(text).upper().startswith(PREFIX):
        text = unquote(text)  # the query value, copied percent-encoded from an address bar
    return text.strip()


def decode_envelope(text: str) -> bytes:
    """The COSE_Sign1 bytes inside a QR text; ValueError when it is not ours."""
    payload = extract(text)
    if len(payload) > MAX_TEXT or not payload.upper().startswith(PREFIX):
        raise ValueError("no DVC1 prefix")
    try:
        compressed = base45.b45decode(payload[len(PREFIX):])
        # A bounded inflate: a tiny input must not grow into megabytes.
        inflater = zlib.decompressobj()
        raw = inflater.decompress(bytes(compressed), 16_384)
        if inflater.unconsumed_tail:
            raise ValueError("payload too large")
        return raw
    except (ValueError, zlib.error) as exc:
        raise ValueError("not base45/zlib") from exc


def encode_envelope(cose: bytes) -> str:
    return PREFIX + base45.b45encode(zlib.compress(cose, 9)).decode("ascii")


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """What a COSE_Sign1 signs (RFC 9052 §4.4)."""
    return cbor2.dumps(["Signature1", protected, b"", payload])


def split_sign1(cose: bytes) -> tuple[bytes, dict, bytes, bytes]:
    """(protected header bytes, protected header, payload, signature); ValueError if not one."""
    try:
        item = cbor2.loads(cose)
    except Exception as exc:  # cbor2 raises several kinds on garbage
        raise ValueError("not CBOR") from exc
    if isinstance(item, cbor2.CBORTag):
        if item.tag != 18:
            raise ValueError("not a COSE_Sign1")
        item = item.value
    if not (isinstance(item, list) and len(item) == 4 and isinstance(item[0], bytes)
            and isinstance(item[2], bytes) and isinstance(item[3], bytes)):
        raise ValueError("not a COSE_Sign1")
    try:
        protected = cbor2.loads(item[0]) if item[0] else {}
    except Exception as exc:
        raise ValueError("bad protected header") from exc
    if not isinstance(protected, dict):
        raise ValueError("bad protected header")
    return item[0], protected, item[2], item[3]


def parse_claims(payload: bytes) -> tuple[Claims, dict]:
    try:
        cwt_claims = cbor2.loads(payload)
        ours = cwt_claims[CLAIMS_KEY]
        claims = Claims(
            issuer=str(cwt_claims[1]), document_type=str(ours.get("t", "")),
            number=str(ours["n"]), holder=str(ours.get("h", "")),
            id_hash=bytes(ours.get("i", b"")), issue_date=date.fromisoformat(ours["d"]),
            valid_until=date.fromisoformat(ours["v"]) if ours.get("v") else None,
            content_sha256=bytes(ours.get("s", b"")), title=str(ours.get("k", "")))
    except Exception as exc:
        raise ValueError("bad claims") from exc
    return claims, cwt_claims


def _check_signature(cose: bytes, key: TrustedKey) -> bool:
    """The COSE signature, checked by the ``cwt`` library with the issuer's public key."""
    import cwt

    certificate = x509.load_pem_x509_certificate(key.certificate_pem.encode())
    public_pem = certificate.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    cose_key = cwt.COSEKey.from_pem(public_pem, alg=key.algorithm, kid=key.kid)
    try:
        cwt.COSE.new(verify_kid=True).decode(cose, cose_key)
    except Exception:  # cwt.VerifyError, DecodeError: either way not genuine
        return False
    return True


def verify(text: str, trust: TrustList, today: date | None = None) -> Verdict:
    """Check a QR text against the trust list alone."""
    today = today or datetime.now(UTC).date()
    try:
        cose = decode_envelope(text)
        _protected_bytes, protected, payload, _signature = split_sign1(cose)
    except ValueError:
        return Verdict(MALFORMED, "Nội dung này không phải mã QR kết quả giải quyết của "
                                  "Cổng dịch vụ công.")
    kid = protected.get(4, b"")
    kid = kid if isinstance(kid, bytes) else b""
    key = trust.keys.get(kid)
    if key is None:
        return Verdict(UNKNOWN_ISSUER, "Mã QR được ký bằng một khóa không có trong danh sách "
                                       "cơ quan cấp tin cậy: không phải giấy tờ thật.", kid=kid)
    if protected.get(1) != COSE_ALGORITHMS.get(key.algorithm) or not _check_signature(cose, key):
        return Verdict(NOT_GENUINE, "Chữ ký của mã QR không đúng: nội dung đã bị sửa hoặc "
                                    "giả mạo.", key=key, kid=kid)
    try:
        claims, raw = parse_claims(payload)
    except ValueError:
        return Verdict(NOT_GENUINE, "Nội dung mã QR không đọc được.", key=key, kid=kid)
    issued_at = raw.get(6)
    if claims.issuer != key.agency_code or not isinstance(issued_at, int) or not (
            key.not_before <= datetime.fromtimestamp(issued_at, UTC) <= key.not_after):
        return Verdict(NOT_GENUINE, "Cơ quan cấp hoặc thời điểm ký không khớp với chứng thư "
                                    "số của cơ quan.", claims=claims, key=key, kid=kid)
    if claims.valid_until is not None and claims.valid_until < today:
        return Verdict(EXPIRED, "Giấy tờ thật nhưng đã hết thời hạn sử dụng.", claims=claims,
                       key=key, kid=kid)
    return Verdict(VALID, "Giấy tờ thật, do cơ quan có thẩm quyền cấp, còn thời hạn.",
                   claims=claims, key=key, kid=kid)


def hex_digest(data: bytes) -> str:
    return data.hex()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


_PAYLOAD_CHARS = re.compile(r"^[0-9A-Z $%*+\-./:]+$")


def looks_like_payload(text: str) -> bool:
    return bool(_PAYLOAD_CHARS.match(extract(text)))
