from django.conf import settings

OFFICIAL_ROLES = {"reception_officer", "specialist", "leader", "procedure_controller",
                  "agency_head"}


def platform(request):
    roles: set[str] = set()
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        # Read once per request, shared with the access checks (``User.held_roles``).
        roles = {role for _agency, role, *_ in user.held_roles()}
        if roles & OFFICIAL_ROLES:
            roles.add("official")
    return {
        "nav_roles": roles,
        "nav_key": ",".join(sorted(roles)),  # what the memoised navigation depends on
        "portal_name": settings.PORTAL_NAME,
        "demo_mode": settings.DEMO,
        # Each language in its own name, untranslated ("Tiếng Việt", "English"), so a reader of
        # either finds the switch; Django's LANG_INFO names are not NFC-normalised.
        "language_choices": settings.LANGUAGES,
    }
