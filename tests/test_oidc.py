"""«Đăng nhập bằng VNeID»: the OpenID Connect login against a real OpenID provider.

The provider is node-oidc-provider (npm ``oidc-provider``, pinned in tools/package.json), started
by ``tests/oidc/provider.mjs`` on a free loopback port. The test drives the portal with Django's
test client and the provider's development login and consent forms with plain HTTP requests, then
hands the provider's redirect back to the portal's callback: the portal exchanges the code and
fetches keys and claims from the provider over real HTTP.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import threading
import time
from pathlib import Path
from unittest import mock
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import pytest
import requests
from authlib.integrations.django_client import DjangoOAuth2App
from django.contrib.auth.hashers import is_password_usable
from django.core.cache import cache
from django.test import Client

from dichvucong.accounts import oidc as oidc_module
from dichvucong.accounts.models import User
from tests.conftest import require_component

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tests/oidc/provider.mjs"
TOOLS = ROOT / "tools"
BACKEND = "dichvucong.accounts.backends.PhoneEmailUsernameBackend"
CALLBACK = "http://testserver/dang-nhap/vneid/xac-thuc/"
CLIENTS = [
    {"client_id": "dichvucong-test", "client_secret": "test-secret", "redirect_uris": [CALLBACK],
     "code_ttl": 60},
    # The same portal registered with a one-second authorization code, for the expiry test.
    {"client_id": "dichvucong-short", "client_secret": "short-secret",
     "redirect_uris": [CALLBACK], "code_ttl": 1},
]
AN_ID = "048090000111"  # set on the demo citizen «congdan» (Nguyễn Văn An) by the tests
NEW_ID = "048201000222"
ACCOUNTS = {
    "citizen-an": {"name": "Nguyễn Văn An", "id_number": AN_ID, "birthdate": "1990-05-01",
                   "gender": "male"},
    # A level-2 account (Decree 69/2024/NĐ-CP), stated in the claim the tests configure.
    "citizen-new": {"name": "Trần Minh Khang", "id_number": NEW_ID, "birthdate": "2001-02-03",
                    "gender": "male", "vneid_level": "2"},
    "no-id-number": {"name": "Không Có Số"},
}


@pytest.fixture(scope="session")
def provider(tmp_path_factory):
    """A running node-oidc-provider; yields its issuer URL."""
    node = shutil.which("node")
    require_component("Node.js", node is not None, "install nodejs (./run tests does, as root)")
    require_component("oidc-provider (npm)", (TOOLS / "node_modules/oidc-provider").is_dir(),
                      "./run tests installs it with npm ci in tools/")
    log = tmp_path_factory.mktemp("oidc") / "provider.log"
    env = {"PATH": str(Path(node).parent), "OIDC_CLIENTS": json.dumps(CLIENTS),
           "OIDC_ACCOUNTS": json.dumps(ACCOUNTS), "DICHVUCONG_TOOLS_DIR": str(TOOLS)}
    with log.open("wb") as stderr:
        process = subprocess.Popen([node, str(SCRIPT)], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=stderr, env=env)
    first_line: list[bytes] = []
    reader = threading.Thread(target=lambda: first_line.append(process.stdout.readline()),
                              daemon=True)
    reader.start()
    reader.join(timeout=30)
    if not first_line or not first_line[0]:
        process.kill()
        pytest.fail(f"the OpenID provider did not start:\n{log.read_text()[-3000:]}")
    issuer = json.loads(first_line[0])["issuer"]
    assert issuer.startswith("http://127.0.0.1:")
    yield issuer
    process.stdin.close()  # the script exits when its standard input closes
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def oidc(provider, settings):
    settings.AUTHENTICATION_BACKENDS = [BACKEND]
    settings.DICHVUCONG_OIDC_ISSUER = provider
    settings.DICHVUCONG_OIDC_CLIENT_ID = "dichvucong-test"
    settings.DICHVUCONG_OIDC_CLIENT_SECRET = "test-secret"
    settings.DICHVUCONG_LOCAL_REGISTRATION = True
    settings.DICHVUCONG_OIDC_LEVEL_CLAIM = "vneid_level"
    cache.clear()
    return provider


def logged_in_user(client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.filter(pk=user_id).first() if user_id else None


def log_in_at_provider(client, account: str, start: str = "/dang-nhap/vneid/") -> str:
    """Start the portal's VNeID login, sign in and consent at the provider; return the URL the
    provider redirects the browser to (the portal's callback, with code and state)."""
    response = client.get(start)
    assert response.status_code == 302, response.content.decode()[:500]
    url = response["Location"]
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["state"][0] and query["nonce"][0]
    browser = requests.Session()
    for _ in range(12):
        if url.startswith(CALLBACK):
            return url
        page = browser.get(url, allow_redirects=False, timeout=10)
        if page.is_redirect:
            url = urljoin(url, page.headers["Location"])
            continue
        assert page.status_code == 200, page.text[:1000]
        action = urljoin(url, page.text.split('action="', 1)[1].split('"', 1)[0])
        if 'name="prompt" value="login"' in page.text:
            form = {"prompt": "login", "login": account, "password": "any"}
        else:
            assert 'name="prompt" value="consent"' in page.text, page.text[:1000]
            form = {"prompt": "consent"}
        answer = browser.post(action, data=form, allow_redirects=False, timeout=10)
        assert answer.is_redirect, answer.text[:1000]
        url = urljoin(action, answer.headers["Location"])
    pytest.fail(f"the provider never redirected back to the portal (last: {url})")


def callback(client, url: str):
    """Hand the provider's redirect to the portal, as the browser would."""
    parts = urlsplit(url)
    return client.get(parts.path, parse_qs(parts.query))


def with_query(url: str, **changes) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


# --- successful logins ----------------------------------------------------------------------

def test_login_page_shows_the_vneid_button(client, oidc):
    page = client.get("/dang-nhap/").content.decode()
    assert "Đăng nhập bằng VNeID" in page and 'href="/dang-nhap/vneid/"' in page


def test_login_links_the_account_that_holds_the_verified_id_number(client, oidc, caplog):
    caplog.set_level(logging.DEBUG)
    an = User.objects.get(username="congdan")
    User.objects.filter(pk=an.pk).update(id_number=AN_ID, id_number_verified=True)
    url = log_in_at_provider(client, "citizen-an", start="/dang-nhap/vneid/?next=/ho-so/")
    assert logged_in_user(client) is None
    response = callback(client, url)
    assert response.status_code == 302 and response["Location"] == "/ho-so/"
    assert logged_in_user(client) == an
    assert User.objects.filter(id_number=AN_ID).count() == 1
    an.refresh_from_db()  # a VNeID login stating no level proves level 1
    assert an.identity_source == "vneid1"
    assert AN_ID not in caplog.text  # the ID number is never logged


def test_an_unverified_id_number_is_linked_only_with_the_accounts_password(client, oidc):
    an = User.objects.get(username="congdan")
    User.objects.filter(pk=an.pk).update(id_number=AN_ID, id_number_verified=False)
    response = callback(client, log_in_at_provider(client, "citizen-an"))
    assert response.status_code == 302 and response["Location"] == "/dang-nhap/vneid/lien-ket/"
    assert logged_in_user(client) is None
    response = client.post("/dang-nhap/vneid/lien-ket/", {"link": "1", "password": "sai"})
    assert response.status_code == 200 and "Mật khẩu không đúng" in response.content.decode()
    assert logged_in_user(client) is None
    response = client.post("/dang-nhap/vneid/lien-ket/", {"link": "1",
                                                          "password": "demo-dichvucong"})
    assert response.status_code == 302 and logged_in_user(client) == an
    an.refresh_from_db()
    assert an.id_number_verified


def test_the_real_person_can_refuse_an_account_that_claimed_their_number(client, oidc):
    other = User.objects.get(username="doanhnghiep")
    User.objects.filter(pk=other.pk).update(id_number=AN_ID, id_number_verified=False)
    assert callback(client, log_in_at_provider(client, "citizen-an")).status_code == 302
    response = client.post("/dang-nhap/vneid/lien-ket/", {"new": "1"})
    assert response.status_code == 302
    user = logged_in_user(client)
    assert user != other and user.id_number == AN_ID and user.id_number_verified
    other.refresh_from_db()
    assert other.id_number == ""


def test_an_unknown_person_gets_a_new_verified_account(client, oidc):
    url = log_in_at_provider(client, "citizen-new")
    # The provider follows OpenID Connect Core: for the code flow the ID token carries only
    # the subject, and the claims come from the UserInfo endpoint.
    with mock.patch.object(oidc_module, "_userinfo", wraps=oidc_module._userinfo) as userinfo:
        response = callback(client, url)
    assert userinfo.call_count == 1
    assert response.status_code == 302 and response["Location"] == "/tai-khoan/"
    user = logged_in_user(client)
    assert user is not None and user.id_number == NEW_ID and user.id_number_verified
    assert user.full_name == "Trần Minh Khang" and user.gender == "male"
    assert str(user.date_of_birth) == "2001-02-03"
    assert not is_password_usable(user.password)
    assert user.identity_source == "vneid2"  # the provider stated level 2
    # The next VNeID login comes back to the same account.
    client.post("/dang-xuat/")
    assert callback(client, log_in_at_provider(client, "citizen-new")).status_code == 302
    assert logged_in_user(client) == user
    assert User.objects.filter(id_number=NEW_ID).count() == 1


# --- refusals -------------------------------------------------------------------------------

def test_a_wrong_state_is_refused(client, oidc, caplog):
    url = log_in_at_provider(client, "citizen-new")
    response = callback(client, with_query(url, state="not-the-state-we-sent"))
    page = response.content.decode()
    assert response.status_code == 400 and "state mismatch" in caplog.text
    assert "Phiên đăng nhập VNeID không hợp lệ" in page and "state" in page
    assert logged_in_user(client) is None
    assert not User.objects.filter(id_number=NEW_ID).exists()


def test_a_reused_code_is_refused(client, oidc, caplog):
    url = log_in_at_provider(client, "citizen-new")
    state = parse_qs(urlsplit(url).query)["state"][0]
    saved = {k: v for k, v in client.session.items() if k.startswith("_state_vneid_")}
    assert list(saved) == [f"_state_vneid_{state}"]
    assert callback(client, url).status_code == 302  # the first use logs in
    client.post("/dang-xuat/")

    # Someone replays the same redirect, even with the matching state in their session: the
    # provider refuses the code the second time.
    replay = Client()
    session = replay.session
    session.update(saved)
    session.save()
    response = callback(replay, url)
    assert response.status_code == 400 and "token endpoint: invalid_grant" in caplog.text
    assert "đã hết hạn hoặc đã được dùng" in response.content.decode()
    assert logged_in_user(replay) is None


def test_an_expired_code_is_refused(client, oidc, settings, caplog):
    settings.DICHVUCONG_OIDC_CLIENT_ID = "dichvucong-short"  # codes live one second
    settings.DICHVUCONG_OIDC_CLIENT_SECRET = "short-secret"
    url = log_in_at_provider(client, "citizen-new")
    time.sleep(2.5)
    response = callback(client, url)
    assert response.status_code == 400 and "token endpoint: invalid_grant" in caplog.text
    assert "Mã xác thực từ VNeID đã hết hạn hoặc đã được dùng" in response.content.decode()
    assert logged_in_user(client) is None
    assert not User.objects.filter(id_number=NEW_ID).exists()


def test_an_id_token_with_a_bad_signature_is_refused(client, oidc, caplog):
    url = log_in_at_provider(client, "citizen-new")
    real = DjangoOAuth2App.fetch_access_token

    def tampered(self, *args, **kwargs):
        token = real(self, *args, **kwargs)
        header, payload, signature = token["id_token"].split(".")
        token["id_token"] = ".".join([header, payload, signature[::-1]])
        return token

    with mock.patch.object(DjangoOAuth2App, "fetch_access_token", tampered):
        response = callback(client, url)
    assert response.status_code == 400 and "id token: BadSignatureError" in caplog.text
    assert "không hợp lệ (chữ ký" in response.content.decode()
    assert logged_in_user(client) is None
    assert not User.objects.filter(id_number=NEW_ID).exists()


def test_an_identity_without_an_id_number_is_refused(client, oidc):
    response = callback(client, log_in_at_provider(client, "no-id-number"))
    assert response.status_code == 400
    assert "không cung cấp số định danh cá nhân" in response.content.decode()
    assert logged_in_user(client) is None


def test_a_cancelled_login_is_refused(client, oidc):
    url = log_in_at_provider(client, "citizen-new")
    response = callback(client, with_query(url, error="access_denied"))
    assert response.status_code == 400 and logged_in_user(client) is None


def test_a_provider_that_names_another_issuer_is_refused(client, oidc, settings):
    # The same server reached by another name: its discovery document names 127.0.0.1.
    settings.DICHVUCONG_OIDC_ISSUER = oidc.replace("127.0.0.1", "localhost")
    response = client.get("/dang-nhap/vneid/")
    assert response.status_code == 502
    assert "Không kết nối được với hệ thống định danh điện tử" in response.content.decode()
