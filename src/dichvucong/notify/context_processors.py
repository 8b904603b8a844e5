"""The unread count in the header, counted only when a page shows it (one indexed query, up to
``inbox.HEADER_CAP``)."""

from __future__ import annotations

from functools import cached_property

from dichvucong.notify import inbox as inbox_rows


class UnreadCount:
    def __init__(self, user_id: int) -> None:
        self.user_id = user_id

    @cached_property
    def value(self) -> int:
        return inbox_rows.unread_count(self.user_id, cap=inbox_rows.HEADER_CAP)

    def __bool__(self) -> bool:
        return self.value > 0

    def __int__(self) -> int:
        return self.value

    def __str__(self) -> str:
        cap = inbox_rows.HEADER_CAP
        return f"{cap - 1}+" if self.value >= cap else str(self.value)


def inbox(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"inbox_unread": UnreadCount(user.pk)}
