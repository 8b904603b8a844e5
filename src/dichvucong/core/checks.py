"""System checks that tell an operator what is misconfigured at start-up. Those tagged
``dichvucong`` also run when the WSGI application loads in production (``wsgi.py``), so a
gunicorn started without ``manage.py`` refuses a serious one too."""

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.core.exceptions import ImproperlyConfigured

from dichvucong.core.middleware import origin

TAG = "dichvucong"
DEMO_CA_MARK = "demo, not for production"  # the organisation of results/pki.py's demo CA
MIN_SECRET_KEY_LENGTH = 50


@register(TAG)
def demo_secrets(app_configs, **kwargs):
    """Production must not run on anything the repository publishes: the sandbox payment
    secrets, the demo signing CA, a short or Django-generated-insecure SECRET_KEY."""
    if settings.MODE != "production":
        return []
    problems = [
        Error(f"{name} is the published demo value.",
              hint=f"Set {name} to the value your provider gave you.", id="dichvucong.E003")
        for name, demo in settings.DEMO_SECRETS.items() if getattr(settings, name, "") == demo]
    key = settings.SECRET_KEY
    if len(key) < MIN_SECRET_KEY_LENGTH or key.startswith("django-insecure"):
        problems.append(Error(
            f"SECRET_KEY is shorter than {MIN_SECRET_KEY_LENGTH} characters or a generated "
            "insecure one.", hint="Set SECRET_KEY to a long random value "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))').",
            id="dichvucong.E004"))
    authority = Path(settings.RESULTS_PKI_DIR) / "ca.pem"
    if authority.is_file() and _is_demo_authority(authority.read_bytes()):
        problems.append(Error(
            "The results' key folder holds the demo signing CA.",
            hint=f"Remove {authority} and its key; sign with the agencies' own certificates "
            "(DICHVUCONG_RESULTS_SIGNER, DICHVUCONG_RESULTS_TRUST_ROOTS).",
            id="dichvucong.E005"))
    return problems


def _is_demo_authority(pem: bytes) -> bool:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    try:
        subject = x509.load_pem_x509_certificate(pem).subject
    except ValueError:
        return False
    return any(DEMO_CA_MARK in str(attribute.value)
               for attribute in subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME))


def refuse_serious_problems() -> None:
    """Raise when a check tagged ``dichvucong`` finds an error (the WSGI application's start)."""
    from django.core.checks import run_checks

    serious = [problem for problem in run_checks(tags=[TAG]) if problem.is_serious()]
    if serious:
        raise ImproperlyConfigured("\n".join(str(problem) for problem in serious))


@register(TAG)
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
