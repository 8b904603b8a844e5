"""Whole-page cache for the anonymous public pages (home, catalogue, public lookup form,
transparency page): most of the portal's traffic, the same for every visitor.

A page is cached only for an anonymous visitor with no message waiting, for a GET that answered
200, and keyed on the path with its query, the language, the day (pages say what is in force
today) and a ``CacheGeneration`` number (``core.models``) that a change to what the pages show
bumps in the writer's transaction: the next request after the commit renders afresh, in every
process. Nothing personal is in such a page; the one per-visitor part, the CSRF token of the
language switch and the lookup form, is cut out when storing and a fresh one is put in for each
visitor (its cookie set as on any page). The CSP has no nonce (core.middleware), so a cached
page never reuses one.

Pages derived from the dossiers (the transparency page) are not invalidated by a generation:
they are kept ``timeout`` seconds.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from functools import cache, wraps
from pathlib import Path

from django.contrib import messages
from django.core.cache import caches
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone

from dichvucong.core.models import CacheGeneration

CATALOG = "catalog"
_TOKEN = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*(")')
_HOLE = b"\x00csrf\x00"
QUERY_TIMEOUT = 3600
HEADER = "X-Page-Cache"  # "hit" or "miss": for the tests and the load kit, nothing secret


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


def generation(name: str) -> int:
    return (CacheGeneration.objects.filter(name=name).values_list("number", flat=True).first()
            or 0)


def _cacheable(request: HttpRequest) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    user = getattr(request, "user", None)
    if user is None or user.is_authenticated:
        return False
    # A message waiting (after logging out, say) is this visitor's: render the page for them.
    return not len(messages.get_messages(request))


def _key(request: HttpRequest, name: str | None) -> str:
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
    stamp = generation(name) if name else 0
    return (f"{release()}:{name or '-'}:{stamp}:{request.LANGUAGE_CODE}:"
            f"{timezone.localdate().isoformat()}:{path}")


def public_page(name: str | None = CATALOG, *, timeout: int = 24 * 3600,
                params: Iterable[str] = ()):
    """Cache a public page's response for anonymous visitors; ``name``: the generation it is
    invalidated by (None: only ``timeout``); ``params``: the query parameters the page reads.
    A request with any other parameter is served uncached: made-up parameters must not fill
    the cache. A page with a query is kept an hour at most."""
    known = frozenset(params)

    def decorator(view):
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not _cacheable(request) or not known.issuperset(request.GET):
                return view(request, *args, **kwargs)
            key = _key(request, name)
            store = caches["pages"]
            stored = store.get(key)
            if stored is not None:
                body, content_type = stored
                response = HttpResponse(body.replace(_HOLE, get_token(request).encode()),
                                        content_type=content_type)
                response[HEADER] = "hit"
                return response
            response = view(request, *args, **kwargs)
            if (response.status_code == 200 and not response.streaming
                    and not response.cookies and "Cache-Control" not in response):
                body = _TOKEN.sub(rb"\1" + _HOLE + rb"\2", response.content)
                store.set(key, (body, response["Content-Type"]),
                          min(timeout, QUERY_TIMEOUT) if request.GET else timeout)
                response[HEADER] = "miss"
            return response

        return wrapped

    return decorator
