"""Files on S3-compatible object storage (core.storage, settings.s3_storage), against a real S3
server process over HTTP (tests/s3_server.py): uploads and signed results are written to the
bucket and read back through the application after its access check, a file changed in the
bucket is refused, and the sweeper deletes only old files no row names."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from dichvucong import settings as project_settings
from dichvucong.core import storage
from dichvucong.dossiers import submission
from dichvucong.dossiers.models import Dossier
from dichvucong.results import issuing, services, stamping, verification
from dichvucong.results.models import SigningState
from tests import procedure_flow, s3_server
from tests.results_helpers import approved_dossier, user
from tests.test_backoffice import PDF, client_for, make_dossier
from tests.test_dossier_api import post_birth
from tests.test_dossier_submission import birth_post

BUCKET = "dichvucong-test"
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def s3_url():
    with s3_server.running() as url:
        s3_server.client(url).create_bucket(Bucket=BUCKET)
        yield url


@pytest.fixture
def on_s3(settings, s3_url):
    settings.STORAGES = {**settings.STORAGES, "default": project_settings.s3_storage(
        s3_server.environment(s3_url, BUCKET))}
    assert storage.backend_name() == "s3"
    return s3_server.client(s3_url)


@pytest.mark.usefixtures("result_keys")
def test_files_live_in_the_bucket_checked_on_every_read(on_s3):
    dossier = make_dossier()
    attachment = dossier.attachments.get()
    key = attachment.file.name
    assert key.startswith(f"dossiers/{dossier.pk}/")
    stored = on_s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    assert stored == PDF and attachment.sha256 == hashlib.sha256(PDF).hexdigest()

    # Through the application after its access check: the officer of the agency gets it; an
    # officer of another agency and the citizen's neighbour do not, and no bucket address leaks.
    url = f"/mot-cua/ho-so/{dossier.code}/tep/{attachment.token}/"
    response = client_for("chuyenvien.haichau").get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Cache-Control"] == "private, no-store"
    assert "Location" not in response
    assert client_for("chuyenvien.sotuphap").get(url).status_code == 404
    assert client_for("congdan").get(url).status_code == 403

    # A signed result is written to the bucket and verifies when read back.
    result = procedure_flow.process_and_sign(dossier)
    assert on_s3.head_object(Bucket=BUCKET, Key=result.pdf.name)["ContentLength"] > 0
    signed = procedure_flow.download(result)
    assert hashlib.sha256(signed).hexdigest() == result.pdf_sha256
    assert verification.verify_pdf(signed).outcome == "valid"

    # Changed in the bucket (a bad disk, a wrong restore, a hand edit): refused, never served.
    on_s3.put_object(Bucket=BUCKET, Key=key, Body=PDF.replace(b"1.4", b"1.7"))
    response = client_for("chuyenvien.haichau").get(url)
    assert response.status_code == 500 and PDF not in response.content
    assert "SHA-256" in response.content.decode()
    on_s3.put_object(Bucket=BUCKET, Key=result.pdf.name, Body=signed[:-10])
    response = client_for("congdan").get(f"/ket-qua/{result.token}/")
    assert response.status_code == 500
    # Gone from the bucket: not found.
    on_s3.delete_object(Bucket=BUCKET, Key=key)
    assert client_for("chuyenvien.haichau").get(url).status_code == 404

    # The sweeper: an orphan left by a killed worker goes once older than the grace period;
    # files rows name stay, and so does a young orphan (its row may be committing).
    orphan = default_storage.save(f"dossiers/{dossier.pk}/orphan.pdf",
                                  ContentFile(b"half-made"))
    assert storage.sweep_orphans() == []
    later = timezone.now() + storage.ORPHAN_GRACE + timedelta(minutes=1)
    assert storage.sweep_orphans(now=later, dry_run=True) == [orphan]
    assert default_storage.exists(orphan)
    assert storage.sweep_orphans(now=later) == [orphan]
    assert not default_storage.exists(orphan)
    assert default_storage.exists(result.pdf.name)


@pytest.mark.usefixtures("result_keys")
def test_with_the_s3_server_stopped_uploads_and_downloads_answer_503_and_signing_waits(settings):
    """The S3 server stopped (issue #20): an upload answers 503 with a clear message and the
    form kept (the web form) or a JSON body (the API), and stores nothing; a download 503;
    /healthz/ready says the storage is down; a signing run puts its result back in the queue,
    not failed, and the sweeper signs it once the server is back."""
    port = s3_server.free_port()
    with s3_server.running(port) as url:
        s3_server.client(url).create_bucket(Bucket=BUCKET)
        settings.STORAGES = {**settings.STORAGES, "default": project_settings.s3_storage(
            s3_server.environment(url, BUCKET))}
        dossier = make_dossier()
        attachment = dossier.attachments.get()
        queued = approved_dossier()
        with mock.patch.object(issuing, "sign_result_task"):  # queued in the database only
            result = services.request_issue(queued, user("chuyenvien.haichau"))
    # The server is stopped here.
    citizen = client_for("congdan")
    dossiers = Dossier.objects.count()
    response = citizen.post("/thu-tuc/1.001193/nop-ho-so/", birth_post())
    html = response.content.decode()
    assert response.status_code == 503 and response["Retry-After"]
    assert submission.STORAGE_UNAVAILABLE.split(". ")[0] in html
    assert "Trần Minh Khang" in html  # what was typed is kept
    draft = Dossier.objects.get(applicant__username="congdan", state="draft")
    assert not draft.attachments.exists()
    assert draft.form_data["tre_ho_ten"] == "Trần Minh Khang"

    response = post_birth(citizen)
    assert response.status_code == 503 and response["Retry-After"]
    assert response.json()["detail"] == submission.STORAGE_UNAVAILABLE
    assert Dossier.objects.count() == dossiers + 1  # the draft above; the API filed nothing

    response = client_for("chuyenvien.haichau").get(
        f"/mot-cua/ho-so/{dossier.code}/tep/{attachment.token}/")
    assert response.status_code == 503 and response["Retry-After"]
    assert "Kho lưu trữ tệp" in response.content.decode()

    ready = citizen.get("/healthz/ready")
    assert ready.status_code == 503
    assert {"name": "storage", "ok": False, "error": "StorageUnavailable"} in ready.json()["checks"]

    now = timezone.now()
    stamping.sign_result(result.pk, now=now)
    result.refresh_from_db()
    assert result.signing_state == SigningState.QUEUED and result.signing_attempts == 0
    assert not result.pdf and result.queued_at == now
    assert list(result.events.values_list("kind", flat=True)) == ["requested"]

    with s3_server.running(port) as url:  # back (empty: moto keeps nothing)
        s3_server.client(url).create_bucket(Bucket=BUCKET)
        assert stamping.resume_signing(now=now) == 0  # within the grace time
        later = now + timedelta(seconds=settings.RESULTS_SIGNING_GRACE_SECONDS + 1)
        assert stamping.resume_signing(now=later) == 1
        result.refresh_from_db()
        assert result.is_ready and result.signing_attempts == 1
        assert verification.verify_pdf(procedure_flow.download(result)).outcome == "valid"
        assert citizen.get("/healthz/ready").json()["checks"][1] == {"name": "storage",
                                                                     "ok": True}
