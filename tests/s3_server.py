"""A real S3-compatible server for the tests: moto's server mode (``moto[server]``, a test
dependency) started as its own process on loopback and spoken to over HTTP by django-storages
and boto3, as a province's MinIO or Ceph would be. With CI=true a missing server fails."""

from __future__ import annotations

import contextlib
import importlib.util
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

from tests.conftest import require_component

ACCESS_KEY = "dichvucong-test"
SECRET_KEY = "dichvucong-test-secret"  # moto accepts any pair; the client signs with it


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running(port: int | None = None) -> Iterator[str]:
    """Start the server (on ``port``, else a free one); its endpoint URL. Stopped (and its data
    gone) on leaving."""
    require_component("moto's S3 server", importlib.util.find_spec("moto.server") is not None
                      and importlib.util.find_spec("flask") is not None,
                      "pip install 'moto[server]'")
    port = port or free_port()
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                                "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url + "/moto-api/", timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the S3 server did not start: "
                                       + process.stderr.read().decode()[-2000:]) from None
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(10)
        process.stderr.close()


def environment(url: str, bucket: str) -> dict[str, str]:
    """The DICHVUCONG_S3_* variables an operator sets for this server."""
    return {"DICHVUCONG_S3_BUCKET": bucket, "DICHVUCONG_S3_ENDPOINT_URL": url,
            "DICHVUCONG_S3_REGION": "us-east-1", "DICHVUCONG_S3_ACCESS_KEY": ACCESS_KEY,
            "DICHVUCONG_S3_SECRET_KEY": SECRET_KEY,
            # No retry: a test's outage answers at once (the default tries 3 times).
            "DICHVUCONG_S3_MAX_ATTEMPTS": "1"}


def client(url: str):
    import boto3

    return boto3.client("s3", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
