"""Security headers Django 5.2 does not set itself."""

import re
from collections.abc import Callable
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

PERMISSIONS_POLICY = "geolocation=(), microphone=(), payment=(self), camera=(self)"
# A DNS name or IPv4 address, nothing a CSP source could read as a wildcard or a separator.
_HOST = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\Z")


def origin(url: str) -> str | None:
    """``scheme://host[:port]`` of an absolute http(s) URL, as a CSP source; None for anything
    else (a relative URL, another scheme, a host with a wildcard)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not _HOST.match(host):
        return None
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


@lru_cache(maxsize=16)
def content_security_policy(form_targets: tuple[str, ...] = ()) -> str:
    """The policy. Everything is served from our own origin; no inline scripts. Styles allow
    'unsafe-inline' only for the style attributes of the bar charts' widths.

    ``form-action`` also governs where a form's POST is redirected (Chromium blocks the
    redirect otherwise), so it names the origins of ``form_targets``: the payment gateway the
    pay button's POST is redirected to. Only those origins, never a wildcard.
    """
    origins = sorted({o for o in map(origin, form_targets) if o})
    return "; ".join(
        [
            "default-src 'self'",
            "img-src 'self' data:",
            "style-src 'self' 'unsafe-inline'",
            "script-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            " ".join(["form-action 'self'", *origins]),
            "frame-ancestors 'none'",
        ]
    )


def form_targets() -> tuple[str, ...]:
    """The off-site URLs a form's POST here is redirected to: the configured VNPay gateway
    (VietQR and cash stay on the portal). Read per request: settings may change in tests."""
    return tuple(url for url in (settings.VNPAY_URL,) if url)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy",
                                    content_security_policy(form_targets()))
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


class LanguageMiddleware:
    """Vietnamese unless the user chose another language with the switch.

    Django's LocaleMiddleware also follows the browser's Accept-Language, but many Vietnamese
    citizens' phones are set to English; a Vietnamese portal should still open in Vietnamese.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _ in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch = response.headers.get("Vary", "")
        if "Cookie" not in patch:
            response.headers["Vary"] = f"{patch}, Cookie" if patch else "Cookie"
        return response
