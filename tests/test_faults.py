"""The fault suite's reduced CI form (issue #20; the full suite: bench/faults.py): real gunicorn
web processes (2 workers) on the test database and a real S3 server process, under a citizen's
load of API submissions, pages and API reads. One web worker is killed with SIGKILL during the
submissions, then the S3 server is stopped for a while and started again. Afterwards the
checks of bench/faultkit.py: nothing lost, duplicated or half-made, every file's SHA-256
intact, 5xx only as 503 with a JSON body on the API; and the killed worker's gauge files are
gone (core/gunicorn_config.py)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.utils import timezone

from bench import faultkit
from dichvucong import settings as project_settings
from dichvucong.accounts.models import User
from dichvucong.agencies.models import Agency
from dichvucong.catalog.models import Procedure
from dichvucong.devdata.accounts import DEMO_PASSWORD
from tests import s3_server
from tests.birth_helpers import birth_form_json
from tests.conftest import require_component
from tests.results_helpers import HAI_CHAU
from tests.test_signing_fault import demo_data  # noqa: F401 - the fixture
from tests.test_worker import _database_url

BUCKET = "dichvucong-faults"
ROOT = Path(__file__).resolve().parents[1]


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _until(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_a_killed_web_worker_and_a_stopped_s3_server_lose_nothing(demo_data, settings,  # noqa: F811
                                                                   tmp_path):
    with s3_server.running() as s3_url:
        s3_server.client(s3_url).create_bucket(Bucket=BUCKET)
        gate = faultkit.Gate(int(s3_url.rsplit(":", 1)[1]))
        s3 = s3_server.environment(f"http://127.0.0.1:{gate.port}", BUCKET)
        settings.STORAGES = {**settings.STORAGES,
                             "default": project_settings.s3_storage(s3)}
        metrics = tmp_path / "prometheus"
        metrics.mkdir()
        port = s3_server.free_port()
        # Test mode: the static files without a manifest (no collectstatic). The test
        # settings' fast hasher is not the platform's: the citizen's password is set anew.
        User.objects.filter(username="congdan").update(
            password=PBKDF2PasswordHasher().encode(DEMO_PASSWORD, "faultsuite"))
        env = {**os.environ, **s3, "DICHVUCONG_MODE": "test", "DICHVUCONG_DATA_DIR": str(tmp_path),
               "DJANGO_SETTINGS_MODULE": "dichvucong.settings", "HUEY_IMMEDIATE": "0",
               "DATABASE_URL": _database_url(), "PROMETHEUS_MULTIPROC_DIR": str(metrics),
               "LOG_LEVEL": "ERROR"}
        env.pop("REDIS_URL", None)
        web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "dichvucong.wsgi:application",
             "--config", "python:dichvucong.core.gunicorn_config", "--bind",
             f"127.0.0.1:{port}", "--workers", "2", "--threads", "2", "--log-level", "error",
             # Loaded once and forked: the workers (and the killed one's successor) start
             # at once; a short shutdown.
             "--preload", "--graceful-timeout", "3"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        site = faultkit.Site(f"http://127.0.0.1:{port}")
        load = None
        try:
            _until(lambda: _answers(site), "the web processes")
            documents = Procedure.objects.get(code=faultkit.PROCEDURE).current_version \
                .parsed().documents
            since = timezone.now()
            load = faultkit.Load(
                site, site.login("congdan", DEMO_PASSWORD),
                agency=Agency.objects.get(name=HAI_CHAU).pk,
                document=next(i for i, d in enumerate(documents) if d.mandatory),
                declaration=birth_form_json(), clients=3, submissions=0.6, size=20_000).start()
            tally = load.tally

            def accepted() -> int:
                return sum(1 for s in list(tally.sent) if s.status == 201)

            _until(lambda: accepted() >= 3, "the first submissions")
            # kill -9 a web worker in the middle of the load; its master starts another.
            workers = _children(web.pid)
            assert len(workers) == 2
            victim = max(workers)
            # Gauge files as a worker with gauges keeps them (copies of its counters' file,
            # the same format): the hook must delete them once it is dead.
            for mode in ("livesum", "all"):
                (metrics / f"gauge_{mode}_{victim}.db").write_bytes(
                    (metrics / f"counter_{victim}.db").read_bytes())
            os.kill(victim, signal.SIGKILL)
            _until(lambda: len(_children(web.pid) - {victim}) == 2, "a new web worker")
            before = accepted()
            _until(lambda: accepted() >= before + 3, "submissions after the kill")

            # The S3 server stopped: uploads answer 503 JSON and file nothing.
            gate.close()
            refused = sum(1 for s in list(tally.sent) if s.status == 503)
            _until(lambda: sum(1 for s in list(tally.sent) if s.status == 503) >= refused + 3,
                   "submissions refused while the storage is down")
            gate.open()
            before = accepted()
            _until(lambda: accepted() >= before + 3, "submissions after the storage is back")
            load.stop()
        finally:
            if load is not None:
                load.stop()
            web.send_signal(signal.SIGQUIT)  # gunicorn's quick shutdown
            try:
                web.wait(30)
            except subprocess.TimeoutExpired:
                web.kill()
            errors = web.stderr.read().decode()
            web.stderr.close()
        checked = faultkit.check_submissions(tally.sent, since, "congdan")
        report = "\n".join(faultkit.tally_lines(tally) + checked.lines())
        print(report)
        assert not checked.problems and not tally.wrong_5xx, report + errors[-3000:]
        statuses = tally.statuses()
        assert statuses[503] >= 3 and checked.figures["accepted (201)"] >= 9, report
        assert checked.figures["files read back with their SHA-256 intact"] \
            == checked.figures["dossiers filed in the run"], report
        # The killed worker's gauges went with it; its counters stay (they are totals).
        assert not list(metrics.glob(f"gauge_*_{victim}.db"))
        assert (metrics / f"counter_{victim}.db").exists()
        gate.close()


def _answers(site: faultkit.Site) -> bool:
    try:
        return site.request("GET", "/healthz/live", timeout=2)[0] == 200
    except OSError:
        return False



def _proxy(directory: Path, web_port: int) -> tuple[faultkit.Site, subprocess.Popen]:
    """The reference deployment's nginx (deploy/local/nginx.conf.in, rendered as deploy.sh
    renders it) in front of one web process, its three upstreams all that process; one nginx
    worker, so that one count of each upstream's failures decides."""
    require_component("nginx", bool(shutil.which("nginx")), "apt-get install nginx")
    tls = directory / "tls"
    tls.mkdir(parents=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-days", "1", "-nodes",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(tls / "key.pem"), "-out", str(tls / "cert.pem")],
                   check=True, capture_output=True)
    for sub in ("run", "logs", "nginx/body", "nginx/proxy", "nginx/fastcgi", "nginx/uwsgi",
                "nginx/scgi"):
        (directory / sub).mkdir(parents=True)
    https, http = s3_server.free_port(), s3_server.free_port()
    config = (ROOT / "deploy" / "local" / "nginx.conf.in").read_text()
    for key, value in {"@DIR@": str(directory), "@HTTPS_PORT@": str(https),
                       "@HTTP_PORT@": str(http), "@WEB1@": str(web_port),
                       "@WEB2@": str(web_port), "@WEB3@": str(web_port),
                       "@USER@": "user nobody nogroup;" if os.geteuid() == 0 else ""}.items():
        config = config.replace(key, value)
    (directory / "nginx.conf").write_text(config.replace("worker_processes 2;",
                                                         "worker_processes 1;"))
    proxy = subprocess.Popen(["nginx", "-c", str(directory / "nginx.conf"), "-p", str(directory),
                              "-e", str(directory / "logs" / "error.log"), "-g", "daemon off;"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    return faultkit.Site(f"https://127.0.0.1:{https}", str(tls / "cert.pem")), proxy


@pytest.mark.skipif(not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
                    reason="persistent connections: PostgreSQL only (SQLite opens one per "
                           "request)")
@pytest.mark.django_db  # the web process reads only what the session committed
def test_requests_after_the_database_is_back_succeed_through_the_proxy(tmp_path):
    """The database refuses connections and has cut the web process's persistent ones (as a
    PostgreSQL restart does; here ALLOW_CONNECTIONS off and pg_terminate_backend, the test's
    own server staying up): requests through the reference deployment's nginx answer 503,
    JSON on the API. Once it takes connections again the very next requests answer 200: the
    web process replaces its dead connections (``CONN_HEALTH_CHECKS``), and nginx does not
    count the platform's own 503 as the web process failing (it did: after three it took all
    of them out for 5 s and answered 503 itself, the burst after each restart)."""
    port = s3_server.free_port()
    env = {**os.environ, "DICHVUCONG_MODE": "test", "DICHVUCONG_DATA_DIR": str(tmp_path),
           "DJANGO_SETTINGS_MODULE": "dichvucong.settings", "HUEY_IMMEDIATE": "0",
           "DATABASE_URL": _database_url(), "DB_CONN_MAX_AGE": "600", "LOG_LEVEL": "ERROR"}
    env.pop("REDIS_URL", None)
    # Its log to a file: a pipe read only at the end fills with the outage's tracebacks and
    # blocks the web process.
    log = tmp_path / "web.log"
    with log.open("wb") as out:
        web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "dichvucong.wsgi:application", "--bind",
             f"127.0.0.1:{port}", "--workers", "1", "--threads", "2", "--log-level", "error",
             "--preload", "--graceful-timeout", "3"],
            env=env, stdout=subprocess.DEVNULL, stderr=out)
    site, proxy = _proxy(tmp_path / "proxy", port)
    paths = ["/healthz", "/api/v1/catalog/procedures?limit=1"]
    # The catalogue's JSON asked before may be answered from the page cache in the second after
    # the database went (the generation is held that long): during the outage, one never asked.
    uncached = ["/healthz", "/api/v1/catalog/procedures?limit=2"]
    database = connection.settings_dict["NAME"]

    def answers(rounds: int = 3, asked: list[str] = paths) -> list[tuple[int, str]]:
        # Two at a time: both threads' connections in use.
        with ThreadPoolExecutor(2) as pool:
            return list(pool.map(lambda path: _status(site, path), asked * rounds))

    try:
        _until(lambda: _answers(site), "the web process behind the proxy")
        assert answers() == [(200, "")] * 6
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            ours = cursor.fetchone()[0]
        # From the maintenance database: a database cannot close itself to connections.
        db = connection.settings_dict
        with psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"],
                             password=db["PASSWORD"], dbname="postgres",
                             autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
            try:
                cut = admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE datname = %s AND pid <> %s", [database, ours])
                assert cut.rowcount >= 1
                down = answers(5, uncached)  # ten: each upstream seen failing over 3 times
            finally:
                admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
        back = answers()
    finally:
        for process in (proxy, web):
            process.send_signal(signal.SIGQUIT)  # both: a quick shutdown
        for process in (proxy, web):
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
    errors = (tmp_path / "proxy" / "logs" / "error.log").read_text()
    # While it is down: 503, with its JSON body on the API.
    assert set(down) == {(503, "text/html"), (503, "unavailable")}, errors[-3000:]
    assert back == [(200, "")] * 6, errors[-3000:]


def _status(site: faultkit.Site, path: str) -> tuple[int, str]:
    """The status, and for a 503 what answered: the API's JSON error or a page."""
    status, headers, body = site.request("GET", path, timeout=10)
    if status != 503:
        return status, ""
    if headers.get("Content-Type", "").startswith("application/json"):
        return status, json.loads(body)["error"]
    return status, "text/html"
