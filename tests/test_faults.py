"""The fault suite's reduced CI form (issue #20; the full suite: bench/faults.py): real gunicorn
web processes (2 workers) on the test database and a real S3 server process, under a citizen's
load of API submissions, pages and API reads. One web worker is killed with SIGKILL during the
submissions, then the S3 server is stopped for a while and started again. Afterwards the
checks of bench/faultkit.py: nothing lost, duplicated or half-made, every file's SHA-256
intact, 5xx only as 503 with a JSON body on the API; and the killed worker's gauge files are
gone (core/gunicorn_config.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.utils import timezone

from bench import faultkit
from dichvucong import settings as project_settings
from dichvucong.accounts.models import User
from dichvucong.agencies.models import Agency
from dichvucong.catalog.models import Procedure
from dichvucong.devdata.accounts import DEMO_PASSWORD
from tests import s3_server
from tests.birth_helpers import birth_form_json
from tests.results_helpers import HAI_CHAU
from tests.test_signing_fault import demo_data  # noqa: F401 - the fixture
from tests.test_worker import _database_url

BUCKET = "dichvucong-faults"


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
