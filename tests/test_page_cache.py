"""The anonymous public pages are cached (core.pagecache): through HTTP, a change is visible at
once, each language and each visitor get their own CSRF token, and nothing of a logged-in user
or a waiting message is ever stored or served to another visitor."""

from __future__ import annotations

import gzip
import re

import pytest
from django.contrib import messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpResponse
from django.test import Client, RequestFactory

from dichvucong.accounts.models import User
from dichvucong.catalog.models import Procedure
from dichvucong.core.pagecache import HEADER

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def token(response) -> str:
    return TOKEN.search(response.content.decode()).group(1)


def switch_to_english(client: Client, response) -> int:
    """The language switch's POST with the token the page gave, CSRF checks on."""
    return client.post("/i18n/setlang/", {"csrfmiddlewaretoken": token(response),
                                          "language": "en", "next": "/"}).status_code


def test_a_cached_page_follows_a_change_at_once_and_keeps_nothing_personal():
    procedure = Procedure.objects.filter(is_active=True, current_version__isnull=False).first()
    url = procedure.get_absolute_url()
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    miss = first.get(url)
    assert miss[HEADER] == "miss" and procedure.name in miss.content.decode()
    hit = second.get(url)
    assert hit[HEADER] == "hit" and hit.content.decode().count(procedure.name) >= 1
    # The stored page has no token: each visitor gets a fresh one, with its cookie, that works.
    assert token(hit) != token(miss) and "csrftoken" in hit.cookies
    assert switch_to_english(second, hit) == 302
    english = second.get(url)
    assert english[HEADER] == "miss" and 'lang="en"' in english.content.decode()
    assert 'lang="vi"' in first.get(url).content.decode()  # each language its own copy

    # Put in force or edited: the next anonymous request shows it, in every language.
    procedure.name = "Thủ tục đã đổi tên để thử bộ đệm trang"
    procedure.save()
    assert procedure.name in first.get(url).content.decode()
    assert procedure.name in second.get(url).content.decode()
    home = first.get("/")
    assert home[HEADER] == "miss"

    # A logged-in citizen's page is never stored, nor served from the store.
    citizen = Client()
    citizen.force_login(User.objects.get(username="congdan"))
    mine = citizen.get("/")
    assert HEADER not in mine and "Nguyễn Văn An" in mine.content.decode()
    again = first.get("/")
    assert again[HEADER] == "hit"
    assert "Nguyễn Văn An" not in again.content.decode()
    assert "Đăng xuất" not in again.content.decode()

    # A visitor with a message waiting gets their page rendered for them, not stored.
    request = RequestFactory().get("/")
    storage = CookieStorage(request)
    storage.add(messages.INFO, "Thông báo riêng của người xem này")
    carrier = HttpResponse()
    storage.update(carrier)
    visitor = Client()
    visitor.cookies["messages"] = carrier.cookies["messages"].value
    own = visitor.get("/")
    assert HEADER not in own and "Thông báo riêng của người xem này" in own.content.decode()
    assert "Thông báo riêng" not in Client().get("/").content.decode()


def test_the_lookup_caches_its_empty_form_never_an_answer_nor_made_up_addresses():
    assert Client().get("/tra-cuu/")[HEADER] == "miss"
    form = Client(enforce_csrf_checks=True)
    page = form.get("/tra-cuu/")
    assert page[HEADER] == "hit"
    answer = form.post("/tra-cuu/", {"csrfmiddlewaretoken": token(page), "ma": "KHONG-CO",
                                     "xac_minh": "0905550001"})
    assert answer.status_code == 200 and HEADER not in answer
    assert "Không tìm thấy hồ sơ" in answer.content.decode()
    assert HEADER not in Client().get("/tra-cuu/", {"ma": "KHONG-CO"})
    # Made-up parameters do not fill the cache; the search's own do.
    assert HEADER not in Client().get("/", {"utm": "x"})
    assert Client().get("/thu-tuc/", {"field": "ho-tich", "page": "1"})[HEADER] == "miss"


def test_the_memoised_page_chrome_follows_the_language_and_roles_and_keeps_nothing_personal(
        monkeypatch):
    """The header's links and the footer are rendered once per process for each language and
    set of roles (core/templatetags/memo.py); each visitor's name, CSRF token and unread count
    stay their own."""
    from django import urls
    from django.conf import settings

    from dichvucong.core.templatetags import memo
    from dichvucong.notify.models import Notification, NotificationChannel

    memo._rendered.clear()
    reversed_urls = []
    real = urls.reverse  # what {% url %} calls
    monkeypatch.setattr(urls, "reverse",
                        lambda *a, **k: reversed_urls.append(a[0]) or real(*a, **k))
    citizen, officer = Client(), Client()
    congdan, motcua = User.objects.get(username="congdan"), User.objects.get(
        username="motcua.haichau")
    citizen.force_login(congdan)
    officer.force_login(motcua)
    Notification.objects.create(user=congdan, channel=NotificationChannel.INAPP,
                                event="received", dedupe_key="chrome", subject="s", body="b")

    def page(client: Client) -> str:
        response = client.get("/ho-so/")
        assert response.status_code == 200
        return response.content.decode()

    first = page(citizen)
    cold = len(reversed_urls)
    again = page(citizen)
    assert len(reversed_urls) - cold < cold - 8  # the chrome's links not reversed again
    assert 'class="badge">1<' in again and f"Đăng xuất ({congdan})" in again
    assert token_of(first) != token_of(again)  # the logout form's token: fresh each time
    assert "Một cửa" not in again and "Hồ sơ của tôi" in again
    official = page(officer)
    assert "Một cửa" in official and f"Đăng xuất ({motcua})" in official
    assert 'class="badge"' not in official and str(congdan) not in official
    assert "Một cửa" not in page(citizen)  # the citizen's roles, not the last visitor's
    citizen.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = page(citizen)
    assert "My dossiers" in english and "Log out" in english and "One-stop office" not in english
    assert "My dossiers" not in page(officer)  # still Vietnamese for the officer


def token_of(html: str) -> str:
    return TOKEN.search(html).group(1)


def test_a_visitor_without_a_session_is_answered_before_the_view_with_every_header(
        django_assert_num_queries, monkeypatch):
    """``PageCacheMiddleware``: a hit costs no SQL (the generation is held a second per
    process), carries the same security headers as a rendered page (the CSP has no nonce to
    reuse) and a working token, gzipped from pieces compressed once; another process's change
    is seen within the second; the public catalogue's JSON is the same for anyone, but a
    token's call is still judged."""
    from django.db.models import F

    from dichvucong.core import pagecache
    from dichvucong.core.models import CacheGeneration

    procedure = Procedure.objects.filter(is_active=True, current_version__isnull=False).first()
    url = procedure.get_absolute_url()
    miss = Client().get(url)
    visitor = Client(enforce_csrf_checks=True)
    with django_assert_num_queries(0):
        hit = visitor.get(url)
    assert hit[HEADER] == "hit" and "csrftoken" in hit.cookies
    for header in ("Content-Security-Policy", "Permissions-Policy", "X-Frame-Options",
                   "X-Content-Type-Options", "Referrer-Policy", "Cross-Origin-Opener-Policy",
                   "Content-Language", "Vary"):
        assert hit[header] == miss[header], header
    assert "nonce-" not in hit["Content-Security-Policy"] and hit["X-Request-ID"]
    assert switch_to_english(visitor, hit) == 302  # the fresh token works
    # Compressed once when stored: a browser's hit is that page with its own token, gzipped.
    browser = Client(enforce_csrf_checks=True)
    packed = browser.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert packed["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed["Vary"]
    page = gzip.decompress(packed.content)
    mine = TOKEN.search(page.decode()).group(1)
    assert page == hit.content.replace(token(hit).encode(), mine.encode())
    assert mine != token(hit)
    assert browser.post("/i18n/setlang/", {"csrfmiddlewaretoken": mine, "language": "en",
                                           "next": "/"}).status_code == 302

    # Another process's change (the row bumped, this process not told): within the second the
    # copy stands, after it the page is rendered afresh.
    CacheGeneration.objects.filter(name=pagecache.CATALOG).update(number=F("number") + 1)
    assert Client().get(url)[HEADER] == "hit"
    later = pagecache.time.monotonic() + pagecache.GENERATION_SECONDS
    monkeypatch.setattr(pagecache.time, "monotonic", lambda: later)
    assert Client().get(url)[HEADER] == "miss"

    # The catalogue's JSON: stored once for the anonymous and the logged-in alike, follows a
    # change, and a token (here a bad one) is judged, never answered from the store.
    api = f"/api/v1/catalog/procedures/{procedure.code}"
    assert Client().get(api)[HEADER] == "miss"
    citizen = Client()
    citizen.force_login(User.objects.get(username="congdan"))
    assert citizen.get(api)[HEADER] == "hit"
    procedure.current_version.save()
    fresh = citizen.get(api)
    assert fresh[HEADER] == "miss" and fresh.json()["version"] == procedure.current_version.number
    refused = Client().get(api, headers={"Authorization": "Bearer not-a-token"})
    assert refused.status_code == 401 and HEADER not in refused


def test_only_a_public_page_s_address_is_looked_up_before_the_view(monkeypatch):
    """The early answer looks the cache up for the addresses a public page serves, not for
    every anonymous request: the health check a load balancer polls paid a cache round trip
    (with Redis, the floor's CPU went up by half) for a page never stored."""
    from django.core.cache import caches

    from dichvucong.core import pagecache

    monkeypatch.setattr(pagecache, "_PUBLIC_PATHS", set())  # as in a fresh process
    pages = caches["pages"]
    looked_up = []
    real_get = pages.get
    monkeypatch.setattr(pages, "get", lambda key, *a, **kw: looked_up.append(key)
                        or real_get(key, *a, **kw))
    assert Client().get("/healthz/live").status_code == 200
    assert looked_up == []
    procedure = Procedure.objects.filter(is_active=True, current_version__isnull=False).first()
    url = procedure.get_absolute_url()
    assert Client().get(url)[HEADER] == "miss"  # the view looked, and stored it
    assert Client().get(url)[HEADER] == "hit"
    assert len(looked_up) == 2
