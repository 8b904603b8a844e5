"""Bearer access tokens on the ninja API (RFC 6750), next to the pages' session cookie.

An operation lists ``OAuth2(scope)`` before ``django_auth``: a request carrying
``Authorization: Bearer …`` is judged by its token alone (a bad token is refused, never retried
as a session), one without that header goes on to the session as before. The token must exist,
not be expired or revoked, belong to a registered system, and carry the operation's scope; the
client must be within its rate limit. Refusals are RFC 6750's: 401 ``invalid_token`` or 403
``insufficient_scope`` with a ``WWW-Authenticate: Bearer`` challenge, 429 with ``Retry-After``.

Who the caller is (``MachineCall``): a token a person authorized (authorization code + PKCE, a
mobile app) acts as that person — ``request.user`` is set to them and every rule of the session
applies; a client-credentials token acts for the system alone (``request.user`` anonymous) and
sees what its agency's officials see (``MachineCall.agency_id``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security.http import HttpAuthBase
from oauth2_provider.models import get_access_token_model

from dichvucong.apiclients.scopes import SCOPES
from dichvucong.core import ratelimit

REALM = "dichvucong"
TOKEN_URL = "/o/token/"  # noqa: S105 - an address; apiclients/urls.py (a test checks)
AUTHORIZE_URL = "/o/authorize/"
RATE_WINDOW_SECONDS = 60


class BearerError(Exception):
    """A refused token: RFC 6750's error code, a sentence for people (Vietnamese) and one for
    the header (ASCII, as the header's grammar requires)."""

    def __init__(self, status: int, error: str, detail: str, description: str,
                 scope: str = "") -> None:
        super().__init__(description)
        self.status, self.error, self.detail = status, error, detail
        self.description, self.scope = description, scope


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


@dataclass(frozen=True)
class MachineCall:
    """A call made with an access token (``request.auth`` and ``request.machine_call``)."""

    client: object  # MachineClient
    user_id: int | None  # the person a user token acts for; None for a system's own token
    scope: str
    error: str = ""

    @property
    def agency_id(self) -> int | None:
        return self.client.agency_id

    @property
    def for_system(self) -> bool:
        return self.user_id is None


class _Public:
    """``request.auth`` of an anonymous call to an operation whose token is optional."""

    def __bool__(self) -> bool:
        return True


PUBLIC = _Public()


def system_call(request: HttpRequest) -> MachineCall | None:
    """The call's system client when a client-credentials token made it (no person behind)."""
    call = getattr(request, "machine_call", None)
    return call if call is not None and call.for_system else None


def security_scheme() -> dict:
    scopes = {name: str(text) for name, text in SCOPES.items()}
    return {
        "type": "oauth2",
        "description": "Hệ thống kết nối (client credentials) và ứng dụng di động (authorization "
                       "code + PKCE S256) — registered systems and mobile apps",
        "flows": {
            "clientCredentials": {"tokenUrl": TOKEN_URL, "scopes": scopes},
            "authorizationCode": {"authorizationUrl": AUTHORIZE_URL, "tokenUrl": TOKEN_URL,
                                  "refreshUrl": TOKEN_URL, "scopes": scopes},
        },
    }


def _load(raw: str):
    checksum = hashlib.sha256(raw.encode()).hexdigest()
    return (get_access_token_model().objects
            .select_related("application__machine_client", "user")
            .filter(token_checksum=checksum).first())


def _refuse(request, status: int, error: str, detail: str, description: str, client=None,
            user_id=None, scope: str = "") -> BearerError:
    if client is not None:  # an identifiable client's refused call is audited too
        request.machine_call = MachineCall(client, user_id, scope, error)
    return BearerError(status, error, detail, description, scope if status == 403 else "")


class OAuth2(HttpAuthBase):
    """Accepts ``Authorization: Bearer <access token>`` carrying ``scope``. With
    ``optional=True`` (public operations) a call without the header passes anonymously; with
    ``person=True`` (operations that act as the applicant) only a token a person authorized."""

    openapi_type = "oauth2"

    def __init__(self, scope: str, *, optional: bool = False, person: bool = False) -> None:
        assert scope in SCOPES, scope
        super().__init__()
        self.scope, self.optional, self.person = scope, optional, person
        self.openapi_security_schema = security_scheme()

    def __call__(self, request: HttpRequest):
        scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            request.bearer_offered = True  # the 401, if nothing else admits, says Bearer
            return PUBLIC if self.optional else None
        token = _load(raw.strip()) if raw.strip() else None
        client = getattr(token.application, "machine_client", None) if token else None
        if token is None or client is None:
            raise _refuse(request, 401, "invalid_token",
                          "Mã truy cập không hợp lệ hoặc đã bị thu hồi.",
                          "The access token is unknown or revoked.")
        if token.is_expired():
            raise _refuse(request, 401, "invalid_token", "Mã truy cập đã hết hạn.",
                          "The access token expired.", client, token.user_id, self.scope)
        if token.user_id and not token.user.is_active:  # the person's account was closed
            raise _refuse(request, 401, "invalid_token", "Tài khoản đã cấp mã này bị khóa.",
                          "The account that granted the token is disabled.", client,
                          token.user_id, self.scope)
        decision = ratelimit.hit("api-client", str(client.pk), client.rate_limit,
                                 RATE_WINDOW_SECONDS)
        if not decision:
            request.machine_call = MachineCall(client, token.user_id, self.scope,
                                               "rate_limited")
            raise RateLimited(decision.retry_after)
        if not token.allow_scopes([self.scope]):
            raise _refuse(request, 403, "insufficient_scope",
                          f"Mã truy cập không có phạm vi quyền «{self.scope}».",
                          f"The access token lacks the scope {self.scope}.", client,
                          token.user_id, self.scope)
        if self.person and token.user_id is None:
            raise _refuse(request, 403, "insufficient_scope",
                          "Thao tác này thay mặt người nộp hồ sơ: cần mã truy cập do công dân "
                          "cấp cho ứng dụng (authorization code), không phải mã của hệ thống.",
                          "This operation acts for a person: use a token a person authorized.",
                          client, None, self.scope)
        # A user token acts as its user, a system's as nobody: never as a session that happens
        # to come with the request.
        request.user = token.user if token.user_id else AnonymousUser()
        call = MachineCall(client, token.user_id, self.scope)
        request.machine_call = call
        return call


def _challenge(params: dict[str, str]) -> str:
    return "Bearer " + ", ".join(f'{k}="{v}"' for k, v in params.items())


def install(api) -> None:
    """The API's answers to refused tokens, rate limits and missing credentials."""

    def bearer_error(request, exc: BearerError):
        response = api.create_response(
            request, {"detail": exc.detail, "code": exc.error, "error": exc.error,
                      "error_description": exc.description}, status=exc.status)
        params = {"realm": REALM, "error": exc.error, "error_description": exc.description}
        if exc.scope:
            params["scope"] = exc.scope
        response["WWW-Authenticate"] = _challenge(params)
        return response

    def rate_limited(request, exc: RateLimited):
        response = api.create_response(
            request, {"detail": "Hệ thống gọi quá số lượt cho phép, vui lòng thử lại sau.",
                      "code": "rate_limited"}, status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response

    def unauthenticated(request, exc: AuthenticationError):
        response = api.create_response(request, {"detail": exc.message}, status=exc.status_code)
        if getattr(request, "bearer_offered", False):
            response["WWW-Authenticate"] = _challenge({"realm": REALM})
        return response

    api.add_exception_handler(BearerError, bearer_error)
    api.add_exception_handler(RateLimited, rate_limited)
    api.add_exception_handler(AuthenticationError, unauthenticated)
