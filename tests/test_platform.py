"""Settings, security headers, system checks, reference data and demo accounts."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest
from django.conf import settings

from dichvucong.accounts.models import Membership, Role, User
from dichvucong.adminunits.models import AdministrativeUnit
from dichvucong.agencies.models import Agency


def _run_settings(env: dict[str, str], code: str = "") -> subprocess.CompletedProcess:
    """Import the settings in a fresh interpreter with the given environment."""
    base = {k: v for k, v in os.environ.items()
            if k not in {"DICHVUCONG_MODE", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG",
                         "DJANGO_SETTINGS_MODULE", "HUEY_IMMEDIATE"}}
    script = "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='dichvucong.settings'\n"
    script += "from django.conf import settings; settings.SECRET_KEY\n" + code
    return subprocess.run([sys.executable, "-c", script], env={**base, **env},
                          capture_output=True, text=True, timeout=60)


def test_production_requires_a_secret_key(tmp_path):
    result = _run_settings({"DICHVUCONG_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


def test_production_is_secure_by_default(tmp_path):
    result = _run_settings(
        {"DICHVUCONG_DATA_DIR": str(tmp_path), "SECRET_KEY": "x" * 50,
         "ALLOWED_HOSTS": "dichvucong.danang.gov.vn"},
        "print(settings.DEBUG, settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE,"
        " settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS > 0, settings.TIME_ZONE,"
        " settings.LANGUAGE_CODE)",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "True", "True", "True",
                                     "Asia/Ho_Chi_Minh", "vi"]


def test_production_system_checks_flag_sqlite(tmp_path):
    env = {**os.environ, "DICHVUCONG_DATA_DIR": str(tmp_path), "SECRET_KEY": "x" * 50,
           "ALLOWED_HOSTS": "example.org", "DICHVUCONG_MODE": "production",
           "DJANGO_SETTINGS_MODULE": "dichvucong.settings"}
    env.pop("DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-m", "dichvucong", "check"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert "dichvucong.W001" in result.stderr + result.stdout


def _load_wsgi(tmp_path, **env):
    """Import the WSGI application as gunicorn does, in production, in a fresh process."""
    full = {**os.environ, "DICHVUCONG_DATA_DIR": str(tmp_path), "SECRET_KEY": "s" * 50,
            "ALLOWED_HOSTS": "example.org", "DICHVUCONG_MODE": "production",
            "DJANGO_SETTINGS_MODULE": "dichvucong.settings", **env}
    full.pop("DATABASE_URL", None)
    return subprocess.run([sys.executable, "-c", "import dichvucong.wsgi"], env=full,
                          capture_output=True, text=True, timeout=60)


def test_production_refuses_to_start_with_demo_secrets(tmp_path):
    """gunicorn runs no system checks: loading the WSGI application refuses the published
    sandbox secrets and a weak key; the same start with real values succeeds."""
    from django.conf import settings as defaults

    assert _load_wsgi(tmp_path).returncode == 0
    for name, demo in defaults.DEMO_SECRETS.items():
        refused = _load_wsgi(tmp_path, **{name: demo})
        assert refused.returncode != 0 and "dichvucong.E003" in refused.stderr, name
        assert name in refused.stderr
    weak = _load_wsgi(tmp_path, SECRET_KEY="django-insecure-" + "x" * 40)
    assert weak.returncode != 0 and "dichvucong.E004" in weak.stderr


def test_production_refuses_the_demo_signing_ca(tmp_path, settings):
    from dichvucong.core.checks import demo_secrets
    from dichvucong.results import pki

    settings.MODE, settings.RESULTS_PKI_DIR = "production", tmp_path
    for name in settings.DEMO_SECRETS:  # the test settings' sandbox values aside
        setattr(settings, name, "own-" + name)
    assert demo_secrets(None) == []
    authority = pki.create_authority()
    pki.save_authority(authority, tmp_path)
    assert [problem.id for problem in demo_secrets(None)] == ["dichvucong.E005"]
    # A province's own root (any other organisation) is not refused.
    own, _key = pki.issue_certificate(authority, "Sở Tư pháp", "Sở Tư pháp thành phố Đà Nẵng")
    (tmp_path / "ca.pem").write_text(pki.pem(own))
    assert demo_secrets(None) == []


def test_database_url_selects_postgresql(tmp_path):
    result = _run_settings(
        {"DICHVUCONG_MODE": "demo", "DICHVUCONG_DATA_DIR": str(tmp_path),
         "DATABASE_URL": "postgres://u:p@db.internal:5433/dvc"},
        "d = settings.DATABASES['default']; print(d['ENGINE'], d['HOST'], d['PORT'], d['NAME'])",
    )
    assert result.stdout.split() == ["django.db.backends.postgresql", "db.internal", "5433",
                                     "dvc"]


def test_redis_url_switches_huey_caches_and_sessions_to_redis(tmp_path):
    show = ("print(settings.HUEY['huey_class'], settings.CACHES['pages']['BACKEND'], "
            "settings.SESSION_ENGINE)")
    result = _run_settings(
        {"DICHVUCONG_MODE": "demo", "DICHVUCONG_DATA_DIR": str(tmp_path),
         "REDIS_URL": "redis://127.0.0.1:6379/0"}, show)
    assert result.stdout.split() == ["huey.RedisHuey",
                                     "dichvucong.core.cache.TolerantRedisCache",
                                     "dichvucong.core.sessions.cached_db"]
    # Without Redis, sessions stay in the database: a process's own memory would keep a
    # session another process ended (logout).
    result = _run_settings({"DICHVUCONG_MODE": "demo", "DICHVUCONG_DATA_DIR": str(tmp_path)},
                           show)
    assert result.stdout.split()[2] == "dichvucong.core.sessions.db"


@pytest.mark.django_db
def test_security_headers(client):
    response = client.get("/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "geolocation=()" in response["Permissions-Policy"]


def _directive(policy: str, name: str) -> list[str]:
    return next(d.split()[1:] for d in policy.split("; ") if d.split()[0] == name)


@pytest.mark.django_db
def test_form_action_allows_the_configured_payment_gateway_only(client, settings):
    """The pay button's POST is redirected to VNPay, and form-action governs that redirect:
    the policy names the configured gateway's origin, and nothing wider."""
    settings.VNPAY_URL = "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"
    policy = client.get("/")["Content-Security-Policy"]
    assert _directive(policy, "form-action") == ["'self'", "https://sandbox.vnpayment.vn"]
    assert _directive(policy, "script-src") == ["'self'"]
    settings.VNPAY_URL = "http://127.0.0.1:8123/paymentv2/vpcpay.html?x=1"
    policy = client.get("/")["Content-Security-Policy"]
    assert _directive(policy, "form-action") == ["'self'", "http://127.0.0.1:8123"]
    settings.VNPAY_URL = ""
    assert _directive(client.get("/")["Content-Security-Policy"], "form-action") == ["'self'"]


@pytest.mark.parametrize(("url", "expected"), [
    ("https://pay.vnpay.vn/vpcpay.html", "https://pay.vnpay.vn"),
    ("HTTPS://Pay.VNPay.vn:8443/vpcpay.html", "https://pay.vnpay.vn:8443"),
    ("http://127.0.0.1:8001/paymentv2/vpcpay.html", "http://127.0.0.1:8001"),
    ("https://*.vnpay.vn/vpcpay.html", None),
    ("https://pay.vnpay.vn;script-src */x", None),
    ("https://pay.vnpay.vn:99999/", None),
    ("/paymentv2/vpcpay.html", None),
    ("javascript:alert(1)", None),
    ("", None),
])
def test_origin_of_a_gateway_url(url, expected):
    from dichvucong.core.middleware import origin

    assert origin(url) == expected


def test_a_gateway_url_the_policy_cannot_name_is_a_configuration_error(settings):
    from dichvucong.core.checks import deployment_checks

    settings.VNPAY_URL = "https://*.vnpayment.vn/paymentv2/vpcpay.html"
    assert "dichvucong.csp.E001" in [problem.id for problem in deployment_checks(None)]
    settings.VNPAY_URL = "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"
    assert "dichvucong.csp.E001" not in [problem.id for problem in deployment_checks(None)]


@pytest.mark.django_db
def test_forms_carry_csrf_protection(client):
    client_with_checks = type(client)(enforce_csrf_checks=True)
    response = client_with_checks.post("/i18n/setlang/", {"language": "en"})
    assert response.status_code == 403
    assert "csrfmiddlewaretoken" in client.get("/").content.decode()


@pytest.mark.django_db
def test_health_endpoint(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_test_settings_are_the_test_mode():
    assert settings.MODE == "test"


@pytest.mark.django_db
def test_da_nang_has_94_commune_level_units():
    da_nang = AdministrativeUnit.objects.get(level="province", code="48")
    assert da_nang.name == "Thành phố Đà Nẵng"
    communes = AdministrativeUnit.objects.filter(parent=da_nang)
    assert communes.count() == 94
    assert communes.filter(name="Phường Hải Châu").exists()
    assert communes.filter(division_type="đặc khu").count() == 1
    assert AdministrativeUnit.objects.filter(level="province").count() == 34


@pytest.mark.django_db
def test_agencies_have_qcvn_codes_and_parents():
    city = Agency.objects.get(kind=Agency.Kind.PEOPLES_COMMITTEE)
    assert city.code == f"000.00.00.{settings.PROVINCE_AGENCY_SUFFIX}"
    departments = Agency.objects.filter(kind=Agency.Kind.DEPARTMENT)
    assert departments.count() >= 10 and all(d.parent == city for d in departments)
    committees = Agency.objects.filter(kind=Agency.Kind.COMMUNE_COMMITTEE)
    assert committees.count() == 94
    codes = list(Agency.objects.values_list("code", flat=True))
    assert len(codes) == len(set(codes))
    import re

    assert all(re.fullmatch(r"\d{3}\.\d{2}\.\d{2}\.H\d{2}", code) for code in codes)


@pytest.mark.django_db
def test_demo_accounts_cover_every_role(client):
    held = set(Membership.objects.values_list("role", flat=True))
    assert held == {role.value for role in Role}
    assert User.objects.filter(username="congdan", memberships__isnull=True).exists()
    assert client.login(username="motcua.haichau", password="demo-dichvucong")
    response = client.get("/")
    assert "Hoàng Văn Em" in response.content.decode()


@pytest.mark.django_db
def test_login_page_and_wrong_password(client):
    assert client.get("/dang-nhap/").status_code == 200
    response = client.post("/dang-nhap/", {"username": "congdan", "password": "sai"})
    assert response.status_code == 200
    assert "error-summary" in response.content.decode()


def test_a_kept_sqlite_connection_is_closed_once_its_file_is_replaced(tmp_path, monkeypatch,
                                                                    django_db_blocker):
    """SQLite's connections are kept across requests (opening one costs milliseconds of CPU),
    but a database put in place of the file a kept connection reads (``os.replace``, as an
    operator's copy would) is what the next request reads (core/dbfile.py)."""
    from django.core.signals import request_started
    from django.db.backends.sqlite3.base import DatabaseWrapper

    from dichvucong.core import dbfile

    assert settings.DATABASES["default"]["CONN_MAX_AGE"] > 0
    path = tmp_path / "db.sqlite3"
    probe = DatabaseWrapper({
        "ENGINE": "django.db.backends.sqlite3", "NAME": str(path), "OPTIONS": {},
        "TIME_ZONE": None, "AUTOCOMMIT": True, "ATOMIC_REQUESTS": False, "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True, "TEST": {}}, alias="probe")
    monkeypatch.setattr(dbfile, "connections",
                        type("Handler", (), {"all": lambda self, initialized_only: [probe]})())

    def database(where, name: str) -> None:
        made = sqlite3.connect(where)
        with made:
            made.execute("CREATE TABLE t (name TEXT)")
            made.execute("INSERT INTO t VALUES (?)", (name,))
        made.close()

    def read() -> list:
        with probe.cursor() as cursor:
            cursor.execute("SELECT name FROM t")
            return [row[0] for row in cursor.fetchall()]

    database(path, "first")
    # The probe's own file: pytest-django guards every connection, not only the test database.
    with django_db_blocker.unblock():
        try:
            assert read() == ["first"]
            kept = probe.connection
            dbfile.close_if_replaced()  # the same file: the connection stays
            assert probe.connection is kept and read() == ["first"]
            database(tmp_path / "other.sqlite3", "restored")
            os.replace(tmp_path / "other.sqlite3", path)
            assert read() == ["first"]  # what a kept connection would go on reading
            dbfile.close_if_replaced()
            assert probe.connection is None and read() == ["restored"]
        finally:
            probe.close()
    # Wired to the start of every request.
    assert request_started.disconnect(dispatch_uid="core-dbfile-check")
    request_started.connect(dbfile.close_if_replaced, dispatch_uid="core-dbfile-check")
