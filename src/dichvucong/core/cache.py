"""The Redis cache, degrading instead of failing (issue #20): with Redis down, a read is a miss
and a write is skipped, so pages are computed afresh instead of answering 500. Nothing the
platform must not lose lives in this cache (rate limits: ``core.ratelimit``; sessions: the
database; jobs: their own rows)."""

from __future__ import annotations

import logging
from typing import Any

import redis
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)


class ReusedClient(RedisCacheClient):
    """One redis-py client per connection pool, where Django's makes one for every call:
    making one (its table of about 170 reply handlers) cost 0.15 ms of CPU, three times the
    GET it was made for, and a signed-in request makes one or two (the session, the page
    cache). A client holds no connection of its own (the pool lends them); a cache object,
    and so this, belongs to one thread (Django's ``caches``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, redis.Redis] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class TolerantRedisCache(RedisCache):
    def __init__(self, server, params):
        options = params.setdefault("OPTIONS", {})
        # Short timeouts: an unreachable Redis must not hold a request for long.
        options.setdefault("socket_connect_timeout", 1)
        options.setdefault("socket_timeout", 1)
        super().__init__(server, params)
        self._class = ReusedClient

    def _tolerant(self, name: str, default: Any, *args, **kwargs) -> Any:
        try:
            return getattr(super(), name)(*args, **kwargs)
        except redis.RedisError as exc:
            logger.warning("cache: Redis unavailable (%s) in %s; going on without it",
                           type(exc).__name__, name)
            return default

    def get(self, key, default=None, version=None):
        return self._tolerant("get", default, key, default, version)

    def get_many(self, keys, version=None):
        return self._tolerant("get_many", {}, keys, version)

    def add(self, key, value, timeout=None, version=None):
        # The key is considered taken: a lock through the cache (``add``) must not be
        # believed granted while the cache cannot hold it.
        return self._tolerant("add", False, key, value, timeout, version)

    def set(self, key, value, timeout=None, version=None):
        return self._tolerant("set", None, key, value, timeout, version)

    def set_many(self, data, timeout=None, version=None):
        return self._tolerant("set_many", list(data), data, timeout, version)

    def touch(self, key, timeout=None, version=None):
        return self._tolerant("touch", False, key, timeout, version)

    def delete(self, key, version=None):
        return self._tolerant("delete", False, key, version)

    def delete_many(self, keys, version=None):
        return self._tolerant("delete_many", None, keys, version)

    def has_key(self, key, version=None):
        return self._tolerant("has_key", False, key, version)

    def clear(self):
        return self._tolerant("clear", None)
