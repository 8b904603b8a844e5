"""The session engines (``SESSION_ENGINE``): Django's database and cached-database sessions,
with the session's row read by a query composed once (``core.prepared``): every signed-in
request reads it, and composing ``Session.objects.get`` anew cost about 0.5 ms of its CPU.

Exactly Django's rule: the row with this key whose expiry is still ahead, else no session.
"""

from __future__ import annotations

from django.contrib.sessions.models import Session
from django.utils import timezone

from dichvucong.core.prepared import Prepared

FIELDS = ["session_key", "session_data", "expire_date"]
# The expiry is compared here, not in the query: a date parameter is one a backend adapts.
_BY_KEY = Prepared(lambda: Session.objects.filter(session_key="?").values_list(*FIELDS), "?")


class PreparedRead:
    """For a ``SessionStore`` of ``django.contrib.sessions.backends.db`` or ``cached_db``."""

    def _get_session_from_db(self):
        rows = _BY_KEY.rows(self.session_key)
        if not rows or rows[0][2] <= timezone.now():
            self._session_key = None
            return None
        key, data, expires = rows[0]
        return Session(session_key=key, session_data=data, expire_date=expires)
