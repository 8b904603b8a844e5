"""The in-app inbox: a user's messages on the portal, newest first, paginated by key."""

from __future__ import annotations

from django.utils import timezone

from dichvucong.notify.models import Notification, NotificationChannel

PAGE_SIZE = 20


def messages_for(user_id: int, before: int | None = None, size: int = PAGE_SIZE):
    """One page of the user's inbox (and whether older messages exist)."""
    rows = Notification.objects.filter(user_id=user_id, channel=NotificationChannel.INAPP)
    if before:
        rows = rows.filter(pk__lt=before)
    page = list(rows.select_related("dossier").order_by("-id")[: size + 1])
    return page[:size], len(page) > size


def unread_count(user_id: int) -> int:
    return Notification.objects.filter(user_id=user_id, channel=NotificationChannel.INAPP,
                                       read_at__isnull=True).count()


def mark_read(user_id: int, notification_id: int | None = None) -> int:
    """Mark one message (or all) read; only the user's own. Returns how many changed."""
    rows = Notification.objects.filter(user_id=user_id, channel=NotificationChannel.INAPP,
                                       read_at__isnull=True)
    if notification_id is not None:
        rows = rows.filter(pk=notification_id)
    return rows.update(read_at=timezone.now())
