"""Sessions read from the cache (Redis) and written through to the database: ``core.sessions``
(the database is read only when the cache has lost the session)."""

from django.contrib.sessions.backends import cached_db

from dichvucong.core.sessions import PreparedRead


class SessionStore(PreparedRead, cached_db.SessionStore):
    cache_key_prefix = cached_db.KEY_PREFIX  # the same keys as Django's: sessions survive
