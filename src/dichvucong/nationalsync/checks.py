"""What an operator has left out of the national portal sync settings, said at start-up."""

from django.conf import settings
from django.core.checks import Warning, register


@register()
def national_sync_checks(app_configs, **kwargs):
    problems = []
    if settings.MODE != "production":
        return problems
    if not settings.NATIONAL_SYNC_URL:
        problems.append(Warning(
            "No NATIONAL_SYNC_URL: dossiers and steps are kept in the outbox and never reach "
            "the National Public Service Portal (Decision 766 counts the share synced).",
            hint="Set NATIONAL_SYNC_URL, NATIONAL_SYNC_USERNAME and NATIONAL_SYNC_PASSWORD.",
            id="dichvucong.nationalsync.W001"))
    if 2 * settings.NATIONAL_SYNC_TIMEOUT > settings.NATIONAL_SYNC_LEASE_SECONDS:
        problems.append(Warning(
            "NATIONAL_SYNC_LEASE_SECONDS is shorter than twice NATIONAL_SYNC_TIMEOUT: a slow "
            "answer could be taken over by another worker and sent twice (recognised by its key).",
            hint="Keep NATIONAL_SYNC_LEASE_SECONDS at least twice NATIONAL_SYNC_TIMEOUT.",
            id="dichvucong.nationalsync.W002"))
    return problems
