"""The unread count in the header, counted only when a page shows it (one indexed query)."""

from __future__ import annotations

from functools import cached_property

from dichvucong.notify.inbox import unread_count


class UnreadCount:
    def __init__(self, user_id: int) -> None:
        self.user_id = user_id

    @cached_property
    def value(self) -> int:
        return unread_count(self.user_id)

    def __bool__(self) -> bool:
        return self.value > 0

    def __int__(self) -> int:
        return self.value

    def __str__(self) -> str:
        return str(self.value)


def inbox(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"inbox_unread": UnreadCount(user.pk)}
