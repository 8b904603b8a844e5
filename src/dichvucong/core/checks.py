"""System checks that tell an operator what is misconfigured at start-up."""

from django.conf import settings
from django.core.checks import Error, Warning, register


@register()
def deployment_checks(app_configs, **kwargs):
    problems = []
    engine = settings.DATABASES["default"]["ENGINE"]
    if settings.MODE == "production" and engine.endswith("sqlite3"):
        problems.append(
            Warning(
                "SQLite is the embedded default; a production deployment should use PostgreSQL.",
                hint="Set DATABASE_URL=postgres://user:password@host/dbname",
                id="dichvucong.W001",
            )
        )
    if settings.MODE == "production" and not settings.ALLOWED_HOSTS:
        problems.append(
            Error(
                "ALLOWED_HOSTS is empty.",
                hint="Set ALLOWED_HOSTS to the portal's host names, comma-separated.",
                id="dichvucong.E001",
            )
        )
    if settings.MODE == "production" and settings.DEBUG:
        problems.append(
            Error("DEBUG is on in production.", hint="Unset DEBUG.", id="dichvucong.E002")
        )
    return problems
