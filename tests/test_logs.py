"""Structured logs (issue #20, item 5): one JSON object a line with the request id, and a
citizen's ID number, phone or e-mail never in them, wherever it came from (a 404's path, an
exception's message and traceback, gunicorn's access line)."""

from __future__ import annotations

import io
import json
import logging
from types import SimpleNamespace
from unittest import mock

import pytest
from django.test import Client

from dichvucong.core.logs import GunicornLogger, JsonFormatter, RequestIdFilter

CCCD = "048090001234"


@pytest.fixture
def captured():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)


@pytest.mark.django_db
def test_json_lines_carry_the_request_id_and_no_personal_data(captured):
    client = Client(raise_request_exception=False)
    response = client.get(f"/tra-cuu/{CCCD}/?so={CCCD}&sdt=0905123456",
                          HTTP_X_REQUEST_ID="yeu-cau-42")
    assert response.status_code == 404 and response["X-Request-ID"] == "yeu-cau-42"
    failure = ValueError(f"không tìm thấy công dân {CCCD}, email ha.nguyen@example.vn")
    with mock.patch("dichvucong.catalog.queries.popular_procedures", side_effect=failure):
        response = client.post("/", {"so_dinh_danh": CCCD})
    assert response.status_code in (403, 405, 500)
    response = client.get("/", HTTP_X_REQUEST_ID="bad id with spaces")
    assert len(response["X-Request-ID"]) == 32  # a header that is not a plain token: a new id
    lines = [json.loads(line) for line in captured.getvalue().splitlines()]
    assert any(line["request_id"] == "yeu-cau-42" and "Not Found" in line["message"]
               for line in lines)
    text = captured.getvalue()
    assert lines and CCCD not in text and "0905123456" not in text
    assert "ha.nguyen@example.vn" not in text and "[đã ẩn]" in text


def test_gunicorn_access_lines_are_masked():
    logger = GunicornLogger(SimpleNamespace(
        errorlog="-", loglevel="info", accesslog=None, syslog=False, capture_output=False,
        logconfig=None, logconfig_dict={}, logconfig_json=None, user=0, group=0,
        access_log_format="", disable_redirect_access_to_syslog=False))
    request = SimpleNamespace(method="GET", uri=f"/tra-cuu/?so={CCCD}", path="/tra-cuu/",
                              query=f"so={CCCD}", version=(1, 1), headers=[])
    response = SimpleNamespace(status="200 OK", response_length=10, sent=10, headers=[])
    environ = {"REMOTE_ADDR": "127.0.0.1", "REQUEST_METHOD": "GET",
               "RAW_URI": f"/tra-cuu/?so={CCCD}", "SERVER_PROTOCOL": "HTTP/1.1",
               "PATH_INFO": "/tra-cuu/", "QUERY_STRING": f"so={CCCD}"}
    atoms = logger.atoms(response, request, environ, SimpleNamespace(seconds=0,
                                                                     microseconds=1000))
    assert atoms["U"] == "/tra-cuu/"
    assert CCCD not in json.dumps(atoms, default=str)
