"""What an operator has left out of the notification settings, said at start-up."""

from django.conf import settings
from django.core.checks import Warning, register

from dichvucong.notify.texts import EVENTS


@register()
def notification_checks(app_configs, **kwargs):
    problems = []
    if settings.MODE != "production":
        return problems
    if not settings.ESMS_URL:
        problems.append(Warning(
            "No SMS gateway: SMS notifications (and one-time codes by SMS) will fail.",
            hint="Set ESMS_URL, ESMS_API_KEY, ESMS_SECRET_KEY and ESMS_BRANDNAME.",
            id="dichvucong.notify.W001"))
    if settings.ZNS_URL and not settings.ZNS_ACCESS_TOKEN:
        problems.append(Warning(
            "ZNS_URL is set without ZNS_ACCESS_TOKEN: every Zalo message will go by SMS.",
            hint="Set ZNS_ACCESS_TOKEN to the Official Account's access token.",
            id="dichvucong.notify.W002"))
    unknown = sorted(set(settings.ZNS_TEMPLATES) - set(EVENTS))
    if unknown:
        problems.append(Warning(
            f"ZNS_TEMPLATES names events that do not exist: {', '.join(unknown)}.",
            hint=f"Known events: {', '.join(sorted(EVENTS))}.", id="dichvucong.notify.W003"))
    if 2 * max(settings.EMAIL_TIMEOUT, 10) > settings.NOTIFY_LEASE_SECONDS:
        problems.append(Warning(
            "NOTIFY_LEASE_SECONDS is shorter than twice a provider's time-out: a slow delivery "
            "could be taken over by another worker.",
            hint="Keep NOTIFY_LEASE_SECONDS at least twice EMAIL_TIMEOUT (and 20 s).",
            id="dichvucong.notify.W004"))
    return problems
