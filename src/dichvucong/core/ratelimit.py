"""Rate limits that hold across processes: counters in Redis when ``REDIS_URL`` is set, else in
the database (table ``core_ratelimitcounter``).

Django's cache is not used: the embedded default's local-memory cache is per process (the demo
runs two web workers, so each had its own count), and the database and file caches' ``incr``
is a read followed by a write, not atomic, which concurrent requests race through. Here each
count is one atomic statement: Redis ``INCR`` in a ``MULTI`` block, or one
``INSERT … ON CONFLICT DO UPDATE … RETURNING`` (SQLite ≥ 3.35 and PostgreSQL alike).

A window starts at a key's first hit and lasts ``window_seconds``; the count then starts again.

Redis down degrades to the database's counters rather than failing the request (a login must
not answer 500 because Redis restarts; issue #20): the counts kept in Redis meanwhile are not
seen, so a client may get up to one more limit's worth of attempts during the outage.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from dataclasses import dataclass
from functools import lru_cache

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decision:
    """The outcome of one counted attempt; true when it is within the limit."""

    allowed: bool
    count: int
    retry_after: int  # whole seconds until the window ends and the count starts again

    def __bool__(self) -> bool:
        return self.allowed


# --- who the client is ----------------------------------------------------------------------

@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in spec)


def _parse(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str:
    """The client's address: ``REMOTE_ADDR``, or, when that is one of the trusted proxies
    (``DICHVUCONG_TRUSTED_PROXIES``), the nearest address in ``X-Forwarded-For`` that is not a
    trusted proxy. The header is read right to left because a client can put anything on its
    left; only what our own proxies appended can be believed."""
    remote = _parse(request.META.get("REMOTE_ADDR", ""))
    trusted = _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))
    if remote is None:
        return ""

    def is_trusted(address) -> bool:
        return any(address in network for network in trusted)

    if not trusted or not is_trusted(remote):
        return str(remote)
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            break  # garbage: stop believing the header here
        if not is_trusted(address):
            return str(address)
    return str(remote)


def client_key(request: HttpRequest) -> str:
    """A stable, non-reversible key for the client: its IPv4 address, or its IPv6 /64 (one
    subscriber's network, in which an attacker could otherwise change address at will). Keyed
    with the secret: the address is personal data and never needs to be read back."""
    address = _parse(client_address(request))
    if address is not None and address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address is None:
        text = "unknown"
    elif address.version == 6:
        text = str(ipaddress.ip_network(f"{address}/64", strict=False))
    else:
        text = str(address)
    return salted_hmac("dichvucong.ratelimit", text).hexdigest()[:32]


# --- the counters ---------------------------------------------------------------------------

def _now() -> float:
    return time.time()


def _name(scope: str, key: str) -> str:
    return f"dichvucong:ratelimit:{scope}:{key}"


@lru_cache(maxsize=4)
def _redis_client(url: str):
    # Short timeouts: an unreachable Redis costs a request a second, then the database counts.
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)


def _redis():
    url = getattr(settings, "REDIS_URL", "")
    return _redis_client(url) if url else None


# Decrement only a live key: a DECR on an expired one would create a counter without expiry.
_REDIS_UNDO = ("if redis.call('exists', KEYS[1]) == 1 then "
               "return redis.call('decr', KEYS[1]) end return 0")


def _unavailable(exc: Exception) -> None:
    logger.warning("rate limits: Redis unavailable (%s); counting in the database",
                   type(exc).__name__)


def hit(scope: str, key: str, limit: int, window_seconds: int) -> Decision:
    """Count one attempt; not allowed once it is beyond ``limit`` in the current window."""
    name = _name(scope, key)
    client = _redis()
    counted = None
    if client is not None:
        try:
            counted = _redis_hit(client, name, window_seconds)
        except redis.RedisError as exc:
            _unavailable(exc)
    if counted is not None:
        count, retry = counted
    else:
        now = _now()
        expires = now + window_seconds
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO core_ratelimitcounter (name, hits, expires_at) VALUES (%s, 1, %s) "
                "ON CONFLICT (name) DO UPDATE SET "
                "hits = CASE WHEN core_ratelimitcounter.expires_at <= %s THEN 1 "
                "ELSE core_ratelimitcounter.hits + 1 END, "
                "expires_at = CASE WHEN core_ratelimitcounter.expires_at <= %s THEN %s "
                "ELSE core_ratelimitcounter.expires_at END "
                "RETURNING hits, expires_at",
                [name, expires, now, now, expires])
            count, expires_at = cursor.fetchone()
        retry = math.ceil(max(expires_at - now, 0))
    return Decision(count <= limit, count, max(retry, 1))


def _redis_hit(client, name: str, window_seconds: int) -> tuple[int, int]:
    pipe = client.pipeline(transaction=True)
    pipe.set(name, 0, ex=window_seconds, nx=True)
    pipe.incr(name)
    pipe.pttl(name)
    _, count, ttl_ms = pipe.execute()
    if ttl_ms < 0:  # never expected; do not let a counter live for ever
        client.expire(name, window_seconds)
        ttl_ms = window_seconds * 1000
    return count, math.ceil(ttl_ms / 1000)


allow = hit  # the older name, kept for the callers that only need the yes or no


def undo(scope: str, key: str) -> None:
    """Give back one counted attempt (it turned out not to count, e.g. a right password)."""
    name = _name(scope, key)
    client = _redis()
    if client is not None:
        try:
            client.eval(_REDIS_UNDO, 1, name)
            return
        except redis.RedisError as exc:
            _unavailable(exc)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_ratelimitcounter SET hits = hits - 1 "
                       "WHERE name = %s AND hits > 0 AND expires_at > %s", [name, _now()])


def reset(scope: str, key: str) -> None:
    """Forget a counter (e.g. the account's failed logins once its password was reset), also
    the one counted in the database while Redis was down."""
    name = _name(scope, key)
    client = _redis()
    if client is not None:
        try:
            client.delete(name)
        except redis.RedisError as exc:
            _unavailable(exc)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_ratelimitcounter WHERE name = %s", [name])


def purge_expired() -> int:
    """Delete the database's expired counters (the worker runs it hourly)."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_ratelimitcounter WHERE expires_at <= %s", [_now()])
        return cursor.rowcount
