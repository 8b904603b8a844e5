"""Degrade, don't fail (issue #20, item 2): with Redis unreachable (a Redis URL pointed at a
closed port) login and the cache keep working, the limits counting in the database; with the
disk full (ENOSPC while the storage writes) the citizen is told, the form is kept and no
partial file remains. (The database down: tests/test_error_pages.py; the signing queue down:
tests/test_signing_jobs.py.)"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import TestCase
from huey.contrib.djhuey import HUEY
from huey.storage import RedisStorage

from dichvucong.accounts.models import User
from dichvucong.core import ratelimit
from dichvucong.core.cache import TolerantRedisCache
from dichvucong.dossiers.models import Dossier
from dichvucong.dossiers.submission import STORAGE_FAILED
from dichvucong.results import declaration
from tests.filing import check_then_file
from tests.test_dossier_submission import birth_post, citizen  # noqa: F401 - the fixture

CLOSED_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def redis_down(settings):
    settings.REDIS_URL = CLOSED_REDIS
    ratelimit._redis_client.cache_clear()
    yield
    ratelimit._redis_client.cache_clear()


@pytest.mark.django_db
def test_filing_works_with_the_queue_down_and_the_declaration_follows(client, citizen):  # noqa: F811
    """The queue (Redis) unreachable when the filing commits: the citizen's filing succeeds
    (it answered 500 after the commit: the declaration's job could not be queued), and the
    sweeper attaches the declaration afterwards."""
    with mock.patch.object(HUEY, "_immediate", False), \
            mock.patch.object(HUEY, "storage", RedisStorage("dichvucong", url=CLOSED_REDIS)), \
            TestCase.captureOnCommitCallbacks(execute=True):
        response = check_then_file(client, "/thu-tuc/1.001193/nop-ho-so/", birth_post())
    assert response.status_code == 302
    dossier = Dossier.objects.get(applicant=citizen)
    assert dossier.state == "submitted" and not dossier.attachments.filter(declaration=True)
    assert declaration.attach_missing(dossier.submitted_at) == 0  # within the grace time
    later = dossier.submitted_at + declaration.MISSING_AFTER + declaration.MISSING_AFTER
    assert declaration.attach_missing(later) == 1
    assert dossier.attachments.filter(declaration=True).count() == 1
    assert declaration.attach_missing(later) == 0


@pytest.mark.django_db
def test_login_works_with_redis_down_and_limits_count_in_the_database(client, redis_down):
    User.objects.create_user(username="khi.redis.dung", password="Mat-khau-dai-9")
    wrong = client.post("/dang-nhap/", {"username": "khi.redis.dung", "password": "sai"})
    assert wrong.status_code == 200 and "mật khẩu không đúng" in wrong.content.decode()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM core_ratelimitcounter")
        assert cursor.fetchone()[0] >= 1  # counted where it could be
    right = client.post("/dang-nhap/", {"username": "khi.redis.dung",
                                        "password": "Mat-khau-dai-9"})
    assert right.status_code == 302
    assert client.get("/").status_code == 200


def test_the_cache_misses_instead_of_failing_with_redis_down():
    cache = TolerantRedisCache(CLOSED_REDIS, {})
    assert cache.get("k", "default") == "default" and cache.get_many(["a"]) == {}
    cache.set("k", 1)
    assert cache.add("k", 1) is False and cache.delete("k") is False
    assert cache.get_or_set("k", 2) == 2


def test_the_cache_makes_one_redis_client_per_connection_pool():
    """Not one per call (issue #19: making one cost three times the GET it was made for)."""
    cache = TolerantRedisCache(CLOSED_REDIS, {})
    client = cache._cache.get_client("k")
    assert cache._cache.get_client("j") is client
    assert client.connection_pool is cache._cache.get_client("k", write=True).connection_pool
    assert cache.get("k", "default") == "default"  # still a miss with Redis down


class _FullDisk:
    """A file that takes half of what is written, then answers ENOSPC, as a full disk does."""

    def __init__(self, file):
        self.file = file

    def write(self, data):
        self.file.write(data[:len(data) // 2])
        self.file.flush()
        raise OSError(errno.ENOSPC, "No space left on device")

    def close(self):
        self.file.close()


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@pytest.mark.django_db
def test_a_full_disk_keeps_the_form_tells_the_citizen_and_leaves_no_file(client, citizen,  # noqa: F811
                                                                        settings):
    before = _files(Path(settings.MEDIA_ROOT))
    real_fdopen = os.fdopen
    post = birth_post(**{"doc-1": SimpleUploadedFile("giay-chung-sinh.pdf",
                                                     b"%PDF-1.4\n" + b"0" * 4000 + b"\n%%EOF\n")})
    with mock.patch("django.core.files.storage.filesystem.os.fdopen",
                    lambda fd, *args, **kwargs: _FullDisk(real_fdopen(fd, *args, **kwargs))):
        response = client.post("/thu-tuc/1.001193/nop-ho-so/", post)
    html = response.content.decode()
    assert response.status_code == 200
    assert STORAGE_FAILED.split(" (")[0] in html
    assert "Trần Minh Khang" in html  # what was typed is kept
    draft = Dossier.objects.get(applicant=citizen)
    assert draft.state == "draft" and not draft.attachments.exists()
    assert draft.form_data["tre_ho_ten"] == "Trần Minh Khang"
    assert _files(Path(settings.MEDIA_ROOT)) == before  # no partial nor empty file
