"""The fault suite's reduced CI form for signing (issue #20): a real worker process is killed
with SIGKILL while the remote signing service holds its signHash; the result is left «signing»
under the dead worker's lease, and once the lease has expired the sweeper signs it — one valid
signed file, the dossier moved on, nothing half-made."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from unittest import mock

import pytest
from django.core.management import call_command
from django.utils import timezone
from huey import SqliteHuey

from dichvucong.agencies.models import Agency
from dichvucong.results import issuing, services
from dichvucong.results.models import SigningState
from dichvucong.results.tasks import sign_result_task
from tests.results_helpers import HAI_CHAU, approved_dossier, user
from tests.test_results_signers import _pki, csc  # noqa: F401 - fixtures
from tests.test_worker import _database_url


@pytest.fixture
def demo_data(transactional_db):
    """The session's reference data, catalogue and demo accounts, loaded again when an earlier
    transactional test's flush emptied the database (the worker process reads committed rows,
    so this test cannot run in a transaction of its own)."""
    if not Agency.objects.filter(name=HAI_CHAU).exists():
        for command in ("load_reference_data", "load_catalog", "create_demo_accounts"):
            call_command(command, verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_signing_is_signed_again_by_the_sweeper(demo_data, csc,  # noqa: F811
                                                                      settings, tmp_path):
    dossier = approved_dossier()
    with mock.patch.object(issuing, "sign_result_task"):  # queued in the database only
        result = services.request_issue(dossier, user("chuyenvien.haichau"))
    queue = SqliteHuey("dichvucong", filename=str(tmp_path / "huey.sqlite3"), utc=True)
    task = sign_result_task.s(result.pk)
    queue._registry.register(type(task))
    queue.enqueue(task)
    env = {**os.environ, "DICHVUCONG_MODE": "demo", "DICHVUCONG_DATA_DIR": str(tmp_path),
           "DJANGO_SETTINGS_MODULE": "dichvucong.settings", "HUEY_IMMEDIATE": "0",
           "DATABASE_URL": _database_url(), "DICHVUCONG_RESULTS_SIGNER": "csc",
           "DICHVUCONG_CSC_URL": csc.url, "DICHVUCONG_CSC_USERNAME": csc.username,
           "DICHVUCONG_CSC_PASSWORD": csc.password,
           "DICHVUCONG_CSC_CREDENTIAL": settings.RESULTS_CSC_CREDENTIAL,
           "DICHVUCONG_RESULTS_TRUST_ROOTS": settings.RESULTS_TRUST_ROOTS[0],
           "DICHVUCONG_RESULTS_PKI_DIR": settings.RESULTS_PKI_DIR}
    env.pop("REDIS_URL", None)
    csc.hold.set()
    worker = subprocess.Popen([sys.executable, "-m", "dichvucong", "run_huey", "--workers", "1",
                               "--no-periodic"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
    try:
        if not csc.held.wait(60):
            worker.kill()
            pytest.fail("the worker never reached signHash:\n"
                        + worker.communicate(timeout=10)[0].decode())
        worker.send_signal(signal.SIGKILL)
        assert worker.wait(timeout=10) == -signal.SIGKILL
    finally:
        csc.release.set()
        if worker.poll() is None:
            worker.kill()
    result.refresh_from_db()
    assert result.signing_state == SigningState.SIGNING and result.lease_until is not None
    assert not result.pdf and not services.is_stuck(result)

    after = result.lease_until + timedelta(seconds=1)
    assert services.is_stuck(result, after)
    assert services.resume_signing(now=after) == 1
    result.refresh_from_db()
    assert result.is_ready and result.backend == "csc" and result.signing_attempts == 2
    ok, _signer = services.validate_signature(services.pdf_bytes(result))
    assert ok  # one whole signed file (the full check of a CSC signature: test_results_signers)
    assert list(result.events.values_list("kind", flat=True)) == ["requested", "signed"]
    dossier.refresh_from_db()
    assert dossier.state == "result_ready"
    assert timezone.now() < after  # the clock was moved for the sweeper, not waited for
