"""The OAuth 2.0 endpoints under /o/, django-oauth-toolkit's views with what the platform adds:
the portal's own consent page, and token and revocation requests in the audit trail."""

from __future__ import annotations

import json

from django.conf import settings
from django.http import JsonResponse
from oauth2_provider import views as oauth

from dichvucong.apiclients import services
from dichvucong.apiclients.auth import MachineCall
from dichvucong.core import ratelimit
from dichvucong.core.middleware import content_security_policy

RATE_WINDOW_SECONDS = 60


def _mark(request, response):
    """Let the audit middleware record the call when it names a registered client."""
    client = services.client_of_token_request(request)
    if client is None:
        return
    error = ""
    if response.status_code >= 400:
        try:
            error = str(json.loads(response.content).get("error", ""))
        except (ValueError, AttributeError):
            error = "error"
    request.machine_call = MachineCall(client, None, "", error)


def _over_limit(request) -> JsonResponse | None:
    """Each token or revocation request checks a secret with a slow hash: an address that
    sends too many is answered 429 before any hashing (``OAUTH_TOKEN_RATE_LIMIT`` a minute)."""
    decision = ratelimit.hit("oauth-token", ratelimit.client_key(request),
                             settings.OAUTH_TOKEN_RATE_LIMIT, RATE_WINDOW_SECONDS)
    if decision:
        return None
    response = JsonResponse(
        {"error": "rate_limited",
         "error_description": "Quá nhiều yêu cầu cấp mã truy cập, vui lòng thử lại sau."},
        status=429)
    response["Retry-After"] = str(decision.retry_after)
    response["Cache-Control"] = "no-store"
    return response


class TokenView(oauth.TokenView):
    def post(self, request, *args, **kwargs):
        response = _over_limit(request) or super().post(request, *args, **kwargs)
        _mark(request, response)
        return response


class RevokeTokenView(oauth.RevokeTokenView):
    def post(self, request, *args, **kwargs):
        response = _over_limit(request) or super().post(request, *args, **kwargs)
        _mark(request, response)
        return response


class AuthorizationView(oauth.AuthorizationView):
    """A citizen lets an app act for them (the login comes first, through the portal's login
    page). The form's POST is redirected to the app's address, which the page's
    ``form-action`` must name (Chromium blocks the redirect otherwise)."""

    template_name = "apiclients/authorize.html"

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        application = context.get("application")
        if application is not None:
            response.headers["Content-Security-Policy"] = content_security_policy(
                tuple(application.redirect_uris.split()))
        return response
