"""What the floor (``/healthz/live``) itself costs, through Django's real WSGI handler (not the
test client, which keeps the database connection open between requests: on SQLite every request
that touches the database opens one, about 2 ms), beside a bare WSGI app, Django with no
middleware, a page from the page cache (plain and gzipped for a browser), the public
catalogue's JSON (anonymous, and with a citizen's session) and a citizen's dossiers through the
API with a session. Alternating rounds, the median, CPU of this process.

    DICHVUCONG_DATA_DIR=/tmp/bench .venv/bin/python bench/bench_floor.py
    BENCH_REQUESTS=400 (per round)   BENCH_ROUNDS=5
"""

from __future__ import annotations

import io
import os
import sys
import time
from collections.abc import Callable

import harness

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "400"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))


def environ(path: str, **headers: str) -> dict:
    return {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1", "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr, "wsgi.version": (1, 0),
            "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
            **headers}


def bare(env: dict, start_response: Callable) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "16")])
    return [b'{"status": "ok"}']


def served(app: Callable, path: str, **headers: str) -> Callable[[], None]:
    def call() -> None:
        def start_response(status: str, _headers: list, _exc=None) -> None:
            if not status.startswith("200"):
                raise SystemExit(f"{path}: {status}")

        body = app(environ(path, **headers), start_response)
        b"".join(body)
        getattr(body, "close", lambda: None)()

    return call


def main() -> None:
    harness.setup_django()
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import Client
    from django.test.utils import override_settings

    from dichvucong.accounts.models import User

    login = Client()
    login.force_login(User.objects.get(username="congdan"))
    session = f"sessionid={login.cookies['sessionid'].value}"
    django = WSGIHandler()
    with override_settings(MIDDLEWARE=[]):
        bare_django = WSGIHandler()
    cases = {
        "a bare WSGI app": served(bare, "/"),
        "Django without middleware, /healthz/live": served(bare_django, "/healthz/live"),
        "/healthz/live (the floor)": served(django, harness.FLOOR_URL),
        "home from the page cache": served(django, "/"),
        "home from the page cache, gzip": served(django, "/",
                                                  HTTP_ACCEPT_ENCODING="gzip, deflate, br"),
        "API: the catalogue, anonymous": served(django, "/api/v1/catalog/procedures"),
        "API: the catalogue, a session": served(django, "/api/v1/catalog/procedures",
                                                HTTP_COOKIE=session),
        "API: my dossiers, a session": served(django, "/api/v1/dossiers", HTTP_COOKIE=session),
    }
    for call in cases.values():
        for _ in range(20):
            call()
    spent: dict[str, list[float]] = {label: [] for label in cases}
    for _ in range(ROUNDS):
        for label, call in cases.items():
            started = time.process_time()
            for _ in range(REQUESTS):
                call()
            spent[label].append((time.process_time() - started) * 1000 / REQUESTS)
    median = {label: sorted(values)[len(values) // 2] for label, values in spent.items()}
    floor = median["/healthz/live (the floor)"]
    print(f"{harness.database_name()}, load {os.getloadavg()[0]:.2f}; median of {ROUNDS} "
          f"alternating rounds of {REQUESTS}, CPU per request through Django's WSGI handler")
    for label, ms in median.items():
        print(f"{label:42} {ms * 1000:9.1f} µs  ×{ms / floor:.2f} the floor")


if __name__ == "__main__":
    main()
