from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from dichvucong.catalog import queries as catalog_queries


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
