"""Local servers that speak the notification providers' protocols, for the tests.

- ``MailServer``: a real SMTP server (aiosmtpd) that keeps the messages it accepted.
- ``EsmsServer``: eSMS's SendMultipleMessage_V4_post_json: checks the keys and brandname,
  answers CodeResult 100 with an SMSID, 124 for a RequestId it already accepted, and the error
  codes a test scripts for a phone number (e.g. 103 once, then 100).
- ``ZnsServer``: Zalo ZNS's /message/template: checks the ``access_token`` header and the 84
  phone format, answers ``{"error": 0, "data": {"msg_id": …}}`` or a scripted error (−118 no
  Zalo account …), or HTTP 500.
Each can hold a request (``hold``) so that a test can kill the sender at an exact moment.
"""

from __future__ import annotations

import json
import socket
import threading
from collections import defaultdict
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

ESMS_PATH = "/MainService.svc/json/SendMultipleMessage_V4_post_json/"
ZNS_PATH = "/message/template"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Hold:
    """Make the n-th request wait (after it was read in full, before the reply) until
    released; ``reached`` is set when it is waiting."""

    def __init__(self) -> None:
        self.at: int | None = None
        self.reached = threading.Event()
        self.release = threading.Event()

    def arm(self, at: int) -> None:
        self.at, self.reached, self.release = at, threading.Event(), threading.Event()

    def maybe_wait(self, count: int) -> None:
        if self.at is not None and count == self.at:
            self.reached.set()
            self.release.wait(30)


class MailServer:
    def __init__(self, delay: float = 0.0) -> None:
        self.messages: list = []
        self.lock = threading.Lock()
        self.hold = _Hold()
        self.delay = delay
        server = self

        class Handler:
            async def handle_DATA(self, smtp_server, session, envelope):
                import asyncio

                message = message_from_bytes(envelope.original_content, policy=policy.default)
                with server.lock:
                    server.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                                            message))
                    count = len(server.messages)
                if server.delay:
                    await asyncio.sleep(server.delay)
                if server.hold.at is not None and count == server.hold.at:
                    server.hold.reached.set()
                    await asyncio.get_running_loop().run_in_executor(
                        None, server.hold.release.wait, 30)
                return "250 Message accepted for delivery"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> MailServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.hold.release.set()
        self.controller.stop()

    def count(self) -> int:
        with self.lock:
            return len(self.messages)

    def message_ids(self) -> list[str]:
        with self.lock:
            return [m["Message-ID"] for _f, _t, m in self.messages]


class _HttpServer:
    path = "/"

    def __init__(self, delay: float = 0.0) -> None:
        self.requests: list[dict] = []
        self.accepted: dict[str, dict] = {}  # eSMS: RequestId → request, once
        self.delivered: list[dict] = []  # every message the provider acted on (sent on)
        self.duplicates: list[str] = []  # eSMS RequestIds refused as already accepted (124)
        self.script: dict[str, list] = defaultdict(list)  # phone → replies to give first
        self.lock = threading.Lock()
        self.hold = _Hold()
        self.delay = delay
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                if self.path != outer.path:
                    self._reply(404, {})
                    return
                try:
                    body = json.loads(raw.decode("utf-8"))
                except ValueError:
                    self._reply(400, {})
                    return
                status, reply, count = outer.handle(body, dict(self.headers))
                if outer.delay:
                    import time

                    time.sleep(outer.delay)
                outer.hold.maybe_wait(count)
                self._reply(status, reply)

            def _reply(self, status: int, reply: dict) -> None:
                data = json.dumps(reply).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client is gone (killed): what it sent is already recorded

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True

    def __enter__(self):
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.hold.release.set()
        self.server.shutdown()
        self.server.server_close()

    def count(self) -> int:
        with self.lock:
            return len(self.delivered)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{self.path}"

    def scripted(self, phone: str):
        with self.lock:
            replies = self.script.get(phone)
            return replies.pop(0) if replies else None

    def handle(self, body: dict, headers: dict) -> tuple[int, dict, int]:
        raise NotImplementedError


class EsmsServer(_HttpServer):
    path = ESMS_PATH
    api_key, secret_key, brandname = "test-api-key", "test-secret", "DICHVUCONG"

    def handle(self, body, headers):
        with self.lock:
            self.requests.append(body)
        if body.get("ApiKey") != self.api_key or body.get("SecretKey") != self.secret_key:
            return 200, {"CodeResult": "101", "ErrorMessage": "Sai ApiKey"}, 0
        if body.get("Brandname") != self.brandname:
            return 200, {"CodeResult": "104", "ErrorMessage": "Brandname chua dang ky"}, 0
        scripted = self.scripted(body.get("Phone", ""))
        if scripted is not None:
            return 200, {"CodeResult": scripted, "ErrorMessage": "scripted"}, 0
        request_id = body.get("RequestId", "")
        with self.lock:
            if request_id in self.accepted:
                self.duplicates.append(request_id)
                return 200, {"CodeResult": "124", "ErrorMessage": "Trung RequestId"}, 0
            self.accepted[request_id] = body
            self.delivered.append(body)
            count = len(self.delivered)
        return 200, {"CodeResult": "100", "SMSID": f"sms-{count}"}, count


class ZnsServer(_HttpServer):
    path = ZNS_PATH
    token = "test-oa-token"

    def handle(self, body, headers):
        with self.lock:
            self.requests.append(body)
        if headers.get("access_token") != self.token:
            return 200, {"error": -124, "message": "Access token is invalid"}, 0
        phone = str(body.get("phone", ""))
        if not (phone.startswith("84") and phone.isdigit()):
            return 200, {"error": -108, "message": "Phone number is invalid"}, 0
        scripted = self.scripted(phone)
        if scripted == 500:
            return 500, {}, 0
        if scripted is not None:
            return 200, {"error": scripted, "message": "scripted"}, 0
        with self.lock:  # no de-duplication: Zalo documents none for tracking_id
            self.delivered.append(body)
            count = len(self.delivered)
        return 200, {"error": 0, "message": "Success",
                     "data": {"msg_id": f"zns-{count}", "sent_time": "1700000000000",
                              "quota": {"dailyQuota": "500", "remainingQuota": "499"}}}, count
