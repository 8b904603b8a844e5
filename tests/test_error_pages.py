"""Error pages (DEBUG off, as in production): 400, 403, 403 for CSRF, 404, 429 and 500 in the
site's layout, in Vietnamese (English when chosen), usable on a phone, with a search form and a
way home. The 500 page renders without the database; with the database unreachable pages
answer 503 «hệ thống đang bận» and the API 503 JSON."""

from __future__ import annotations

from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.db import OperationalError
from django.test import Client

from dichvucong.accounts.models import User


def assert_error_page(response, status: int, *texts: str, language: str = "vi") -> str:
    page = response.content.decode()
    assert response.status_code == status, page[:500]
    assert f'<html lang="{language}">' in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert 'href="/"' in page  # a way home
    assert 'role="search"' in page and 'action="/thu-tuc/"' in page and 'name="q"' in page
    for text in texts:
        assert text in page, text
    return page


def english(client: Client) -> Client:
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.mark.django_db
def test_404_in_the_site_layout(client):
    page = assert_error_page(client.get("/khong-co-trang-nay/"), 404, "Không tìm thấy trang",
                             "Về trang chủ", "Tìm thủ tục")
    assert 'class="site-header"' in page and 'site-nav' in page
    assert assert_error_page(english(client).get("/khong-co-trang-nay/"), 404, "Page not found",
                             "Back to the home page", language="en")


@pytest.mark.django_db
def test_403_says_why_in_the_site_layout(client):
    citizen = User.objects.create_user(username="cong.dan.403", password="x")
    client.force_login(citizen)
    page = assert_error_page(client.get("/mot-cua/"), 403, "Không có quyền truy cập",
                             "Trang này dành cho cán bộ của cơ quan tiếp nhận hồ sơ.")
    assert "Đăng xuất" in page  # the layout knows who is logged in
    assert_error_page(english(client).get("/mot-cua/"), 403, "Access denied", language="en")


@pytest.mark.django_db
def test_403_for_a_missing_csrf_token():
    client = Client(enforce_csrf_checks=True)
    assert_error_page(client.post("/dang-nhap/", {"username": "a", "password": "b"}), 403,
                      "Phiên làm việc đã hết hạn", "tải lại trang")
    assert_error_page(english(client).post("/dang-nhap/", {"username": "a", "password": "b"}),
                      403, "Your session has expired", language="en")


@pytest.mark.django_db
def test_400_for_an_unknown_host(client):
    assert_error_page(client.get("/", HTTP_HOST="ke-gia-mao.example"), 400,
                      "Yêu cầu không hợp lệ")
    assert_error_page(english(client).get("/", HTTP_HOST="ke-gia-mao.example"), 400,
                      "Bad request", language="en")


@pytest.mark.django_db
def test_429_in_the_site_layout(client, settings):
    settings.REDIS_URL = ""
    answers = [client.post("/dang-nhap/", {"username": f"khong.co.{n}", "password": "sai"})
               for n in range(21)]
    assert_error_page(answers[-1], 429, "Quá nhiều yêu cầu", "thử lại sau 15 phút")
    answer = english(client).post("/dang-nhap/", {"username": "khong.co.x", "password": "sai"})
    assert_error_page(answer, 429, "Too many requests", "try again in 15 minutes",
                      language="en")


def test_500_renders_without_the_database():
    """An unexpected error on the home page: the 500 page renders from nothing but settings. No
    database access is allowed in this test (no django_db mark), so the page cannot use it."""
    client = Client(raise_request_exception=False)
    with mock.patch("dichvucong.catalog.queries.popular_procedures",
                    side_effect=ValueError("a bug")):
        assert_error_page(client.get("/"), 500, "Hệ thống đang gặp sự cố", "Về trang chủ")
        assert_error_page(english(client).get("/"), 500, "Something went wrong",
                          language="en")


def test_database_down_gives_503_busy_page_and_json_on_the_api():
    """The database refuses connections (issue #20: a PostgreSQL restart gave HTML 500s on the
    JSON API): pages answer 503 «Hệ thống đang bận», the API 503 JSON, both with Retry-After."""
    client = Client(raise_request_exception=False)
    outage = OperationalError("could not connect to server: Connection refused")
    with mock.patch("django.db.backends.base.base.BaseDatabaseWrapper.ensure_connection",
                    side_effect=outage):
        response = client.get("/")
        assert_error_page(response, 503, "Hệ thống đang bận", "Về trang chủ")
        assert response["Retry-After"] == "5"
        response = client.get("/api/v1/catalog/procedures")
        assert response.status_code == 503 and response["Retry-After"] == "5"
        assert response["Content-Type"] == "application/json"
        assert response.json()["error"] == "unavailable"
        assert_error_page(english(client).get("/"), 503, "The system is busy", language="en")
