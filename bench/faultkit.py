"""What the fault suite (bench/faults.py) and its reduced CI form (tests/test_faults.py) share:
a gate that stops and reopens a server's port, the load (citizens' API submissions with a
unique PDF each, pages and API reads), and the checks afterwards (issue #20):

- nothing lost: every submission answered 201 is a dossier holding its file, whose SHA-256
  read back from the storage is the one sent;
- nothing duplicated: no file sent is in two dossiers (a submission whose answer was lost is
  in one dossier or none);
- nothing half-made: every dossier filed during the run holds its required file, every file a
  row names is in the storage and intact; the files no row names (a killed request's) are
  counted and left to the orphan sweeper;
- 5xx only as 503, and on the API with a JSON body.

The checks read the database and the storage through Django: the caller has set it up with the
platform's own settings (the test's, or the deployment's environment).
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import random
import re
import secrets
import socket
import ssl
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

PROCEDURE = "1.001193"  # Đăng ký khai sinh: the e-declaration and one required document


# --- a port that can be closed and opened again ---------------------------------------------


class Gate:
    """A TCP relay from ``port`` to ``target``: ``close()`` stops listening and cuts every
    connection (the server is «stopped» for its clients: connections refused) while the server
    behind keeps its state; ``open()`` listens again. Stands for stopping the S3 server, whose
    test stand-in (moto) keeps its objects only in memory."""

    def __init__(self, target: int, port: int = 0):
        self.target = target
        self.port = port
        self._listener: socket.socket | None = None
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.open()

    def open(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def close(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            connections, self._connections = self._connections, set()
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target), timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._connections.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for conn in (source, sink):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
            with self._lock:
                self._connections.difference_update((source, sink))


# --- the load ---------------------------------------------------------------------------------


class Site:
    """HTTP or HTTPS (with the deployment's certificate) to the platform's front."""

    def __init__(self, url: str, cacert: str | None = None):
        parts = urllib.parse.urlsplit(url)
        self.https = parts.scheme == "https"
        self.host, self.port = parts.hostname, parts.port or (443 if self.https else 80)
        self.origin = url.rstrip("/")
        self.context = ssl.create_default_context(cafile=cacert) if self.https else None

    def connect(self, timeout: float = 60) -> http.client.HTTPConnection:
        if self.https:
            return http.client.HTTPSConnection(self.host, self.port, timeout=timeout,
                                               context=self.context)
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def request(self, method: str, path: str, body: bytes | str | None = None,
                headers: dict | None = None, timeout: float = 60) -> tuple[int, dict, bytes]:
        conn = self.connect(timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def login(self, username: str, password: str) -> dict[str, str]:
        """The headers of a logged-in browser's unsafe request (cookies, CSRF, referer)."""
        status, headers, page = self.request("GET", "/dang-nhap/")
        assert status == 200, status
        csrf = re.search(r"csrftoken=([^;]+)", headers["Set-Cookie"]).group(1)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token.decode(),
                                       "username": username, "password": password})
        status, headers, _ = self.request("POST", "/dang-nhap/", body.encode(), {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf}", "Referer": self.origin + "/"})
        assert status == 302, f"login answered {status}"
        session = re.search(r"sessionid=([^;]+)", headers["Set-Cookie"]).group(1)
        return {"Cookie": f"csrftoken={csrf}; sessionid={session}", "X-CSRFToken": csrf,
                "Referer": self.origin + "/"}


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    boundary = secrets.token_hex(12)
    out = []
    for name, value in fields.items():
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                   f"{value}\r\n".encode())
    for name, filename, content in files:
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                   f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'.encode()
                   + content + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), f"multipart/form-data; boundary={boundary}"


def unique_pdf(size: int) -> bytes:
    """A PDF whose bytes (and so SHA-256) no other submission shares."""
    head = f"%PDF-1.4\n% fault suite {secrets.token_hex(16)}\n".encode()
    return head + b"0" * max(0, size - len(head) - 6) + b"\n%%EOF"


@dataclass
class Sent:
    """One submission: the SHA-256 of its file, the answer's status (0: no answer, the
    connection was cut) and the dossier code of a 201."""

    sha256: str
    status: int
    code: str = ""


@dataclass
class Tally:
    """Every request's outcome by kind, and the 5xx that break the rule (not 503, or on the
    API without a JSON body)."""

    by_kind: Counter = field(default_factory=Counter)  # (kind, status) → count
    by_phase: Counter = field(default_factory=Counter)  # (phase, status) → count
    phase: str = "before the faults"  # what the runner is doing (bench/faults.py)
    wrong_5xx: list[str] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    unavailable_at: list[float] = field(default_factory=list)  # time.monotonic() of each 503
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, path: str, status: int, headers: dict, body: bytes) -> None:
        problem = ""
        if status >= 500:
            if status != 503:
                problem = f"{status} on {kind}"
            elif path.startswith("/api/"):
                try:
                    json.loads(body)
                except ValueError:
                    problem = f"503 without a JSON body on {kind}"
        with self.lock:
            self.by_kind[kind, status] += 1
            self.by_phase[self.phase, status] += 1
            if problem:
                self.wrong_5xx.append(problem)
            if status == 503:
                self.unavailable_at.append(time.monotonic())

    @property
    def requests(self) -> int:
        return sum(self.by_kind.values())

    def statuses(self) -> Counter:
        found: Counter = Counter()
        for (_kind, status), count in self.by_kind.items():
            found[status] += count
        return found


class Load:
    """``clients`` threads of a logged-in citizen, each in a closed loop: a share
    ``submissions`` of API submissions (a unique ``size``-byte PDF each), the rest split
    between the home page, a procedure page and the API's list of the citizen's dossiers.
    Status 0 counts a request whose connection was cut (its web process killed)."""

    def __init__(self, site: Site, headers: dict[str, str], *, agency: int, document: int,
                 declaration: dict, clients: int = 4, submissions: float = 0.5,
                 size: int = 50_000, pause: float = 0.0):
        self.site, self.headers = site, headers
        self.fields = {"procedure": PROCEDURE, "agency": str(agency),
                       "form": json.dumps(declaration, ensure_ascii=False),
                       "documents": f"[{document}]"}
        self.clients, self.share, self.size, self.pause = clients, submissions, size, pause
        self.tally = Tally()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> Load:
        self._stop.clear()
        self._threads = [threading.Thread(target=self._client, args=(i,), daemon=True)
                         for i in range(self.clients)]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> Tally:
        self._stop.set()
        for thread in self._threads:
            thread.join(120)
        return self.tally

    def submit(self) -> Sent:
        content = unique_pdf(self.size)
        body, content_type = multipart(self.fields, [("files", "giay-chung-sinh.pdf", content)])
        path = "/api/v1/dossiers"
        sent = Sent(hashlib.sha256(content).hexdigest(), 0)
        status, headers, answer = self._call("API submission", "POST", path, body,
                                             {**self.headers, "Content-Type": content_type})
        sent.status = status
        if status == 201:
            sent.code = json.loads(answer)["code"]
        with self.tally.lock:
            self.tally.sent.append(sent)
        return sent

    def _call(self, kind: str, method: str, path: str, body: bytes | None = None,
              headers: dict | None = None) -> tuple[int, dict, bytes]:
        try:
            status, answer_headers, answer = self.site.request(method, path, body, headers)
        except (OSError, http.client.HTTPException):
            status, answer_headers, answer = 0, {}, b""
        self.tally.record(kind, path, status, answer_headers, answer)
        return status, answer_headers, answer

    def _client(self, seed: int) -> None:
        rng = random.Random(seed)
        reads = [("page", "/"), ("procedure page", f"/thu-tuc/{PROCEDURE}/"),
                 ("API read", "/api/v1/dossiers?limit=5")]
        while not self._stop.is_set():
            if rng.random() < self.share:
                self.submit()
            else:
                kind, path = rng.choice(reads)
                self._call(kind, "GET", path, headers={"Cookie": self.headers["Cookie"]})
            if self.pause:
                time.sleep(self.pause)


# --- the checks -------------------------------------------------------------------------------


@dataclass
class Checked:
    figures: dict[str, int]
    problems: list[str]

    def lines(self) -> list[str]:
        return [f"  {name}: {value}" for name, value in self.figures.items()] + [
            f"  PROBLEM: {problem}" for problem in self.problems]


def check_submissions(sent: list[Sent], since: datetime, citizen: str) -> Checked:
    """Nothing lost, duplicated or half-made among the submissions ``sent`` and the dossiers
    ``citizen`` filed since ``since`` (the run's)."""
    from django.db.models import Count
    from django.utils import timezone

    from dichvucong.core import storage
    from dichvucong.dossiers.models import Attachment, Dossier

    problems: list[str] = []
    by_sha = {s.sha256: s for s in sent}
    holders: dict[str, set[str]] = {}
    for sha, code in (Attachment.objects.filter(sha256__in=list(by_sha))
                      .values_list("sha256", "dossier__code")):
        holders.setdefault(sha, set()).add(code)
    accepted = [s for s in sent if s.status == 201]
    for s in accepted:
        if holders.get(s.sha256) != {s.code}:
            problems.append(f"lost: the 201 of dossier {s.code} holds {holders.get(s.sha256)}")
    duplicated = [sha for sha, codes in holders.items() if len(codes) > 1]
    problems += [f"duplicated: a file in {sorted(holders[sha])}" for sha in duplicated]
    unanswered = [s for s in sent if s.status != 201]
    filed_anyway = sum(1 for s in unanswered if s.sha256 in holders)
    # An answer other than 201 (a refusal, a 503) must have filed nothing; a cut connection
    # may have filed it or not.
    problems += [f"answered {s.status} yet filed" for s in unanswered
                 if s.status and s.sha256 in holders]

    run = Dossier.objects.filter(applicant__username=citizen, submitted_at__gte=since)
    run_dossiers = run.exclude(state="draft")
    without_file = run_dossiers.annotate(
        uploads=Count("attachments", distinct=True)).filter(uploads=0).count()
    if without_file:
        problems.append(f"half-made: {without_file} dossier(s) without their file")
    files = list(Attachment.objects.filter(dossier__in=run_dossiers)
                 .values_list("file", "sha256"))
    intact = 0
    for name, sha in files:
        try:
            storage.read_verified(name, sha)
            intact += 1
        except (FileNotFoundError, storage.CorruptFile) as exc:
            problems.append(f"half-made: {type(exc).__name__} {name}")
    orphans = storage.sweep_orphans(now=timezone.now() + storage.ORPHAN_GRACE
                                    + timedelta(minutes=1), dry_run=True)
    return Checked({
        "submissions sent": len(sent), "accepted (201)": len(accepted),
        "not accepted (503, or the connection cut)": len(unanswered),
        "of those filed anyway (answer lost)": filed_anyway,
        "dossiers filed in the run": run_dossiers.count(),
        "files read back with their SHA-256 intact": intact,
        "duplicated": len(duplicated),
        "orphan files (no row; the sweeper deletes them after its grace period)": len(orphans),
    }, problems)


def tally_lines(tally: Tally) -> list[str]:
    lines = [f"  requests: {tally.requests}; by status: "
             + ", ".join(f"{status or 'cut'} × {n}" for status, n in
                         sorted(tally.statuses().items()))]
    kinds = sorted({kind for kind, _ in tally.by_kind})
    for kind in kinds:
        row = {status: n for (k, status), n in tally.by_kind.items() if k == kind}
        lines.append(f"    {kind}: " + ", ".join(f"{status or 'cut'} × {n}"
                                                  for status, n in sorted(row.items())))
    phases = list(dict.fromkeys(phase for phase, _ in tally.by_phase))
    if len(phases) > 1:
        lines.append("  by phase (the fault, then the load until the next):")
        for phase in phases:
            row = {status: n for (p, status), n in tally.by_phase.items() if p == phase}
            lines.append(f"    {phase}: " + ", ".join(f"{status or 'cut'} × {n}"
                                                    for status, n in sorted(row.items())))
    lines += [f"  PROBLEM: {problem}" for problem in sorted(set(tally.wrong_5xx))]
    return lines
