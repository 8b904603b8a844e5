import hmac
import logging
import math
import os
import secrets
import sys

import redis
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import InterfaceError, OperationalError, connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from huey.contrib.djhuey import HUEY
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from dichvucong.catalog import queries as catalog_queries
from dichvucong.core import operations, storage
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


# The database cannot be reached or is busy for the moment (a restart, a failover, a lock), or
# the file storage is down: worth retrying, so 503 with Retry-After rather than 500 (issue #20).
UNAVAILABLE = (OperationalError, InterfaceError, storage.StorageUnavailable)
RETRY_AFTER_SECONDS = 5


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def server_error(request: HttpRequest) -> HttpResponse:
    """500, or 503 when the database is unavailable (Django calls this inside the handler of
    the uncaught exception, so ``sys.exc_info`` names it): JSON on the API, else ``500.html``
    rendered without the request's context processors (they read the user and the database,
    which may be what failed), and a bare page if even that fails."""
    busy = isinstance(sys.exc_info()[1], UNAVAILABLE)
    status = 503 if busy else 500
    if _is_api(request):
        response = JsonResponse({
            "error": "unavailable" if busy else "server_error",
            "detail": "Hệ thống đang bận; hãy thử lại sau ít giây." if busy
            else "Lỗi máy chủ; đã được ghi lại."}, status=status,
            json_dumps_params={"ensure_ascii": False})
    else:
        response = HttpResponse(_error_page(busy), status=status)
    if busy:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _error_page(busy: bool) -> str:
    try:
        css_url = static("css/site.css")
    except Exception:  # no manifest entry (collectstatic not run): unstyled but readable
        css_url = ""
    try:
        return loader.get_template("500.html").render({
            "portal_name": settings.PORTAL_NAME, "css_url": css_url, "busy": busy,
            "LANGUAGE_CODE": get_language()})
    except Exception:
        logging.getLogger(__name__).exception("the 500 page could not be rendered")
        return ('<!doctype html><html lang="vi"><meta charset="utf-8">'
                '<meta name="viewport" content="width=device-width, initial-scale=1">'
                "<title>Lỗi máy chủ</title><h1>Hệ thống đang gặp sự cố</h1>"
                '<p>Hãy thử lại sau ít phút. <a href="/">Về trang chủ</a></p></html>')


# --- operations: readiness and metrics (issue #20) -------------------------------------------

WORKER_STALE_SECONDS = 180  # the heartbeat runs every minute


def _check(name: str, probe) -> dict:
    try:
        return {"name": name, "ok": True, **(probe() or {})}
    except Exception as exc:  # any failure of a dependency is the answer, not a 500
        return {"name": name, "ok": False, "error": type(exc).__name__}


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _redis() -> dict | None:
    if not settings.REDIS_URL:
        return {"configured": False}
    redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1).ping()
    return None


def _storage() -> None:
    # A write, not only a read: a full disk must show here before the users meet it.
    name = default_storage.save(f"healthz/{secrets.token_hex(8)}", ContentFile(b"ok"))
    default_storage.delete(name)


def _queue() -> dict:
    return {"depth": HUEY.pending_count()}


@never_cache
def ready(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when this process can serve (database and storage answer), else 503.
    Redis, the worker's heartbeat, the queue and the oldest job are reported; their trouble
    makes the status «degraded», not unready (the platform degrades without them)."""
    now = timezone.now()
    checks = [_check("database", _database), _check("storage", _storage)]
    optional = [_check("redis", _redis), _check("queue", _queue)]
    if checks[0]["ok"]:
        age = operations.beat_age("worker", now)
        optional.append({"name": "worker", "ok": age is not None and age < WORKER_STALE_SECONDS,
                         "heartbeat_age_seconds": age})
        oldest = {s.labels["kind"]: s.value for s in operations.samples(now)
                  if s.name == operations.OLDEST_JOB}
        optional.append({"name": "oldest_job", "ok": True, "age_seconds": oldest})
    status = ("fail" if not all(c["ok"] for c in checks)
              else "ok" if all(c["ok"] for c in optional) else "degraded")
    response = JsonResponse({"status": status, "checks": checks + optional},
                            status=503 if status == "fail" else 200)
    if status == "fail":
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _may_read_metrics(request: HttpRequest) -> bool:
    """The token from the environment when set; otherwise only a direct call from this machine
    (not one a local proxy forwards: that carries X-Forwarded-For)."""
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(given.encode(), token.encode())
    return (request.META.get("REMOTE_ADDR") in ("127.0.0.1", "::1")
            and "HTTP_X_FORWARDED_FOR" not in request.META)


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics: the requests (django-prometheus), and the platform's own, read from
    the database (every process answers the same): jobs by kind, state and age, dossiers
    filed, sync lag, signing failures, the alert scan's duration and the worker's heartbeat.
    Not for the public: 404 otherwise."""
    if not _may_read_metrics(request):
        raise Http404
    platform = CollectorRegistry()
    platform.register(_Collector(operations.samples()))
    # django-prometheus's request metrics: of every web process when gunicorn's workers share
    # PROMETHEUS_MULTIPROC_DIR (``serve`` sets it), else of this process.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        requests = CollectorRegistry()
        multiprocess.MultiProcessCollector(requests)
    else:
        requests = REGISTRY
    return HttpResponse(generate_latest(requests) + generate_latest(platform),
                        content_type=CONTENT_TYPE_LATEST)


class _Collector:
    def __init__(self, samples: list[operations.Sample]) -> None:
        self.samples = samples

    def collect(self):
        families: dict[str, object] = {}
        for sample in self.samples:
            family = families.get(sample.name)
            if family is None:
                kind = CounterMetricFamily if sample.kind == "counter" else GaugeMetricFamily
                family = families[sample.name] = kind(sample.name, sample.help,
                                                      labels=sorted(sample.labels))
            family.add_metric([sample.labels[k] for k in sorted(sample.labels)], sample.value)
        yield from families.values()
