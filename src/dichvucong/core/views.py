import logging
import math

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache

from dichvucong.catalog import queries as catalog_queries
from dichvucong.core.pagecache import public_page


@public_page()
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {
        "popular": catalog_queries.popular_procedures(8),
        "fields": catalog_queries.fields_with_counts()[:12],
        "totals": catalog_queries.catalog_totals(),
    })


@never_cache
def live(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers (no database). Also the benchmarks' trivial JSON view."""
    return JsonResponse({"status": "ok"})


@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """For load balancers and the demo script: the process is up and the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def too_many_requests(request: HttpRequest, retry_after: int) -> HttpResponse:
    """429 with the site's layout and an honest Retry-After (seconds until the limit's window
    ends)."""
    response = render(request, "429.html", {"retry_minutes": max(1, math.ceil(retry_after / 60))},
                      status=429)
    response["Retry-After"] = str(max(1, retry_after))
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """500: ``500.html`` rendered without the request's context processors (they read the
    user and the database, which may be what failed), and a bare page if even that fails."""
    try:
        css_url = static("css/site.css")
    except Exception:  # no manifest entry (collectstatic not run): unstyled but readable
        css_url = ""
    try:
        body = loader.get_template("500.html").render({
            "portal_name": settings.PORTAL_NAME, "css_url": css_url,
            "LANGUAGE_CODE": get_language()})
    except Exception:
        logging.getLogger(__name__).exception("the 500 page could not be rendered")
        body = ('<!doctype html><html lang="vi"><meta charset="utf-8">'
                '<meta name="viewport" content="width=device-width, initial-scale=1">'
                "<title>Lỗi máy chủ</title><h1>Hệ thống đang gặp sự cố</h1>"
                '<p>Hãy thử lại sau ít phút. <a href="/">Về trang chủ</a></p></html>')
    return HttpResponseServerError(body)
