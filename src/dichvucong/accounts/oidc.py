"""Login through OpenID Connect («Đăng nhập bằng VNeID»): the authorization code flow with PKCE
(S256), state and nonce, through Authlib's Django client.

The provider is found by discovery (``<issuer>/.well-known/openid-configuration``). The ID token
is checked against the provider's published keys (JWKS), and for its issuer, audience, nonce and
expiry. When the ID-number claim is not in the ID token (providers that follow the core
specification put profile claims in the UserInfo response for the code flow), it is read from
the UserInfo endpoint with the access token, and that response must name the same subject.

Personal data from the provider is never logged.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from datetime import date

import requests
from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from authlib.integrations.django_client import OAuth
from django.http import HttpRequest, HttpResponse
from joserfc.errors import JoseError

from dichvucong.accounts import assurance, conf
from dichvucong.accounts.identifiers import InvalidIdentifier, normalise_email, normalise_phone
from dichvucong.accounts.services import VerifiedIdentity
from dichvucong.core.idnumber import InvalidIdNumber, parse_id_number

logger = logging.getLogger(__name__)

NAME = "vneid"
HTTP_TIMEOUT = 10  # seconds, for discovery, keys, token and UserInfo requests
LEEWAY = 60  # seconds of clock difference allowed on the ID token's times


class OidcError(Exception):
    """The login failed; ``message`` is Vietnamese, for the citizen."""

    def __init__(self, message: str, status: int = 400, reason: str = ""):
        super().__init__(message)
        self.message = message
        self.status = status
        self.reason = reason  # for the log: no personal data


UNREACHABLE = ("Không kết nối được với hệ thống định danh điện tử (VNeID). Vui lòng thử lại "
               "sau ít phút.")
STATE = ("Phiên đăng nhập VNeID không hợp lệ hoặc đã hết hạn (tham số state không khớp). Vì an "
         "toàn, bạn chưa được đăng nhập. Hãy bắt đầu đăng nhập lại từ cổng.")
CODE = ("Mã xác thực từ VNeID đã hết hạn hoặc đã được dùng. Bạn chưa được đăng nhập. Hãy "
        "đăng nhập lại.")
INVALID_ANSWER = ("Thông tin đăng nhập nhận từ VNeID không hợp lệ (chữ ký, bên phát hành, "
                  "đối tượng hoặc thời hạn không đúng). Bạn chưa được đăng nhập.")
DENIED = "Đăng nhập VNeID đã bị hủy hoặc bị từ chối. Bạn chưa được đăng nhập."
NO_ID = ("Tài khoản định danh điện tử không cung cấp số định danh cá nhân hợp lệ, nên không "
         "liên kết được với tài khoản trên cổng.")

_clients: dict[tuple, object] = {}
_lock = threading.Lock()


def _client():
    """The Authlib client for the configuration in force (cached: it keeps the provider's
    metadata and keys)."""
    if not conf.oidc_configured():
        raise OidcError("Cổng chưa cấu hình đăng nhập bằng VNeID.", status=404,
                        reason="not configured")
    scope = conf.oidc_scope()
    if "openid" not in scope.split():
        scope = f"openid {scope}"
    key = (conf.oidc_issuer(), conf.oidc_client_id(), conf.oidc_client_secret(), scope)
    with _lock:
        client = _clients.get(key)
        if client is None:
            oauth = OAuth()
            oauth.register(
                NAME, client_id=key[1], client_secret=key[2],
                server_metadata_url=f"{key[0]}/.well-known/openid-configuration",
                client_kwargs={"scope": scope, "code_challenge_method": "S256",
                               "default_timeout": HTTP_TIMEOUT},
            )
            client = oauth.create_client(NAME)
            _clients[key] = client
    return client


def _metadata(client) -> dict:
    try:
        metadata = client.load_server_metadata()
    except (requests.RequestException, ValueError) as exc:
        raise OidcError(UNREACHABLE, status=502, reason=f"discovery: {type(exc).__name__}") \
            from exc
    if metadata.get("issuer") != conf.oidc_issuer():
        # OpenID Connect Discovery §4.3: the metadata must name the issuer it was fetched for.
        raise OidcError(UNREACHABLE, status=502, reason="discovery: issuer mismatch")
    return metadata


def start(request: HttpRequest, redirect_uri: str) -> HttpResponse:
    """Redirect to the provider; the state, nonce and PKCE verifier stay in the session."""
    client = _client()
    _metadata(client)
    try:
        return client.authorize_redirect(request, redirect_uri)
    except requests.RequestException as exc:
        raise OidcError(UNREACHABLE, status=502, reason="authorize") from exc


def finish(request: HttpRequest) -> VerifiedIdentity:
    """Check the provider's answer and return the identity it vouches for. Raises OidcError."""
    error = request.GET.get("error")
    if error:
        raise OidcError(DENIED, reason=f"provider error {re.sub(r'[^a-z_]', '', error)[:40]}")
    client = _client()
    _metadata(client)
    issuer = conf.oidc_issuer()
    if request.GET.get("iss") not in (None, issuer):  # RFC 9207: the answer names its issuer
        raise OidcError(STATE, reason="iss parameter mismatch")
    options = {"iss": {"essential": True, "values": [issuer]},
               "aud": {"essential": True, "values": [client.client_id]},
               "exp": {"essential": True}}
    try:
        token = client.authorize_access_token(request, claims_options=options, leeway=LEEWAY)
    except MismatchingStateError as exc:
        raise OidcError(STATE, reason="state mismatch") from exc
    except OAuthError as exc:  # the token endpoint refused: invalid_grant for an expired code
        raise OidcError(CODE, reason=f"token endpoint: {exc.error}") from exc
    except JoseError as exc:
        raise OidcError(INVALID_ANSWER, reason=f"id token: {type(exc).__name__}") from exc
    except (requests.RequestException, ValueError) as exc:
        raise OidcError(UNREACHABLE, status=502, reason=f"token: {type(exc).__name__}") from exc
    claims = token.get("userinfo")
    if not claims:
        raise OidcError(INVALID_ANSWER, reason="no id token")
    claims = dict(claims)
    number_claim, name_claim = conf.oidc_id_number_claim(), conf.oidc_name_claim()
    if number_claim not in claims:
        claims = {**_userinfo(client, token, claims["sub"]), **claims}
    return identity_from_claims(claims, number_claim, name_claim)


def _userinfo(client, token: dict, subject: str) -> dict:
    try:
        info = dict(client.userinfo(token=token))
    except (requests.RequestException, OAuthError, ValueError) as exc:
        raise OidcError(UNREACHABLE, status=502, reason=f"userinfo: {type(exc).__name__}") \
            from exc
    if info.get("sub") != subject:  # OpenID Connect Core §5.3.2
        raise OidcError(INVALID_ANSWER, reason="userinfo subject mismatch")
    return info


def identity_from_claims(claims: dict, number_claim: str = "id_number",
                         name_claim: str = "name") -> VerifiedIdentity:
    try:
        number = parse_id_number(str(claims.get(number_claim) or "")).number
    except InvalidIdNumber as exc:
        raise OidcError(NO_ID, reason="id number claim missing or invalid") from exc
    born = None
    with contextlib.suppress(ValueError):
        born = date.fromisoformat(str(claims.get("birthdate") or ""))
    gender = str(claims.get("gender") or "").lower()
    gender = {"male": "male", "nam": "male", "female": "female", "nữ": "female"}.get(gender, "")
    email = phone = ""
    if claims.get("email") and claims.get("email_verified") is True:
        try:
            email = normalise_email(claims["email"])
        except InvalidIdentifier:
            email = ""
    if claims.get("phone_number") and claims.get("phone_number_verified") is True:
        try:
            phone = normalise_phone(claims["phone_number"])
        except InvalidIdentifier:
            phone = ""
    return VerifiedIdentity(id_number=number, full_name=str(claims.get(name_claim) or "")[:150],
                            date_of_birth=born, gender=gender, email=email, phone=phone,
                            source=assurance.vneid_source(claims.get(conf.oidc_level_claim())))
