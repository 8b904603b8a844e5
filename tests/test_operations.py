"""Health and metrics (issue #20, item 5): readiness reports the database, storage, Redis, the
queue, the worker's heartbeat and the oldest job; the Prometheus metrics are read from the
database and are not for the public."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from dichvucong.core import operations
from dichvucong.core.tasks import heartbeat
from dichvucong.results import services
from tests.results_helpers import approved_dossier, user

pytestmark = pytest.mark.django_db


def _check(body: dict, name: str) -> dict:
    return next(c for c in body["checks"] if c["name"] == name)


def test_readiness_reports_each_dependency(client, settings):
    settings.REDIS_URL = ""
    body = client.get("/healthz/ready").json()
    assert body["status"] == "degraded" and not _check(body, "worker")["ok"]  # no heartbeat
    heartbeat()
    body = client.get("/healthz/ready").json()
    assert body["status"] == "ok" and _check(body, "database")["ok"]
    assert _check(body, "storage")["ok"] and _check(body, "queue")["depth"] >= 0
    operations.record_beat("worker", now=timezone.now() - timedelta(minutes=5))
    assert client.get("/healthz/ready").json()["status"] == "degraded"
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # Redis down: degraded, still ready
    response = client.get("/healthz/ready")
    assert response.status_code == 200 and not _check(response.json(), "redis")["ok"]
    with mock.patch("django.core.files.storage.FileSystemStorage._save",
                    side_effect=OSError(28, "No space left on device")):
        response = client.get("/healthz/ready")
    assert response.status_code == 503 and response.json()["status"] == "fail"
    assert response["Retry-After"]


def test_metrics_need_the_token_or_a_local_call_and_count_jobs(settings):
    services.request_issue(approved_dossier(), user("chuyenvien.haichau"))  # queued
    settings.METRICS_TOKEN = ""
    public = Client(REMOTE_ADDR="203.0.113.9")
    assert public.get("/metrics").status_code == 404
    proxied = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert proxied.get("/metrics").status_code == 404
    text = Client(REMOTE_ADDR="127.0.0.1").get("/metrics").content.decode()
    assert 'dichvucong_jobs{kind="signing",state="queued"} 1.0' in text
    assert "dichvucong_dossiers_filed_total 1.0" in text
    assert 'dichvucong_job_oldest_pending_seconds{kind="signing"}' in text
    assert "dichvucong_sync_lag_seconds" in text and "dichvucong_signing_failures_total" in text
    assert "django_http_requests_total_by_method_total" in text  # django-prometheus
    settings.METRICS_TOKEN = "bi-mat-cua-van-hanh"
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 404
    assert public.get("/metrics", HTTP_AUTHORIZATION="Bearer sai").status_code == 404
    assert public.get("/metrics", HTTP_AUTHORIZATION="Bearer bi-mat-cua-van-hanh"
                      ).status_code == 200
