"""System checks that tell an operator what is misconfigured at start-up."""

from django.conf import settings
from django.core.checks import Error, Warning, register

from dichvucong.core.middleware import origin


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
    if settings.VNPAY_URL and origin(settings.VNPAY_URL) is None:
        # The CSP's form-action could not name it: browsers would refuse the redirect to it.
        problems.append(
            Error(
                "VNPAY_URL is not an absolute http(s) URL on a plain host name.",
                hint="Set VNPAY_URL to the gateway's vpcpay.html, e.g. "
                "https://pay.vnpay.vn/vpcpay.html.",
                id="dichvucong.csp.E001",
            )
        )
    return problems
