"""What the back office's notification log says about one message: a sentence that is true for
each outcome the worker records (``worker.py``), with the time and the attempt it refers to.

``attempts`` counts the tries to hand the message to its provider; the in-app inbox has no
provider (the row is the delivery, written once by ``outbox.enqueue``), so its line speaks of
the inbox and of reading instead.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from dichvucong.notify.models import Notification, NotificationChannel, Status


def when(moment: datetime | None) -> str:
    """«10:05 ngày 06/12/2026», in local time."""
    if moment is None:
        return ""
    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    return _("%(time)s ngày %(day)s") % {"time": local.strftime("%H:%M"),
                                        "day": local.strftime("%d/%m/%Y")}


def describe(n: Notification) -> str:
    """One readable sentence: what happened to ``n``, when, after how many attempts."""
    count = max(n.attempts, 1)
    if n.channel == NotificationChannel.INAPP:
        text = _("Đã vào hộp thư trên cổng lúc %(at)s") % {"at": when(n.sent_at or n.created_at)}
        if n.read_at:
            text += "; " + _("người nhận đã đọc lúc %(at)s") % {"at": when(n.read_at)}
        return text
    if n.status == Status.SENT:
        return _("Đã gửi lúc %(at)s (lần %(n)s)") % {"at": when(n.sent_at), "n": count}
    if n.status == Status.UNCONFIRMED:
        return _("Đã chuyển cho nhà cung cấp lúc %(at)s (lần %(n)s) nhưng chưa có xác nhận; "
                 "không gửi lại để tránh trùng") % {"at": when(n.sent_at or n.handed_over_at),
                                                    "n": count}
    if n.status == Status.FAILED:
        return _("Không gửi được sau %(n)s lần") % {"n": count}
    if n.status == Status.FELL_BACK:
        return _("Zalo không nhận sau %(n)s lần; đã chuyển sang gửi SMS") % {"n": count}
    if n.status == Status.SENDING:
        return _("Đang gửi (lần %(n)s)") % {"n": count}
    if n.attempts:
        return _("Chưa gửi được sau %(n)s lần; sẽ thử lại lúc %(at)s") % {
            "n": n.attempts, "at": when(n.next_attempt_at)}
    return _("Chờ gửi")
