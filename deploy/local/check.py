"""Check the reference deployment (deploy/local/deploy.sh check) through its TLS proxy:

1. a page, and a citizen's login;
2. an upload: a dossier filed through the API with a PDF, whose file lands in the S3 bucket
   and comes back through the back office download with the same SHA-256;
3. slow clients: ``--slow`` clients each trickle a form post (``--trickle`` bytes every
   ``--interval`` seconds) while a normal client times ``--requests`` page loads; first through
   the proxy (which buffers request bodies), then, for comparison, straight at one web process
   (which gives each trickling client one of its four threads). Prints the figures.

Runs with the deployment's environment (deploy.sh loads it) so it can look up the demo
procedure's agency and required document in the database, as bench/bench_api_submit.py does.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import secrets
import socket
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "src"), str(ROOT), str(ROOT / "bench")]
import faultkit  # noqa: E402 - bench/, put on the path above

PROCEDURE = "1.001193"  # Đăng ký khai sinh: the e-declaration and one required document


def demo_password() -> str:
    from dichvucong.devdata.accounts import DEMO_PASSWORD

    return DEMO_PASSWORD


class Site(faultkit.Site):
    """The deployment's front (bench/faultkit.py), with the demo password and raw sockets for
    the slow clients."""

    def login(self, username: str) -> dict[str, str]:
        return super().login(username, demo_password())

    def open_socket(self) -> socket.socket:
        sock = socket.create_connection((self.host, self.port), timeout=30)
        if self.https:
            sock = self.context.wrap_socket(sock, server_hostname=self.host)
        return sock


def check_upload(site: Site, s3_url: str) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dichvucong.settings")
    django.setup()
    from bench_api_submit import multipart

    from dichvucong.agencies.models import Agency
    from dichvucong.catalog.models import Procedure
    from dichvucong.dossiers.models import Attachment
    from tests.birth_helpers import birth_form_json

    headers = site.login("congdan")
    agency = Agency.objects.get(name="Ủy ban nhân dân phường Hải Châu").pk
    documents = Procedure.objects.get(code=PROCEDURE).current_version.parsed().documents
    certificate = next(i for i, d in enumerate(documents) if d.mandatory)
    pdf = b"%PDF-1.4\n% reference deployment check " + secrets.token_hex(8).encode() \
        + b"\n" + b"0" * 200_000 + b"\n%%EOF"
    body, content_type = multipart(
        {"procedure": PROCEDURE, "agency": str(agency),
         "form": json.dumps(birth_form_json(), ensure_ascii=False),
         "documents": f"[{certificate}]"}, [("files", "giay-chung-sinh.pdf", pdf)])
    status, _, answer = site.request("POST", "/api/v1/dossiers", body,
                                     {**headers, "Content-Type": content_type})
    assert status == 201, (status, answer[:500])
    code = json.loads(answer)["code"]
    attachment = Attachment.objects.filter(dossier__code=code, declaration=False).get()
    import boto3

    from dichvucong import settings

    s3 = boto3.client("s3", endpoint_url=s3_url, region_name="us-east-1",
                      aws_access_key_id=os.environ["DICHVUCONG_S3_ACCESS_KEY"],
                      aws_secret_access_key=os.environ["DICHVUCONG_S3_SECRET_KEY"])
    stored = s3.get_object(Bucket=settings.S3_BUCKET, Key=attachment.file.name)["Body"].read()
    assert hashlib.sha256(stored).hexdigest() == hashlib.sha256(pdf).hexdigest()
    officer = site.login("motcua.haichau")
    status, _, back = site.request(
        "GET", f"/mot-cua/ho-so/{code}/tep/{attachment.token}/", None, officer)
    assert status == 200 and back == pdf, status
    print(f"upload: dossier {code} filed through the proxy (201), its 200 KB PDF in the bucket "
          f"as {attachment.file.name}, downloaded back by the officer with the same SHA-256")


def trickle(site: Site, stop: threading.Event, size: int, chunk: int, interval: float,
            sent: list[int]) -> None:
    """A slow client: a form post of ``size`` bytes, ``chunk`` bytes every ``interval``."""
    try:
        sock = site.open_socket()
    except OSError:
        return
    try:
        head = (f"POST /dang-nhap/ HTTP/1.1\r\nHost: {site.host}:{site.port}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {size}\r\nCookie: csrftoken={'a' * 32}\r\n\r\n")
        sock.sendall(head.encode())
        total = 0
        while not stop.is_set() and total + chunk < size:
            sock.sendall(b"x" * chunk)
            total += chunk
            sent.append(chunk)
            stop.wait(interval)
    except OSError:
        pass
    finally:
        sock.close()


def timed_pages(site: Site, path: str, count: int, timeout: float) -> tuple[list[float], int]:
    times, failures = [], 0
    for _ in range(count):
        start = time.perf_counter()
        try:
            status, _, _ = site.request("GET", path, timeout=timeout)
            if status != 200:
                failures += 1
        except (OSError, http.client.HTTPException):
            failures += 1
        times.append(time.perf_counter() - start)
    return times, failures


def describe(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return (f"p50 {statistics.median(ordered) * 1000:7.1f} ms  p95 {p95 * 1000:7.1f} ms  "
            f"max {ordered[-1] * 1000:7.1f} ms")


def slow_clients(site: Site, label: str, args) -> dict:
    path = "/dang-nhap/"
    timed_pages(site, path, 3, args.timeout)  # warm
    alone, _ = timed_pages(site, path, args.requests, args.timeout)
    stop, sent = threading.Event(), []
    threads = [threading.Thread(target=trickle, args=(site, stop, 256 * 1024, args.trickle,
                                                      args.interval, sent), daemon=True)
               for _ in range(args.slow)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)  # every slow client has sent its headers and is trickling
    loaded, failures = timed_pages(site, path, args.requests, args.timeout)
    stop.set()
    for thread in threads:
        thread.join(10)
    print(f"{label}:")
    print(f"  alone                        {describe(alone)}")
    print(f"  beside {args.slow} slow clients     {describe(loaded)}  "
          f"failed or timed out ({args.timeout:.0f} s): {failures}/{args.requests}")
    p95 = lambda t: sorted(t)[max(0, round(0.95 * len(t)) - 1)]  # noqa: E731
    return {"p95_alone": p95(alone), "p95_loaded": p95(loaded), "failures": failures}


def unaffected(figures: dict) -> bool:
    """The normal requests beside the slow clients all answered, their p95 within 2× of
    alone's (alone's taken as at least 50 ms: a few milliseconds' jitter is not a slowdown)."""
    return figures["failures"] == 0 and figures["p95_loaded"] <= 2 * max(figures["p95_alone"],
                                                                          0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--cacert")
    parser.add_argument("--direct", help="one web process's own address, for comparison")
    parser.add_argument("--s3", required=True)
    parser.add_argument("--slow", type=int, default=20)
    parser.add_argument("--trickle", type=int, default=64, help="bytes per send")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between sends")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args()

    site = Site(args.url, args.cacert)
    status, headers, page = site.request("GET", "/")
    assert status == 200 and "Cổng dịch vụ công".encode() in page, status
    print(f"page: GET {args.url}/ → 200 over TLS ({len(page)} bytes)")
    check_upload(site, args.s3)
    proxied = slow_clients(site, f"through the proxy ({args.url})", args)
    ok = unaffected(proxied)
    if args.direct:
        slow_clients(Site(args.direct, None),
                     f"straight at one web process ({args.direct}), no proxy", args)
    print("slow clients through the proxy: " + ("normal requests unaffected (p95 within 2× of "
                                                 "alone)" if ok else "NORMAL REQUESTS SLOWED"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
