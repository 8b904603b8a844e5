"""Background jobs: the periodic task is scheduled, and a real huey consumer process runs it."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone
from huey import RedisHuey, SqliteHuey
from huey.contrib.djhuey import HUEY

from dichvucong.core.tasks import clear_expired_sessions
from tests.conftest import require_component


def test_clear_expired_sessions_is_periodic_hourly():
    due = [task.name for task in HUEY.read_periodic(dt.datetime(2026, 11, 23, 10, 7))]
    assert "core.clear_expired_sessions" in due
    not_due = [task.name for task in HUEY.read_periodic(dt.datetime(2026, 11, 23, 10, 8))]
    assert "core.clear_expired_sessions" not in not_due


def _database_url() -> str:
    """The URL of the test database this process uses, for the worker process."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("queue_backend", ["sqlite", "redis"])
def test_worker_process_runs_the_task(tmp_path, queue_backend):
    """A real consumer process, on the embedded SQLite queue and on a real Redis server."""
    env = {**os.environ, "DICHVUCONG_MODE": "demo", "DICHVUCONG_DATA_DIR": str(tmp_path),
           "DJANGO_SETTINGS_MODULE": "dichvucong.settings", "HUEY_IMMEDIATE": "0",
           "DATABASE_URL": _database_url()}
    env.pop("REDIS_URL", None)
    if queue_backend == "redis":
        redis_url = os.environ.get("DICHVUCONG_TEST_REDIS_URL", "")
        require_component("Redis", bool(redis_url), "./run tests starts redis-server")
        env["REDIS_URL"] = redis_url
        queue = RedisHuey("dichvucong", url=redis_url, utc=True)
        queue.flush()
    else:
        # The queue file in the worker's data folder.
        queue = SqliteHuey("dichvucong", filename=str(tmp_path / "huey.sqlite3"), utc=True)
    now = timezone.now()
    Session.objects.create(session_key="expired" + "x" * 25, session_data="",
                           expire_date=now - dt.timedelta(days=1))
    Session.objects.create(session_key="current" + "x" * 25, session_data="",
                           expire_date=now + dt.timedelta(days=1))
    task = clear_expired_sessions.s()
    queue._registry.register(type(task))  # the worker finds it by the same name
    queue.enqueue(task)
    # Without the periodic schedule: at a minute's turn it would enqueue notify's delivery job
    # (every minute) into the same queue, and the queue would not end empty.
    worker = subprocess.Popen([sys.executable, "-m", "dichvucong", "run_huey", "--workers", "1",
                               "--no-periodic"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if not Session.objects.filter(session_key__startswith="expired").exists():
                break
            time.sleep(0.2)
        else:
            worker.terminate()
            output = worker.communicate(timeout=10)[0].decode()
            pytest.fail(f"the worker did not run the task in 30 s:\n{output}")
        assert Session.objects.filter(session_key__startswith="current").exists()
    finally:
        if worker.poll() is None:
            worker.terminate()
            worker.wait(timeout=15)
    assert len(queue) == 0
