from django.conf import settings


def platform(request):
    return {
        "portal_name": settings.PORTAL_NAME,
        "demo_mode": settings.DEMO,
        # Each language in its own name, untranslated ("Tiếng Việt", "English"), so a reader of
        # either finds the switch; Django's LANG_INFO names are not NFC-normalised.
        "language_choices": settings.LANGUAGES,
    }
