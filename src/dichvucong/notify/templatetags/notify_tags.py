from django import template

from dichvucong.notify import delivery_log
from dichvucong.notify.models import Notification, NotificationChannel
from dichvucong.notify.preferences import preference_of, recipient_for

register = template.Library()


@register.simple_tag
def notify_preference(user):
    return preference_of(user)


@register.simple_tag
def dossier_notifications(dossier, limit: int = 50):
    """The dossier's notifications, newest first (the back office's delivery status)."""
    return list(Notification.objects.filter(dossier=dossier).order_by("-id")[:limit])


@register.filter
def delivery_status(notification: Notification) -> str:
    """The log's sentence for one message (``delivery_log.describe``)."""
    return delivery_log.describe(notification)


@register.simple_tag
def channels_of(user) -> list[str]:
    """How the user is told of their dossiers' news, as labels (``preferences.recipient_for``)."""
    labels = dict(NotificationChannel.choices)
    return [str(labels[c]) for c in recipient_for(user).channels if c in labels]
