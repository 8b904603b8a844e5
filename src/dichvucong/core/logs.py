"""Logs for operators (issue #20): one JSON object a line (``DICHVUCONG_LOG_FORMAT=json``, the
production default) or plain text, each line with the request id, and no personal data: a
citizen's ID number (CCCD 12 digits, CMND 9), phone number or e-mail address is masked in the
whole line, whatever put it there (a path in «Not Found: …», an exception's message, a
traceback).

The request id is the client's ``X-Request-ID`` when it is a plain token (a proxy's), else a new
one; it is sent back in the response's ``X-Request-ID``, so a citizen's report can be found."""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse
from gunicorn.glogging import Logger

_request_id: ContextVar[str] = ContextVar("request_id", default="-")
_GIVEN_ID = re.compile(r"[A-Za-z0-9._-]{1,64}\Z")

# Digits not inside a longer run of digits: 12 (CCCD, personal ID number), 9 (old CMND),
# 10 or 11 starting 0 or 84 (a phone number); an e-mail address.
_PERSONAL = re.compile(
    r"(?<!\d)(?:\d{12}|\d{9}|0\d{9}|84\d{9}|\+84\d{9})(?!\d)"
    r"|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
MASK = "[đã ẩn]"


def redact(text: str) -> str:
    return _PERSONAL.sub(MASK, text)


def current_request_id() -> str:
    return _request_id.get()


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _GIVEN_ID.match(given) else uuid.uuid4().hex
        request.request_id = request_id
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response.headers.setdefault("X-Request-ID", request_id)
        return response


class RequestIdFilter(logging.Filter):
    """Puts the request id on every record (``-`` outside a request). Django logs a 4xx or 5xx
    answer after the middleware has returned, with the request on the record: its id then."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        record.request_id = getattr(request, "request_id", None) or _request_id.get()
        return True


class PlainFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
                 "level": record.levelname, "logger": record.name,
                 "request_id": getattr(record, "request_id", _request_id.get()),
                 "message": record.getMessage()}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        status = getattr(record, "status_code", None)
        if status is not None:
            entry["status"] = status
        return redact(json.dumps(entry, ensure_ascii=False))


class GunicornLogger(Logger):
    """gunicorn's logger with every access-log field masked (``serve`` passes it with
    ``--logger-class``): a request line's query string may carry an ID number."""

    def atoms(self, resp, req, environ, request_time):
        found = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value
                for key, value in found.items()}
