"""Signing jobs that cannot be lost (issue #20, item 1), with a frozen clock (``now`` passed):
a worker killed while signing leaves a lease that expires into a re-sign by the sweeper; a
result issued while the queue (Redis) is unreachable is still issued and signed by the sweeper;
a run interrupted too often ends failed, never in between; the officer sees a stuck result and
retries it; a full disk while storing fails the result without leaving a file."""

from __future__ import annotations

import errno
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.test import Client, TestCase
from django.utils import timezone
from huey.contrib.djhuey import HUEY
from huey.storage import RedisStorage

from dichvucong.results import services, signing_jobs
from dichvucong.results.models import Result, SigningState
from tests.results_helpers import approved_dossier, user
from tests.test_results import _pki, keys  # noqa: F401 - the results tests' fixtures

pytestmark = pytest.mark.django_db

CLOSED_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def _killed_while_signing(result: Result, at) -> str:
    """What a worker killed with SIGKILL while signing leaves: the lease it took, the state."""
    token = signing_jobs.claim(result.pk, at)
    assert token
    signing_jobs.mine(result.pk, token).update(signing_state=SigningState.SIGNING)
    return token


def test_a_worker_killed_while_signing_is_resumed_after_its_lease(keys, settings):  # noqa: F811
    dossier = approved_dossier()
    result = services.request_issue(dossier, user("chuyenvien.haichau"))  # enqueue not run
    t0 = timezone.now()
    lost = _killed_while_signing(result, t0)

    # Within the lease: a live worker may still be signing; nobody takes the result.
    during = t0 + timedelta(seconds=settings.RESULTS_SIGNING_LEASE_SECONDS - 1)
    assert services.resume_signing(now=during) == 0
    result.refresh_from_db()
    assert result.signing_state == SigningState.SIGNING and not services.is_stuck(result, during)
    assert not services.can_retry(user("chuyenvien.haichau"), result, during)

    # Past it: stuck; the sweeper signs it again and the dossier moves on.
    after = t0 + timedelta(seconds=settings.RESULTS_SIGNING_LEASE_SECONDS + 1)
    assert services.is_stuck(result, after)
    assert services.resume_signing(now=after) == 1
    result.refresh_from_db()
    assert result.is_ready and result.signing_attempts == 2 and result.lease_token == ""
    assert result.signed_at == after
    dossier.refresh_from_db()
    assert dossier.state == "result_ready"
    # The killed run's token no longer matches: were it to wake up, it could write nothing.
    assert not signing_jobs.mine(result.pk, lost).exists()
    assert services.sign_result(result.pk).signed_at == after  # a late duplicate run: no-op
    assert list(result.events.values_list("kind", flat=True)) == ["requested", "signed"]


def test_issued_while_the_queue_is_down_then_signed_by_the_sweeper(keys, settings):  # noqa: F811
    dossier = approved_dossier()
    specialist = Client()
    specialist.force_login(user("chuyenvien.haichau"))
    # The queue is Redis at a closed port: handing the job over fails after the commit.
    with mock.patch.object(HUEY, "_immediate", False), \
            mock.patch.object(HUEY, "storage", RedisStorage("dichvucong", url=CLOSED_REDIS)), \
            TestCase.captureOnCommitCallbacks(execute=True):
        response = specialist.post(f"/mot-cua/ket-qua/ho-so/{dossier.code}/ban-hanh/",
                                   {"choice": "0", "valid_until": ""})
    assert response.status_code == 302  # the officer's request succeeded
    result = Result.objects.get(dossier=dossier)
    assert result.signing_state == SigningState.QUEUED and result.queued_at is not None

    grace = timedelta(seconds=settings.RESULTS_SIGNING_GRACE_SECONDS)
    assert services.resume_signing(now=result.queued_at + grace - timedelta(seconds=1)) == 0
    # Past the grace time the officer sees it waiting too long, with the retry button.
    later = result.queued_at + grace + timedelta(seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        page = specialist.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert "Chờ ký quá lâu" in page and f"/mot-cua/ket-qua/{result.token}/ky-lai/" in page
    assert services.resume_signing(now=later) == 1
    result.refresh_from_db()
    assert result.is_ready


def test_interrupted_too_often_ends_failed_and_the_officer_retries(keys, settings):  # noqa: F811
    dossier = approved_dossier()
    officer = user("chuyenvien.haichau")
    result = services.request_issue(dossier, officer)
    lease = timedelta(seconds=settings.RESULTS_SIGNING_LEASE_SECONDS + 1)
    at = timezone.now()
    for _ in range(settings.RESULTS_SIGNING_MAX_ATTEMPTS):
        _killed_while_signing(result, at)
        at += lease
    assert not signing_jobs.claim(result.pk, at)  # out of attempts: no run takes it again
    assert services.resume_signing(now=at) == 1
    result.refresh_from_db()
    assert result.signing_state == SigningState.FAILED
    assert result.signing_error == signing_jobs.INTERRUPTED
    assert result.events.filter(kind="failed").count() == 1

    specialist = Client()
    specialist.force_login(officer)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = specialist.post(f"/mot-cua/ket-qua/{result.token}/ky-lai/")
    assert response.status_code == 302
    result.refresh_from_db()
    assert result.is_ready and result.signing_attempts == 1


def test_the_officer_retries_a_stuck_result_and_the_old_run_writes_nothing(keys, settings):  # noqa: F811
    dossier = approved_dossier()
    officer = user("chuyenvien.haichau")
    result = services.request_issue(dossier, officer)
    t0 = timezone.now()
    lost = _killed_while_signing(result, t0)
    after = t0 + timedelta(seconds=settings.RESULTS_SIGNING_LEASE_SECONDS + 1)
    with pytest.raises(services.ResultError):
        services.retry(result, officer, now=t0)  # not stuck yet
    with pytest.raises(services.ResultError):
        services.retry(result, user("congdan"), now=after)  # not an official of the agency
    services.retry(result, officer, now=after)
    result.refresh_from_db()
    assert result.signing_state == SigningState.QUEUED and result.signing_attempts == 0
    assert not signing_jobs.mine(result.pk, lost).exists()
    assert result.events.filter(kind="retried").count() == 1


def test_a_full_disk_while_storing_fails_the_result_and_leaves_no_file(keys, settings):  # noqa: F811
    dossier = approved_dossier()
    result = services.request_issue(dossier, user("chuyenvien.haichau"))
    real_save = FileSystemStorage._save

    def half_then_full(storage, name, content):
        real_save(storage, name, ContentFile(content.read()[:100]))  # a partial file
        raise OSError(errno.ENOSPC, "No space left on device")

    with mock.patch.object(FileSystemStorage, "_save", half_then_full):
        services.sign_result(result.pk)
    result.refresh_from_db()
    assert result.signing_state == SigningState.FAILED and not result.pdf
    assert "lưu tệp" in result.signing_error
    folder = Path(settings.MEDIA_ROOT) / "results"
    assert not list(folder.rglob(f"{result.token}*"))
    dossier.refresh_from_db()
    assert dossier.state == "approved"


def test_the_database_down_while_signing_puts_the_result_back_in_the_queue(keys,  # noqa: F811
                                                                          settings):
    """The database restarting under a signing run (the fault suite's PostgreSQL restart
    marked such a result «failed» for the officer): back in the queue, its attempt not
    counted, and signed by the sweeper once the grace time is over."""
    from django.db import OperationalError

    from dichvucong.results import stamping

    dossier = approved_dossier()
    result = services.request_issue(dossier, user("chuyenvien.haichau"))
    now = timezone.now()
    with mock.patch.object(stamping.render, "render", side_effect=OperationalError(
            "FATAL:  the database system is shutting down")):
        services.sign_result(result.pk, now=now)
    result.refresh_from_db()
    assert result.signing_state == SigningState.QUEUED and result.signing_attempts == 0
    assert list(result.events.values_list("kind", flat=True)) == ["requested"]
    grace = timedelta(seconds=settings.RESULTS_SIGNING_GRACE_SECONDS)
    assert services.resume_signing(now=now + grace + timedelta(seconds=1)) == 1
    result.refresh_from_db()
    assert result.is_ready
