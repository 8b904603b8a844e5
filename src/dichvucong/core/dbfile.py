"""SQLite connections kept across requests, as PostgreSQL's are (``DB_CONN_MAX_AGE``), but never
to a database file that is no longer the one at its path.

Opening a SQLite connection costs about 3.5 ms of CPU (the PRAGMAs, then the schema read by the
first statement): as much as a cheap page. A connection kept open still reads the file it
opened, so one whose path now names another file (a database copied or moved into place while
the server runs) is closed at the start of the next request and the request opens the new
one. The check is one ``stat`` of the path."""

from __future__ import annotations

import os

from django.db import connections

# The identity of the file each open connection reads, keyed by the connection wrapper (one
# per thread and alias): set when Django opens it.
_OPENED_ON = "_dichvucong_file"


def _identity(path: str) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


def _on_disk(connection) -> bool:
    name = str(connection.settings_dict.get("NAME") or "")
    return connection.vendor == "sqlite" and not connection.is_in_memory_db() and bool(name)


def remember_file(sender, connection, **kwargs) -> None:
    """``connection_created``: note which file the new connection reads."""
    if _on_disk(connection):
        setattr(connection, _OPENED_ON, _identity(str(connection.settings_dict["NAME"])))


def close_if_replaced(**kwargs) -> None:
    """``request_started``: close a kept SQLite connection whose path names another file now
    (or none); the request then opens one to the file that is there."""
    for connection in connections.all(initialized_only=True):
        if connection.connection is None or not _on_disk(connection):
            continue
        if getattr(connection, _OPENED_ON, None) != _identity(
                str(connection.settings_dict["NAME"])):
            connection.close()
