"""Sessions in the database (the default without Redis): ``core.sessions``."""

from django.contrib.sessions.backends import db

from dichvucong.core.sessions import PreparedRead


class SessionStore(PreparedRead, db.SessionStore):
    pass
