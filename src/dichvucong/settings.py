"""Settings, read from the environment (twelve-factor).

Modes (``DICHVUCONG_MODE``):
- ``production`` (default): DEBUG off, ``SECRET_KEY`` and ``ALLOWED_HOSTS`` required, secure
  cookies, HSTS and the other security headers on.
- ``demo``: what ``./run demo`` uses: local HTTP on 127.0.0.1, a generated secret kept in the data
  folder, demo accounts.
- ``test``: what the test suite uses (see ``settings_test``).

Every variable is listed in the README's "Configuration" section.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
MODE = os.environ.get("DICHVUCONG_MODE", "production")
if MODE not in {"production", "demo", "test"}:
    raise RuntimeError(f"DICHVUCONG_MODE must be production, demo or test, not {MODE!r}")
DEMO = MODE == "demo"
TESTING = MODE == "test"


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("DICHVUCONG_DATA_DIR", Path.cwd() / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if MODE == "production":
        raise RuntimeError("SECRET_KEY must be set in production (DICHVUCONG_MODE=production).")
    # Demo and tests: a random key kept beside the data, so sessions survive a restart.
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", "" if MODE == "production" else "127.0.0.1,localhost,[::1],testserver"
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "huey.contrib.djhuey",
    "django_prometheus",  # request metrics at /metrics (core.views.metrics)
    "ninja",  # serves the API docs' Swagger UI from our own static files, not a CDN
    "oauth2_provider",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "dichvucong.core",
    "dichvucong.adminunits",
    "dichvucong.agencies",
    "dichvucong.accounts",
    "dichvucong.catalog",
    "dichvucong.dossiers",
    "dichvucong.workflow",
    "dichvucong.backoffice",
    "dichvucong.slips",
    "dichvucong.notify",
    "dichvucong.ratings",
    "dichvucong.feedback",
    "dichvucong.guidance",
    "dichvucong.hotline",
    "dichvucong.assisted",
    "dichvucong.datastore",
    "dichvucong.alerts",
    "dichvucong.opendata",
    "dichvucong.results",
    "dichvucong.monitor",
    "dichvucong.payments",
    "dichvucong.apiclients",
    "dichvucong.nationalsync",
    "dichvucong.webhooks",
    "dichvucong.pipeline",  # what follows a dossier's change (above the apps it runs)
    "dichvucong.devdata",  # the demo and synthetic data (above every layer)
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "dichvucong.core.logs.RequestIdMiddleware",  # first: every later log line carries the id
    "django.middleware.security.SecurityMiddleware",
    "dichvucong.core.middleware.SecurityHeadersMiddleware",
    # Before the page cache's early answer, like every header-setting middleware.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "dichvucong.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # A stored public page for a visitor with no session: answered here (core.pagecache).
    "dichvucong.core.pagecache.PageCacheMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "dichvucong.accounts.middleware.OTPMiddleware",  # django-otp's (accounts/middleware.py)
    "dichvucong.accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "dichvucong.apiclients.middleware.ClientCallAuditMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "dichvucong.urls"
WSGI_APPLICATION = "dichvucong.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "dichvucong.core.context_processors.platform",
                "dichvucong.notify.context_processors.inbox",
            ],
            # Django's i18n tags, a constant {% translate %} kept once per language.
            "libraries": {"i18n": "dichvucong.core.templatetags.translations"},
        },
    }
]
# That "i18n" names two libraries, Django's and the one above, is meant.
SILENCED_SYSTEM_CHECKS = ["templates.W003"]

# Database: SQLite (WAL) by default, PostgreSQL through DATABASE_URL=postgres://…
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Kept across requests as well (opening one costs about 3.5 ms of CPU); a kept connection
    # whose path now names another file is closed when the next request starts (core/dbfile.py).
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock at the
        # start of a transaction, so concurrent writers queue instead of failing mid-way.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    # A covering index's included columns are PostgreSQL's (``monitor_open_newest_due``); on
    # SQLite the same index without them is what is wanted, not a fault to report.
    SILENCED_SYSTEM_CHECKS.append("models.W040")
elif env_bool("DB_PREPARED_STATEMENTS", True):
    # The queries every request makes (``core.prepared``) are prepared on the server once per
    # connection: PostgreSQL parses and plans each statement anew otherwise, about two thirds of
    # its CPU on a signed-in page (docs/performance.md). psycopg prepares only when asked
    # (Django's cursors bind on the client and never prepare): the threshold is never reached.
    # Off (``0``) behind a pooler that shares server connections between transactions.
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 2**31 - 1
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# Log in with a user name, or a confirmed phone number or email address.
AUTHENTICATION_BACKENDS = ["dichvucong.accounts.backends.PhoneEmailUsernameBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
# Two-factor login (accounts/twofactor.py): required of every official (staff or an agency
# role) when on; production turns it on, the demo and the tests leave it to each account.
TWO_FACTOR_FOR_OFFICIALS = env_bool("DICHVUCONG_TWO_FACTOR_FOR_OFFICIALS", MODE == "production")
OTP_TOTP_ISSUER = os.environ.get("DICHVUCONG_OTP_ISSUER", "Dịch vụ công Đà Nẵng")
# Passkeys (accounts/passkeys.py): the WebAuthn relying party's ID, a registrable domain
# (never an IP address); empty: the host the request came to. Credentials are bound to it.
WEBAUTHN_RP_ID = os.environ.get("DICHVUCONG_WEBAUTHN_RP_ID", "")
# Re-authentication (accounts/reauth.py): signing or revoking a result and exporting personal
# data need the code (or the password, without two-factor) entered within this many seconds.
REAUTH_SECONDS = int(os.environ.get("DICHVUCONG_REAUTH_SECONDS", "300"))
# The audit trail's anchors (core/audit.py): the signed chain head, appended to a file outside
# the database, and the platform's audit key that signs it (made on first use).
AUDIT_ANCHOR_FILE = Path(os.environ.get("DICHVUCONG_AUDIT_ANCHOR_FILE",
                                        DATA_DIR / "audit" / "anchors.jsonl"))
AUDIT_ANCHOR_KEY_FILE = Path(os.environ.get("DICHVUCONG_AUDIT_ANCHOR_KEY_FILE",
                                            DATA_DIR / "audit" / "anchor_key.pem"))
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:home"

# Machine clients of the API (apiclients; docs/architecture.md, "Machine clients"): OAuth 2.0
# with django-oauth-toolkit. Client credentials for systems, authorization code with PKCE (S256
# only) for mobile apps; no implicit or password grant; tokens only in the Authorization header
# and stored only as their SHA-256; a refresh token used twice revokes its family.
# The token and revocation endpoints check a client secret with a slow password hash: a caller
# guessing or flooding them is limited per address (requests per minute).
OAUTH_TOKEN_RATE_LIMIT = int(os.environ.get("DICHVUCONG_OAUTH_TOKEN_RATE_LIMIT", "30"))
# Drafts a citizen started and left are deleted, with their files, after this many days untouched.
DRAFT_RETENTION_DAYS = int(os.environ.get("DICHVUCONG_DRAFT_RETENTION_DAYS", "90"))
# Share links of the personal data store are deleted this many days after they expired or were
# revoked (their accesses stay in the store's history and the audit trail).
SHARE_LINK_RETENTION_DAYS = int(os.environ.get("DICHVUCONG_SHARE_LINK_RETENTION_DAYS", "30"))
# How long each machine client's calls stay in its call log (ClientCall), in days.
API_CLIENT_CALL_RETENTION_DAYS = int(
    os.environ.get("DICHVUCONG_API_CLIENT_CALL_RETENTION_DAYS", "400"))
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"  # named for the migrations
OAUTH2_PROVIDER = {
    "SCOPES_BACKEND_CLASS": "dichvucong.apiclients.scopes.ClientScopes",
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    "REFRESH_TOKEN_EXPIRE_SECONDS": 30 * 24 * 3600,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "PKCE_REQUIRED": True,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "OAUTH2_GRANT_TYPES_SUPPORTED": ["authorization_code", "client_credentials",
                                     "refresh_token"],
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
}

# Language and time: Vietnamese first, English second.
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_TZ = True
# dd/mm/yyyy and a 24-hour clock in both languages, also where a template names no format.
FORMAT_MODULE_PATH = ["dichvucong.core.formats"]
LANGUAGE_COOKIE_SECURE = MODE == "production"
LANGUAGE_COOKIE_SAMESITE = "Lax"

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    # Django's, without partial files left by a failed write (core.storage).
    "default": {"BACKEND": "dichvucong.core.storage.LocalStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_MAX_AGE = 3600
# Templates name static files through the manifest, so the unhashed copies are never served; and
# source maps (11 MB of the API documentation's bundles) are fetched only by a developer's tools.
# Compressing both twice, gzip and brotli, made collectstatic take most of a minute.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (
    "jpg", "jpeg", "png", "gif", "webp", "zip", "gz", "tgz", "bz2", "tbz", "xz", "br", "swf",
    "flv", "woff", "woff2", "3gp", "3gpp", "asf", "avi", "m4v", "mov", "mp4", "mpeg", "mpg",
    "webm", "wmv", "map")
# Files on S3-compatible object storage (django-storages) when a bucket is named; the data
# folder's media/ otherwise. The bucket stays private: downloads stream through the application
# after its access check (core.storage), so no object address is ever handed out.
S3_BUCKET = os.environ.get("DICHVUCONG_S3_BUCKET", "")


def _s3_client_config(addressing_style: str, attempts: int):
    """Seconds to connect and to wait for an answer, and the tries: an outage shows within
    seconds (core.s3: 503), not after the minute botocore waits by default."""
    from botocore.config import Config  # boto3 only when a bucket is named

    return Config(s3={"addressing_style": addressing_style}, signature_version="s3v4",
                  connect_timeout=3, read_timeout=30,
                  retries={"mode": "standard", "max_attempts": attempts})


def s3_storage(env) -> dict:
    """The default storage on the S3-compatible server that ``env``'s DICHVUCONG_S3_* name."""
    return {
        "BACKEND": "dichvucong.core.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env["DICHVUCONG_S3_BUCKET"],
            "endpoint_url": env.get("DICHVUCONG_S3_ENDPOINT_URL") or None,
            "region_name": env.get("DICHVUCONG_S3_REGION") or None,
            "access_key": env.get("DICHVUCONG_S3_ACCESS_KEY") or None,
            "secret_key": env.get("DICHVUCONG_S3_SECRET_KEY") or None,
            "location": env.get("DICHVUCONG_S3_PREFIX", ""),
            "addressing_style": env.get("DICHVUCONG_S3_ADDRESSING_STYLE", "path"),
            "signature_version": "s3v4",
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 60,
            "client_config": _s3_client_config(
                env.get("DICHVUCONG_S3_ADDRESSING_STYLE", "path"),
                int(env.get("DICHVUCONG_S3_MAX_ATTEMPTS", "3"))),
            # Names are generated; an existing name is never overwritten.
            "file_overwrite": False,
        },
    }


if S3_BUCKET:
    STORAGES["default"] = s3_storage(os.environ)

# Background jobs: huey. SQLite storage in the data folder by default, Redis when REDIS_URL is set.
REDIS_URL = os.environ.get("REDIS_URL", "")
HUEY = {
    "name": "dichvucong",
    "immediate": env_bool("HUEY_IMMEDIATE", False),
    "utc": True,
    "consumer": {"workers": int(os.environ.get("HUEY_WORKERS", "2")), "worker_type": "thread"},
}
if REDIS_URL:
    HUEY.update({"huey_class": "huey.RedisHuey", "url": REDIS_URL})
else:
    HUEY.update(
        {"huey_class": "huey.SqliteHuey", "filename": str(DATA_DIR / "huey.sqlite3")}
    )

# Rate limits do not count in the cache (core.ratelimit: the database, or Redis when set).
# "pages": the anonymous public pages (core.pagecache), invalidated through the database, so
# each process's own memory is enough without Redis.
# Django's database sessions, the row read by a query composed once (core/sessions).
SESSION_ENGINE = "dichvucong.core.sessions.db"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
          "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                    "LOCATION": "pages", "OPTIONS": {"MAX_ENTRIES": 5000}}}
if REDIS_URL:
    # A miss, not a 500, while Redis is down (core.cache).
    CACHES = {"default": {"BACKEND": "dichvucong.core.cache.TolerantRedisCache",
                          "LOCATION": REDIS_URL},
              "pages": {"BACKEND": "dichvucong.core.cache.TolerantRedisCache",
                        "LOCATION": REDIS_URL, "KEY_PREFIX": "pages"}}
    # Sessions read from Redis and written through to the database (nothing lost with Redis).
    # Not without Redis: in one process's memory, a session ended in another process (logout)
    # would live on in this one.
    SESSION_ENGINE = "dichvucong.core.sessions.cached_db"

# Security. Secure by default; demo and tests run over plain HTTP on loopback.
SECURE = MODE == "production"
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", SECURE)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000" if SECURE else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The reverse proxies (addresses or networks) whose X-Forwarded-For is believed when the rate
# limits tell clients apart (core.ratelimit.client_address); none by default: REMOTE_ADDR.
TRUSTED_PROXIES = env_list("DICHVUCONG_TRUSTED_PROXIES")
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# The province this deployment serves, and its QCVN 102:2016/BTTTT suffix. Đà Nẵng's suffix
# could not be verified from a published source: H17 is used until a real reception slip
# confirms it.
PROVINCE_CODE = int(os.environ.get("DICHVUCONG_PROVINCE_CODE", "48"))
PROVINCE_AGENCY_SUFFIX = os.environ.get("DICHVUCONG_PROVINCE_SUFFIX", "H17")
PORTAL_NAME = os.environ.get("DICHVUCONG_PORTAL_NAME", _("Cổng dịch vụ công thành phố Đà Nẵng"))

# Mail: SMTP from the environment; the demo writes mail to the console.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEMO
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Cổng dịch vụ công <no-reply@localhost>")

# SMS brandname gateway (eSMS's API). Without ESMS_URL the demo keeps messages in a sandbox.
ESMS_URL = os.environ.get("ESMS_URL", "")
ESMS_API_KEY = os.environ.get("ESMS_API_KEY", "")
ESMS_SECRET_KEY = os.environ.get("ESMS_SECRET_KEY", "")
ESMS_BRANDNAME = os.environ.get("ESMS_BRANDNAME", "")
# Notifications (notify app). ESMS_UNICODE=1 keeps Vietnamese diacritics in SMS (70 characters a
# segment); by default texts are folded to ASCII on purpose (notify/texts.py).
ESMS_UNICODE = env_bool("ESMS_UNICODE", False)
ESMS_CALLBACK_URL = os.environ.get("ESMS_CALLBACK_URL", "")
EMAIL_HOST_GIVEN = "EMAIL_HOST" in os.environ  # demo: without it, mail goes to the sandbox
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
# Zalo ZNS: the API URL (https://business.openapi.zalo.me/message/template), the OA's access
# token, and the approved template of each event: "received=123456,fee_due=234567".
ZNS_URL = os.environ.get("ZNS_URL", "")
ZNS_ACCESS_TOKEN = os.environ.get("ZNS_ACCESS_TOKEN", "")
ZNS_TEMPLATES = dict(item.split("=", 1) for item in env_list("ZNS_TEMPLATES") if "=" in item)
NOTIFY_MAX_ATTEMPTS = int(os.environ.get("NOTIFY_MAX_ATTEMPTS", "8"))
NOTIFY_LEASE_SECONDS = float(os.environ.get("NOTIFY_LEASE_SECONDS", "120"))
NOTIFY_BACKOFF_SECONDS = float(os.environ.get("NOTIFY_BACKOFF_SECONDS", "30"))
NOTIFY_BACKOFF_MAX_SECONDS = float(os.environ.get("NOTIFY_BACKOFF_MAX_SECONDS", "21600"))
NOTIFY_BATCH = int(os.environ.get("NOTIFY_BATCH", "20"))

# Deadline alerts (alerts.rules): an online dossier not received within 4 working hours; due
# within 24 hours (one working day per 24 hours); a step within 25% of its time ("1d": one working
# day); a supplement unanswered after 10 working days.
ALERTS_RECEPTION_HOURS = float(os.environ.get("DICHVUCONG_ALERT_RECEPTION_HOURS", "4"))
ALERTS_NEAR_DUE_HOURS = float(os.environ.get("DICHVUCONG_ALERT_NEAR_DUE_HOURS", "24"))
ALERTS_STEP_THRESHOLD = os.environ.get("DICHVUCONG_ALERT_STEP_THRESHOLD", "25%")
ALERTS_SUPPLEMENT_WORKING_DAYS = int(os.environ.get("DICHVUCONG_ALERT_SUPPLEMENT_DAYS", "10"))
# Feedback: working days to answer (Nghị định 20/2008/NĐ-CP as amended; feedback/conf.py).
FEEDBACK_ANSWER_WORKING_DAYS = int(os.environ.get("DICHVUCONG_FEEDBACK_ANSWER_DAYS", "10"))

# Digital results: how agencies sign (pkcs12 | pkcs11 | csc), where keys and trust roots live.
RESULTS_SIGNER = os.environ.get("DICHVUCONG_RESULTS_SIGNER", "pkcs12")
RESULTS_PKI_DIR = Path(os.environ.get("DICHVUCONG_RESULTS_PKI_DIR", DATA_DIR / "pki"))
RESULTS_PKCS12_PASSWORD = os.environ.get("DICHVUCONG_RESULTS_PKCS12_PASSWORD", "")
RESULTS_TRUST_ROOTS = env_list("DICHVUCONG_RESULTS_TRUST_ROOTS")  # PEM files; default: demo CA
# Signing is leased in the database (results.signing_jobs): a worker killed while signing lets
# its lease expire and the sweeper signs the result again; a result queued this long without a
# worker taking it (its enqueueing was lost, e.g. Redis down) is taken by the sweeper too; after
# this many interrupted attempts the result is marked failed for the officer to retry.
RESULTS_SIGNING_LEASE_SECONDS = int(os.environ.get("DICHVUCONG_RESULTS_SIGNING_LEASE_SECONDS",
                                                   "300"))
RESULTS_SIGNING_GRACE_SECONDS = int(os.environ.get("DICHVUCONG_RESULTS_SIGNING_GRACE_SECONDS",
                                                   "120"))
RESULTS_SIGNING_MAX_ATTEMPTS = int(os.environ.get("DICHVUCONG_RESULTS_SIGNING_MAX_ATTEMPTS", "3"))
# The key that signs the published trust list (PEM private key and certificate; default in demo
# and test: made beside the demo CA) and the SHA-256 fingerprints of the trust-list certificates
# the verifiers here accept (default: the configured certificate's).
RESULTS_TRUST_LIST_KEY = os.environ.get("DICHVUCONG_RESULTS_TRUST_LIST_KEY", "")
RESULTS_TRUST_LIST_CERT = os.environ.get("DICHVUCONG_RESULTS_TRUST_LIST_CERT", "")
RESULTS_TRUST_LIST_ANCHORS = env_list("DICHVUCONG_RESULTS_TRUST_LIST_ANCHORS")
# Freshness of the published trust list (like a CRL): each issue is valid this many hours and is
# re-issued half-way; verifiers accept an overdue list for the grace, with a warning; online
# verification and the endpoint keep it cached this many seconds (dropped on any change).
RESULTS_TRUST_LIST_VALID_HOURS = int(os.environ.get("DICHVUCONG_RESULTS_TRUST_LIST_VALID_HOURS",
                                                    "48"))
RESULTS_TRUST_LIST_GRACE_HOURS = int(os.environ.get("DICHVUCONG_RESULTS_TRUST_LIST_GRACE_HOURS",
                                                    "24"))
RESULTS_TRUST_LIST_CACHE_SECONDS = int(
    os.environ.get("DICHVUCONG_RESULTS_TRUST_LIST_CACHE_SECONDS", "300"))
RESULTS_PKCS11_MODULE = os.environ.get("DICHVUCONG_RESULTS_PKCS11_MODULE", "")
RESULTS_PKCS11_TOKEN = os.environ.get("DICHVUCONG_RESULTS_PKCS11_TOKEN", "")
RESULTS_PKCS11_PIN = os.environ.get("DICHVUCONG_RESULTS_PKCS11_PIN", "")
# Hash on the host and sign with the token's raw mechanism (CKM_ECDSA, CKM_RSA_PKCS): for tokens
# without the combined ones (SoftHSM 2.6 has no CKM_ECDSA_SHA256).
RESULTS_PKCS11_RAW = env_bool("DICHVUCONG_RESULTS_PKCS11_RAW", False)
RESULTS_CSC_URL = os.environ.get("DICHVUCONG_CSC_URL", "")
RESULTS_CSC_TOKEN = os.environ.get("DICHVUCONG_CSC_TOKEN", "")
RESULTS_CSC_USERNAME = os.environ.get("DICHVUCONG_CSC_USERNAME", "")
RESULTS_CSC_PASSWORD = os.environ.get("DICHVUCONG_CSC_PASSWORD", "")
RESULTS_CSC_PIN = os.environ.get("DICHVUCONG_CSC_PIN", "")
RESULTS_CSC_CREDENTIAL = os.environ.get("DICHVUCONG_CSC_CREDENTIAL", "{agency}")
# Citizens sign their declaration before filing through a remote signing service (CSC API;
# results/declaration_signing.py): the platform's client account there (``auth/login``, or a
# token), and the CAs whose personal certificates are accepted (PEM files; the revocation of
# each certificate is checked online). No URL: the step is not offered.
DECLARATION_CSC_URL = os.environ.get("DICHVUCONG_DECLARATION_CSC_URL", "")
DECLARATION_CSC_TOKEN = os.environ.get("DICHVUCONG_DECLARATION_CSC_TOKEN", "")
DECLARATION_CSC_USERNAME = os.environ.get("DICHVUCONG_DECLARATION_CSC_USERNAME", "")
DECLARATION_CSC_PASSWORD = os.environ.get("DICHVUCONG_DECLARATION_CSC_PASSWORD", "")
DECLARATION_TRUST_ROOTS = env_list("DICHVUCONG_DECLARATION_TRUST_ROOTS")

# Online fee payment. VNPay 2.1.0: the merchant's terminal code and hash secret, and the gateway's
# vpcpay.html. VietQR: the collecting account. Outside production the local sandbox gateway
# (``dichvucong vnpay_sandbox``, started by ``serve`` in the demo) and a sample account stand in.
_SANDBOX = MODE != "production"
# The published sandbox values: production refuses to start with any of them (core/checks.py).
DEMO_SECRETS = {"VNPAY_TMN_CODE": "DVCDEMO1",
                "VNPAY_HASH_SECRET": "SANDBOXSECRETDICHVUCONGDEMO0000000",
                "BANK_WEBHOOK_SECRET": "sandbox-bank-webhook"}
VNPAY_TMN_CODE = os.environ.get(
    "VNPAY_TMN_CODE", DEMO_SECRETS["VNPAY_TMN_CODE"] if _SANDBOX else "")
VNPAY_HASH_SECRET = os.environ.get(
    "VNPAY_HASH_SECRET", DEMO_SECRETS["VNPAY_HASH_SECRET"] if _SANDBOX else "")
VNPAY_SANDBOX_PORT = int(os.environ.get("VNPAY_SANDBOX_PORT", "8001"))
VNPAY_URL = os.environ.get(
    "VNPAY_URL",
    f"http://127.0.0.1:{VNPAY_SANDBOX_PORT}/paymentv2/vpcpay.html" if _SANDBOX else "")
VIETQR_BANK_BIN = os.environ.get("VIETQR_BANK_BIN", "970415" if _SANDBOX else "")
VIETQR_ACCOUNT = os.environ.get("VIETQR_ACCOUNT", "113366668888" if _SANDBOX else "")
VIETQR_ACCOUNT_NAME = os.environ.get(
    "VIETQR_ACCOUNT_NAME", "TRUNG TAM PHUC VU HANH CHINH CONG" if _SANDBOX else "")
# The National Public Service Portal's sync (nationalsync): its endpoint and HTTP Basic
# credentials. Without a URL, records wait in the outbox, unsent. The demo sends them to the
# local simulator (``dichvucong national_simulator``, started by ``serve``).
NATIONAL_SIMULATOR_PORT = int(os.environ.get("NATIONAL_SIMULATOR_PORT", "8002"))
NATIONAL_SYNC_URL = os.environ.get(
    "NATIONAL_SYNC_URL", f"http://127.0.0.1:{NATIONAL_SIMULATOR_PORT}/" if DEMO else "")
NATIONAL_SYNC_USERNAME = os.environ.get("NATIONAL_SYNC_USERNAME", "")
NATIONAL_SYNC_PASSWORD = os.environ.get("NATIONAL_SYNC_PASSWORD", "")
NATIONAL_SYNC_TIMEOUT = float(os.environ.get("NATIONAL_SYNC_TIMEOUT", "15"))
NATIONAL_SYNC_MAX_ATTEMPTS = int(os.environ.get("NATIONAL_SYNC_MAX_ATTEMPTS", "10"))
NATIONAL_SYNC_BACKOFF_SECONDS = float(os.environ.get("NATIONAL_SYNC_BACKOFF_SECONDS", "30"))
NATIONAL_SYNC_BACKOFF_MAX_SECONDS = float(
    os.environ.get("NATIONAL_SYNC_BACKOFF_MAX_SECONDS", "3600"))
NATIONAL_SYNC_LEASE_SECONDS = int(os.environ.get("NATIONAL_SYNC_LEASE_SECONDS", "120"))
# Records per request (one per dossier, of one service): the services take a list.
NATIONAL_SYNC_BATCH = int(os.environ.get("NATIONAL_SYNC_BATCH", "50"))
# Minutes the intake pull may fail before the monitoring centre shows it as an alert.
NATIONAL_INTAKE_ALERT_MINUTES = int(os.environ.get("NATIONAL_INTAKE_ALERT_MINUTES", "15"))
# Days the portal has to fetch a synced record's files through their signed links.
NATIONAL_SYNC_LINK_DAYS = int(os.environ.get("NATIONAL_SYNC_LINK_DAYS", "90"))
# Signed webhooks to registered systems (webhooks): seconds to wait for an answer, attempts
# before a delivery is listed as failed, exponential backoff with jitter (first delay, cap), how
# long a claim lasts.
WEBHOOK_TIMEOUT = float(os.environ.get("WEBHOOK_TIMEOUT", "10"))
WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("WEBHOOK_MAX_ATTEMPTS", "8"))
WEBHOOK_BACKOFF_SECONDS = float(os.environ.get("WEBHOOK_BACKOFF_SECONDS", "30"))
WEBHOOK_BACKOFF_MAX_SECONDS = float(os.environ.get("WEBHOOK_BACKOFF_MAX_SECONDS", "3600"))
# The pipeline's worker (pipeline/worker.py): how long a claimed entry is held before another
# worker may take it over (a killed worker's entries).
PIPELINE_LEASE_SECONDS = float(os.environ.get("PIPELINE_LEASE_SECONDS", "120"))
# The worker reads the papers citizens upload (pipeline step ``read``, Tesseract: about a second
# a page). Off in the test suite, whose many small uploads would each cost a read; the tests of
# the reading turn it on.
READ_UPLOADS = env_bool("DICHVUCONG_READ_UPLOADS", MODE != "test")
WEBHOOK_LEASE_SECONDS = int(os.environ.get("WEBHOOK_LEASE_SECONDS", "60"))
# The bank's transfer webhook signs its JSON body with HMAC-SHA256 under this secret.
BANK_WEBHOOK_SECRET = os.environ.get(
    "BANK_WEBHOOK_SECRET", DEMO_SECRETS["BANK_WEBHOOK_SECRET"] if _SANDBOX else "")

# /metrics answers with this bearer token; without one, only direct calls from this machine.
METRICS_TOKEN = os.environ.get("DICHVUCONG_METRICS_TOKEN", "")

# One JSON object a line with the request id (production), or plain text; personal data masked
# in both (core.logs).
LOG_FORMAT = os.environ.get("DICHVUCONG_LOG_FORMAT", "plain" if DEBUG or TESTING else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "dichvucong.core.logs.RequestIdFilter"}},
    "formatters": {
        "plain": {"()": "dichvucong.core.logs.PlainFormatter",
                  "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "dichvucong.core.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id"],
                             "formatter": "json" if LOG_FORMAT == "json" else "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"huey": {"level": "WARNING"}},
}
