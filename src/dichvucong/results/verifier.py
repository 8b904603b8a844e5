"""The offline verifier of result QR codes: a plain Python module (no Django, no network) that
checks a QR text against a saved trust list.

The QR text is ``DVC1:`` followed by the base45 text of the zlib-compressed COSE_Sign1 (a CWT
claims set), as the EU Digital COVID Certificate does it (docs/architecture.md «Integrations»,
"Signed QR on results"); printed QR codes carry it inside a link to the verification page
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

Like a CRL, each list carries an issue time, a ``next_update`` and a sequence number that only
grows: :func:`open_signed_trust_list` refuses a list past its ``next_update`` (beyond a grace,
inside which it is accepted with a warning) and, given the highest sequence the verifier has
accepted before, a list older than that one (a replayed list from before a key or a result was
revoked). The list also names revoked keys and the revoked or replaced results that are still
within their validity, so an offline verifier with a fresh list knows them too; the online page
adds the live status.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import unicodedata
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import base45
import cbor2
import cwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey
from joserfc.jws import JWSRegistry

PREFIX = "DVC1:"
TRUST_LIST_FORMAT = "dichvucong.trust-list/1"
TRUST_LIST_JWS_TYPE = "dichvucong.trust-list+jws"
# Our claims sit under one private-use CWT claim key (RFC 8392 §4: below -65536).
CLAIMS_KEY = -70001
COSE_ALGORITHMS = {"ES256": -7, "RS256": -257}
MAX_TEXT = 4000  # a QR code holds less; anything longer is not ours

VALID, EXPIRED, NOT_GENUINE, UNKNOWN_ISSUER, MALFORMED = (
    "valid", "expired", "not_genuine", "unknown_issuer", "malformed")
REVOKED, REPLACED = "revoked", "replaced"
TRUST_LIST_REFUSED = "trust_list_refused"  # the offline command's verdict when no list is usable
DEFAULT_GRACE = timedelta(hours=24)
CLOCK_SKEW = timedelta(minutes=10)  # a list issued a little "in the future" is a clock skew


def gettext_noop(text: str) -> str:
    """Marks a Vietnamese msgid for ``makemessages`` without importing Django: callers translate
    the template (``gettext(template) % params``), this module stays plain Python."""
    return text


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
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class RevokedResult:
    number: str
    kid: str  # hex; empty when the list does not say
    status: str  # revoked or replaced
    since: str = ""


@dataclass
class TrustList:
    keys: dict[bytes, TrustedKey] = field(default_factory=dict)
    roots: list[str] = field(default_factory=list)
    generated_at: str = ""
    publisher: str = ""
    sequence: int = 0
    issued_at: datetime | None = None
    next_update: datetime | None = None
    revoked: dict[str, RevokedResult] = field(default_factory=dict)
    # Set by open_signed_trust_list when the list is past next_update but inside the grace.
    warning: TrustListMessage | None = None


@dataclass(frozen=True)
class TrustListMessage:
    """A localisable sentence about the trust list: ``template`` is a Vietnamese msgid with
    ``%(name)s`` placeholders; ``text`` is it in Vietnamese, ``localised(gettext)`` in the active
    language."""

    code: str
    template: str
    params: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.template % self.params

    def localised(self, gettext) -> str:
        return gettext(self.template) % self.params


@dataclass(frozen=True)
class Verdict:
    outcome: str
    reason: str  # Vietnamese, for people
    claims: Claims | None = None
    key: TrustedKey | None = None
    kid: bytes = b""
    warning: TrustListMessage | None = None  # the list was accepted inside its grace

    @property
    def genuine(self) -> bool:
        return self.outcome in (VALID, EXPIRED, REVOKED, REPLACED)


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
    """Read the payload of the list the platform publishes at ``/xac-minh/danh-sach-tin-cay.json``
    (data already authenticated: a published list goes through :func:`open_signed_trust_list`,
    which also judges its freshness)."""
    if data.get("format") != TRUST_LIST_FORMAT:
        raise ValueError(f"not a {TRUST_LIST_FORMAT} document")
    sequence = data.get("sequence", 0)
    if not isinstance(sequence, int) or isinstance(sequence, bool) or sequence < 0:
        raise ValueError("the sequence is not a whole number")
    trust = TrustList(roots=list(data.get("roots") or []),
                      generated_at=str(data.get("generated_at", "")),
                      publisher=str(data.get("publisher", "")), sequence=sequence,
                      issued_at=_moment(data["issued_at"]) if data.get("issued_at") else None,
                      next_update=_moment(data["next_update"]) if data.get("next_update")
                      else None)
    for entry in data.get("revoked_results") or []:
        if entry.get("status") not in (REVOKED, REPLACED):
            raise ValueError(f"unknown result status {entry.get('status')!r}")
        trust.revoked[str(entry["number"])] = RevokedResult(
            number=str(entry["number"]), kid=str(entry.get("kid", "")),
            status=entry["status"], since=str(entry.get("since", "")))
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
            not_before=_moment(entry["not_before"]), not_after=_moment(entry["not_after"]),
            revoked_at=_moment(entry["revoked_at"]) if entry.get("revoked_at") else None)
    return trust


# Why a list is refused or only just accepted: Vietnamese msgids (English through the results
# app's catalogue), with the facts a verifier needs to act on.
MESSAGES = {
    "no_anchor": gettext_noop(
        "Chưa cấu hình chứng thư ký danh sách tin cậy nào để đối chiếu (dấu vân tay SHA-256)."),
    "not_signed": gettext_noop(
        "Tệp này không phải danh sách tin cậy có chữ ký số của Cổng dịch vụ công."),
    "foreign": gettext_noop(
        "Danh sách tin cậy được ký bằng chứng thư không nằm trong các chứng thư đã cấu hình: "
        "không dùng được."),
    "signer_expired": gettext_noop(
        "Chứng thư ký danh sách tin cậy không còn hiệu lực vào lúc này."),
    "altered": gettext_noop(
        "Chữ ký của danh sách tin cậy không đúng: danh sách đã bị sửa."),
    "malformed": gettext_noop("Danh sách tin cậy có chữ ký nhưng nội dung sai định dạng."),
    "undated": gettext_noop(
        "Danh sách tin cậy không ghi số thứ tự, thời điểm phát hành và hạn cập nhật: không xác "
        "định được danh sách còn mới hay không, nên không dùng."),
    "from_the_future": gettext_noop(
        "Danh sách tin cậy số %(sequence)s ghi phát hành lúc %(issued_at)s, sau thời điểm hiện "
        "tại: hãy kiểm tra đồng hồ của máy."),
    "expired": gettext_noop(
        "Danh sách tin cậy số %(sequence)s đã hết hạn lúc %(next_update)s (đã quá cả %(grace)s "
        "giờ gia hạn): danh sách cũ có thể thiếu các khóa và kết quả đã bị thu hồi. Hãy tải "
        "danh sách mới tại %(publisher)s rồi kiểm tra lại."),
    "in_grace": gettext_noop(
        "Cảnh báo: danh sách tin cậy số %(sequence)s đã quá hạn cập nhật lúc %(next_update)s; "
        "vẫn dùng trong thời gian gia hạn đến %(grace_end)s. Hãy tải danh sách mới tại "
        "%(publisher)s sớm."),
    "rolled_back": gettext_noop(
        "Danh sách tin cậy số %(sequence)s cũ hơn danh sách số %(last_sequence)s mà máy này đã "
        "dùng: có thể là danh sách cũ bị phát lại, nên không dùng."),
}


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%d/%m/%Y %H:%M UTC")


class TrustListError(ValueError):
    """A trust list that must not be used (not signed, signed by a key that is not a configured
    anchor, altered, its signer's certificate out of date, past its next update, or older than
    one accepted before). ``str()`` is the technical detail (English); ``message`` the sentence
    for people (Vietnamese msgid, localisable)."""

    def __init__(self, detail: str, code: str = "malformed", **params) -> None:
        super().__init__(detail)
        self.code = code
        self.message = TrustListMessage(code, MESSAGES[code], params)


def check_freshness(trust: TrustList, now: datetime, *, grace: timedelta = DEFAULT_GRACE,
                    last_sequence: int | None = None) -> TrustListMessage | None:
    """Judge a list as a CRL is judged: refuse (TrustListError) a list without a sequence and
    dates, issued after ``now``, past ``next_update`` + ``grace``, or with a lower sequence than
    ``last_sequence`` (the highest this verifier accepted); return a warning for a list past
    ``next_update`` but inside the grace; None when it is simply fresh."""
    if trust.sequence < 1 or trust.issued_at is None or trust.next_update is None:
        raise TrustListError("the trust list has no sequence, issue time or next update",
                             "undated")
    facts = {"sequence": trust.sequence, "next_update": _when(trust.next_update),
             "publisher": trust.publisher or "?"}
    if last_sequence is not None and trust.sequence < last_sequence:
        raise TrustListError(f"rolled back: sequence {trust.sequence} is lower than "
                             f"{last_sequence}, accepted before", "rolled_back",
                             **facts, last_sequence=last_sequence)
    if trust.issued_at > now + CLOCK_SKEW:
        raise TrustListError("the trust list was issued in the future", "from_the_future",
                             sequence=trust.sequence, issued_at=_when(trust.issued_at))
    if now > trust.next_update + grace:
        hours = grace.total_seconds() / 3600
        raise TrustListError(f"expired: the trust list's next update was due at "
                             f"{trust.next_update.isoformat()}", "expired", **facts,
                             grace=f"{hours:g}")
    if now > trust.next_update:
        return TrustListMessage("in_grace", MESSAGES["in_grace"],
                                facts | {"grace_end": _when(trust.next_update + grace)})
    return None


def fingerprint(certificate_der: bytes) -> str:
    """SHA-256 of a certificate, lower-case hex: what a verifier pins."""
    return hashlib.sha256(certificate_der).hexdigest()


def _normalised(anchor: str) -> str:
    return anchor.replace(":", "").replace(" ", "").strip().lower()


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url_decode(text: str) -> bytes:
    return _b64url(text)


def unverified_payload(document: dict) -> dict:
    """The content of a signed list WITHOUT checking its signature: for the publisher reading its
    own stored issue back, never for a verifier."""
    return json.loads(_b64url(str(document["payload"])))


def _jws_registry(algorithm: str):
    """joserfc's registry with room for an ``x5c`` header and a list of many agencies' keys."""
    registry = JWSRegistry(algorithms=[algorithm])
    registry.max_header_length = 16_384
    registry.max_payload_length = 32 * 1024 * 1024
    return registry


def _jws_key(certificate: x509.Certificate, algorithm: str):
    public_pem = certificate.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return (ECKey if algorithm == "ES256" else RSAKey).import_key(public_pem)


def sign_trust_list(data: dict, key_pem: bytes, certificate_pem: bytes) -> dict:
    """The signed form of a trust list (``load_trust_list``'s input) as the platform publishes
    it: a flattened JWS JSON object."""
    certificate = x509.load_pem_x509_certificate(certificate_pem)
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
                           now: datetime | None = None, *, grace: timedelta = DEFAULT_GRACE,
                           last_sequence: int | None = None) -> TrustList:
    """Check a signed trust list against the pinned anchors, read it and judge its freshness
    (:func:`check_freshness`; a warning lands in ``TrustList.warning``). Raises
    :class:`TrustListError`."""
    now = now or datetime.now(UTC)
    pinned = {_normalised(a) for a in anchors if a.strip()}
    if not pinned:
        raise TrustListError("no trust-list anchor is configured", "no_anchor")
    if not isinstance(document, dict) or not {"protected", "payload", "signature"} <= set(
            document):
        raise TrustListError("not a signed trust list (a JWS in flattened JSON form)",
                             "not_signed")
    try:
        header = json.loads(_b64url(str(document["protected"])))
        algorithm = header["alg"]
        der = base64.b64decode(header["x5c"][0], validate=True)
        certificate = x509.load_der_x509_certificate(der)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise TrustListError("the trust list's signature header is unreadable",
                             "not_signed") from exc
    if header.get("typ") != TRUST_LIST_JWS_TYPE or algorithm not in COSE_ALGORITHMS:
        raise TrustListError("not a dichvucong trust list", "not_signed")
    if fingerprint(der) not in pinned:
        raise TrustListError("the trust list is signed by a certificate that is not a "
                             "configured anchor", "foreign")
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise TrustListError("the trust list signer's certificate is not valid now",
                             "signer_expired")
    try:
        signed = jws.deserialize_json(document, _jws_key(certificate, algorithm),
                                      registry=_jws_registry(algorithm))
        data = json.loads(signed.payload)
    except (JoseError, ValueError) as exc:
        raise TrustListError("the trust list's signature does not verify: it was altered",
                             "altered") from exc
    try:
        trust = load_trust_list(data)
    except (ValueError, KeyError, TypeError) as exc:
        raise TrustListError(f"the signed trust list is malformed: {exc}") from exc
    trust.warning = check_freshness(trust, now, grace=grace, last_sequence=last_sequence)
    return trust


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
    """Check a QR text against the trust list alone (its keys, their revocation and the revoked
    results it names); the list's freshness warning, if any, rides along in the verdict."""
    verdict = _verify(text, trust, today or datetime.now(UTC).date())
    if trust.warning is not None:
        verdict = replace(verdict, warning=trust.warning)
    return verdict


def _verify(text: str, trust: TrustList, today: date) -> Verdict:
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
    if key.revoked_at is not None:
        # A revoked key may be in a forger's hands: nothing it signed can be told apart.
        return Verdict(NOT_GENUINE, "Khóa ký của cơ quan cấp đã bị thu hồi: mã QR ký bằng khóa "
                                    "này không còn được tin cậy; hãy đề nghị cơ quan cấp lại "
                                    "giấy tờ.", claims=claims, key=key, kid=kid)
    issued_at = raw.get(6)
    if claims.issuer != key.agency_code or not isinstance(issued_at, int) or not (
            key.not_before <= datetime.fromtimestamp(issued_at, UTC) <= key.not_after):
        return Verdict(NOT_GENUINE, "Cơ quan cấp hoặc thời điểm ký không khớp với chứng thư "
                                    "số của cơ quan.", claims=claims, key=key, kid=kid)
    listed = trust.revoked.get(claims.number)
    if listed is not None and listed.kid in ("", kid.hex()):
        reason = ("Giấy tờ thật nhưng ĐÃ BỊ THU HỒI, không còn giá trị." if listed.status ==
                  REVOKED else "Giấy tờ thật nhưng ĐÃ ĐƯỢC THAY THẾ bằng một kết quả khác.")
        return Verdict(listed.status, reason, claims=claims, key=key, kid=kid)
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
