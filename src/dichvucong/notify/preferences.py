"""Who gets a notification, where, in which language.

Defaults when a user has chosen nothing: the inbox on the portal always, plus SMS when the
account has a phone number and e-mail when it has an address. A user may turn e-mail off, and
choose SMS, Zalo (with SMS when Zalo refuses) or nothing for the phone. Without an account (a
walk-in applicant) the dossier's phone and e-mail are used, in Vietnamese.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from dichvucong.notify.models import NotificationChannel, Preference


@dataclass(frozen=True)
class Recipient:
    email: str
    phone: str
    language: str
    channels: list[str]


def preference_of(user) -> Preference:
    """The user's saved choices, or the defaults (unsaved)."""
    try:
        return user.notify_preference
    except Preference.DoesNotExist:
        return Preference(user=user)


def recipient_for(user=None, address: dict | None = None) -> Recipient:
    address = address or {}
    languages = dict(settings.LANGUAGES)
    if user is not None:
        pref = preference_of(user)
        email = address.get("email") or user.email or ""
        phone = address.get("phone") or user.phone or ""
        language = address.get("language") or pref.language
        channels = [NotificationChannel.INAPP.value]
        if email and pref.email:
            channels.append(NotificationChannel.EMAIL.value)
        if phone and pref.phone != Preference.Phone.NONE:
            channels.append(pref.phone)
    else:
        email = address.get("email") or ""
        phone = address.get("phone") or ""
        language = address.get("language") or "vi"
        channels = []
        if email:
            channels.append(NotificationChannel.EMAIL.value)
        if phone:
            channels.append(address.get("phone_channel") or NotificationChannel.SMS.value)
    if language not in languages:
        language = "vi"
    return Recipient(email=email, phone=phone, language=language, channels=channels)
