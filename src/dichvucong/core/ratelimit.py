"""A fixed-window rate limit on Django's cache (Redis when scaled out, so all servers share it)."""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache
from django.http import HttpRequest


def client_key(request: HttpRequest) -> str:
    # REMOTE_ADDR is the proxy's address behind a proxy; the deployment guide has the proxy set
    # it to the client's. Hashed: the address is personal data and never needs to be read back.
    address = request.META.get("REMOTE_ADDR", "")
    return hashlib.sha256(address.encode()).hexdigest()[:32]


def allow(scope: str, key: str, limit: int, window_seconds: int) -> bool:
    """Count one attempt; False once ``limit`` attempts were made in the current window."""
    window = int(time.time() // window_seconds)
    cache_key = f"ratelimit:{scope}:{key}:{window}"
    if cache.add(cache_key, 1, timeout=window_seconds + 5):
        return True
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=window_seconds + 5)
        return True
    return count <= limit
