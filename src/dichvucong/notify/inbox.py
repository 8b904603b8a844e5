"""The in-app inbox: a user's messages on the portal, newest first, paginated by key."""

from __future__ import annotations

from django.db import connection
from django.utils import timezone

from dichvucong.core.prepared import statement_cursor
from dichvucong.notify.models import Notification, NotificationChannel

PAGE_SIZE = 20


def messages_for(user_id: int, before: int | None = None, size: int = PAGE_SIZE):
    """One page of the user's inbox (and whether older messages exist)."""
    rows = Notification.objects.filter(user_id=user_id, channel=NotificationChannel.INAPP)
    if before:
        rows = rows.filter(pk__lt=before)
    page = list(rows.select_related("dossier").order_by("-id")[: size + 1])
    return page[:size], len(page) > size


# The header counts up to this many and then says «99+»: it is on every page a user sees, and
# counting all of a business's thousands of unread messages grew with them (5 ms at 5,000).
HEADER_CAP = 100


def unread_count(user_id: int, cap: int | None = None) -> int:
    """The unread messages, at most ``cap`` of them counted: one constant statement (composing
    the ORM's query took three quarters of its 0.6 ms). The same rows as ``unread``."""
    table = Notification._meta.db_table
    rows = (f"SELECT 1 FROM {table} WHERE user_id = %s AND channel = %s "  # noqa: S608
            "AND read_at IS NULL")
    if cap is not None:
        rows += f" LIMIT {int(cap)}"
    with statement_cursor(connection) as cursor:  # on every page: prepared once
        cursor.execute(f"SELECT COUNT(*) FROM ({rows}) AS unread",  # noqa: S608
                       [user_id, NotificationChannel.INAPP.value])
        return cursor.fetchone()[0]


def unread(user_id: int):
    return Notification.objects.filter(user_id=user_id, channel=NotificationChannel.INAPP,
                                       read_at__isnull=True)


def mark_read(user_id: int, notification_id: int | None = None) -> int:
    """Mark one message (or all) read; only the user's own. Returns how many changed."""
    rows = unread(user_id)
    if notification_id is not None:
        rows = rows.filter(pk=notification_id)
    return rows.update(read_at=timezone.now())
