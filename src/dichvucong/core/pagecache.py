"""Whole-page cache for the anonymous public pages (home, catalogue, public lookup form,
transparency page): most of the portal's traffic, the same for every visitor.

A page is cached only for an anonymous visitor with no message waiting, for a GET that answered
200, keyed on the path with its query, the language and the day (pages say what is in force
today); the copy carries the ``CacheGeneration`` number (``core.models``) it was rendered under,
which a change to what the pages show bumps in the writer's transaction: a copy older than the
number is rendered afresh and replaced. Nothing personal is in such a page; the one
per-visitor part, the CSRF token of the language switch and the lookup form, is cut out when
storing and a fresh one is put in for each visitor (its cookie set as on any page). The CSP
has no nonce (core.middleware), so a cached page never reuses one.

Pages derived from the dossiers (the transparency page) are not invalidated by a generation:
they are kept ``timeout`` seconds.

A hit costs no SQL: each process keeps the generations it read for ``GENERATION_SECONDS``, and
forgets them at once when it bumps one itself, so a change is seen at once by the process that
made it and within that second by the others. A visitor with no session cookie, no message
cookie and no ``Authorization`` header (most of the traffic) is answered by ``PageCacheMiddleware``
before authentication, the second factor, messages and the view are reached; the headers of the
middleware around it (security, CSP, language, request id, the CSRF cookie) are set as on any
page.

The public catalogue's JSON (``catalog/api.py``) is cached the same way with ``anyone=True``:
it is the same for every caller, logged in or not, except a machine client with a token, whose
scope, rate limit and audit trail are checked each time.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import struct
import time
import zlib
from collections.abc import Iterable
from functools import cache, wraps
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import caches
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from dichvucong.core.models import CacheGeneration

CATALOG = "catalog"
_TOKEN = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*(")')
_HOLE = b"\x00csrf\x00"
QUERY_TIMEOUT = 3600
HEADER = "X-Page-Cache"  # "hit" or "miss": for the tests and the load kit, nothing secret
GENERATION_SECONDS = 1.0
_GZIP = "django.middleware.gzip.GZipMiddleware"
_ACCEPTS_GZIP = re.compile(r"\bgzip\b")  # as GZipMiddleware reads Accept-Encoding
_generations: dict[str, tuple[int, float]] = {}  # name → (number, when read), this process


@cache
def release() -> str:
    """The installed code's stamp (newest template, translation or module): with Redis the
    copies outlive a deployment, and a new release must not serve the old one's pages."""
    package = Path(__file__).resolve().parents[1]
    newest = max(path.stat().st_mtime_ns for pattern in ("**/*.html", "**/*.mo", "**/*.py")
                 for path in package.glob(pattern))
    return format(newest, "x")


def bump(name: str) -> None:
    """A change to what the ``name`` pages show: call it in the change's transaction."""
    if not CacheGeneration.objects.filter(name=name).update(number=F("number") + 1):
        CacheGeneration.objects.get_or_create(name=name, defaults={"number": 1})
    forget(name)
    transaction.on_commit(lambda: forget(name))  # a read in between saw the old number


def forget(name: str | None = None) -> None:
    """This process reads ``name``'s generation (every one: None) afresh on its next page."""
    if name is None:
        _generations.clear()
    else:
        _generations.pop(name, None)


def generation(name: str) -> int:
    held = _generations.get(name)
    now = time.monotonic()
    if held is not None and now - held[1] < GENERATION_SECONDS:
        return held[0]
    number = (CacheGeneration.objects.filter(name=name).values_list("number", flat=True)
              .first() or 0)
    _generations[name] = (number, now)
    return number


def _cacheable(request: HttpRequest, anyone: bool = False) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    if anyone:  # the same answer for every caller; a token's call is checked and audited
        return "Authorization" not in request.headers
    user = getattr(request, "user", None)
    if user is None or user.is_authenticated:
        return False
    # A message waiting (after logging out, say) is this visitor's: render the page for them.
    return not len(messages.get_messages(request))


def _key(request: HttpRequest) -> str:
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
    return f"{release()}:{request.LANGUAGE_CODE}:{timezone.localdate().isoformat()}:{path}"


def _stored(request: HttpRequest) -> HttpResponse | None:
    """The stored copy of this address, if it is still current, with this visitor's token."""
    entry = caches["pages"].get(_key(request))
    if entry is None:
        return None
    name, number, body, content_type, packed = entry
    if name is not None and generation(name) != number:
        return None  # older than a change: the view renders it afresh and replaces it
    token = get_token(request).encode() if _HOLE in body else b""
    plain = body.replace(_HOLE, token) if token else body
    if packed and _gzip_wanted(request):
        response = HttpResponse(_gzip(packed, token, plain), content_type=content_type)
        response["Content-Encoding"] = "gzip"
        patch_vary_headers(response, ("Accept-Encoding",))
    else:
        response = HttpResponse(plain, content_type=content_type)
    response[HEADER] = "hit"
    return response


# --- compressed once: a hit's gzip is the stored page's deflate blocks around the token's ------
# Each piece is raw deflate ending on a full flush (byte-aligned, nothing referring back), the
# last one final: joined, they are one valid deflate stream (as pigz joins its blocks).


def _deflate(data: bytes, last: bool) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush(zlib.Z_FINISH if last else
                                                        zlib.Z_FULL_FLUSH)


def _pack(body: bytes) -> tuple[bytes, ...] | None:
    """The page's pieces between its tokens, compressed; None for a page too small to gain."""
    if len(body) < 200:  # GZipMiddleware's own threshold
        return None
    pieces = body.split(_HOLE)
    return tuple(_deflate(piece, i == len(pieces) - 1) for i, piece in enumerate(pieces))


def _gzip_wanted(request: HttpRequest) -> bool:
    return (_GZIP in settings.MIDDLEWARE
            and bool(_ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", ""))))


def _gzip(packed: tuple[bytes, ...], token: bytes, plain: bytes) -> bytes:
    """RFC 1952 around the pieces; like ``GZipMiddleware``, a file name of random length in the
    header against BREACH (``django.utils.text.compress_string``)."""
    header = (b"\x1f\x8b\x08\x08\x00\x00\x00\x00\x00\xff"
              + b"a" * secrets.randbelow(100) + b"\x00")
    between = _deflate(token, last=False) if len(packed) > 1 else b""
    return (header + between.join(packed)
            + struct.pack("<II", zlib.crc32(plain), len(plain) & 0xFFFFFFFF))


def public_page(name: str | None = CATALOG, *, timeout: int = 24 * 3600,
                params: Iterable[str] = (), anyone: bool = False):
    """Cache a public page's response for anonymous visitors; ``name``: the generation it is
    invalidated by (None: only ``timeout``); ``params``: the query parameters the page reads.
    A request with any other parameter is served uncached: made-up parameters must not fill
    the cache. A page with a query is kept an hour at most. ``anyone``: the answer is the same
    for a logged-in caller too (the public catalogue's JSON)."""
    known = frozenset(params)

    def decorator(view):
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not _cacheable(request, anyone) or not known.issuperset(request.GET):
                return view(request, *args, **kwargs)
            if len(_PUBLIC_PATHS) < MAX_PUBLIC_PATHS:
                _PUBLIC_PATHS.add(request.path)
            stored = _stored(request)
            if stored is not None:
                return stored
            number = generation(name) if name else 0  # read before rendering: never newer
            response = view(request, *args, **kwargs)
            if (response.status_code == 200 and not response.streaming
                    and not response.cookies and "Cache-Control" not in response):
                body = _TOKEN.sub(rb"\1" + _HOLE + rb"\2", response.content)
                caches["pages"].set(_key(request),
                                    (name, number, body, response["Content-Type"], _pack(body)),
                                    min(timeout, QUERY_TIMEOUT) if request.GET else timeout)
                response[HEADER] = "miss"
            return response

        return wrapped

    return decorator


# The paths this process has seen served by a public page: the middleware looks the cache up
# for those alone. Every other anonymous request (the health check a balancer polls, an
# uncached page, a miss's first visit in this process) paid a cache round trip for nothing.
_PUBLIC_PATHS: set[str] = set()
MAX_PUBLIC_PATHS = 20_000  # the catalogue's pages many times over; beyond, the view looks


class PageCacheMiddleware:
    """Answers a stored page's hit for a visitor who cannot be anyone in particular (no session,
    no message, no token) before the rest of the chain: placed after the CSRF middleware (the
    fresh token and its cookie) and the language, before authentication. A miss goes on to the
    view, whose ``public_page`` stores it. Such a hit is counted by Prometheus's totals and
    latency (the outer middleware), not by its per-view and per-status counts (the inner)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (request.method in ("GET", "HEAD") and request.path in _PUBLIC_PATHS
                and not _personal(request) and "Authorization" not in request.headers):
            stored = _stored(request)
            if stored is not None:
                return stored
        return self.get_response(request)


def _personal(request: HttpRequest) -> bool:
    """A session (logged in, or owing a second factor) or a message waiting in a cookie."""
    return (settings.SESSION_COOKIE_NAME in request.COOKIES
            or CookieStorage.cookie_name in request.COOKIES)
