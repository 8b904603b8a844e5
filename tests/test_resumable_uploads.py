"""Uploads that survive a dropped connection (#23 item 3): the tus 1.0.0 core protocol
(``dossiers/resumable.py``) through HTTP, as tus-js-client speaks it, then a filing that takes
the finished upload instead of a file."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from dichvucong.accounts.models import User
from dichvucong.dossiers import resumable
from dichvucong.dossiers.models import Dossier, ResumableUpload
from tests.filing import check_then_file
from tests.test_dossier_submission import birth_post

pytestmark = pytest.mark.django_db
TUS = {"HTTP_TUS_RESUMABLE": "1.0.0"}
# A real PDF of 40 KB: a page then a comment that pads it (what matters is its bytes).
SCAN = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + b"%" + bytes(range(32, 127)) * 420


def logged_in(username: str = "congdan", **options) -> Client:
    client = Client(**options)
    client.force_login(User.objects.get(username=username))
    return client


def begin(client: Client, length: int, name: str = "ban-chup.pdf") -> str:
    response = client.post("/tai-len/", content_type="application/offset+octet-stream",
                           HTTP_UPLOAD_LENGTH=str(length),
                           HTTP_UPLOAD_METADATA="filename " + base64.b64encode(
                               name.encode()).decode(), **TUS)
    assert response.status_code == 201, response.content
    assert response["Tus-Resumable"] == "1.0.0"
    return response["Location"]


def piece(client: Client, url: str, offset: int, data: bytes, **headers):
    return client.generic("PATCH", url, data, content_type="application/offset+octet-stream",
                          HTTP_UPLOAD_OFFSET=str(offset), **{**TUS, **headers})


def test_a_file_sent_in_pieces_resumes_after_a_lost_piece_and_is_filed(client):
    client = logged_in()
    options = client.options("/tai-len/")
    assert options.status_code == 204 and "creation" in options["Tus-Extension"]
    url = begin(client, len(SCAN))
    assert url.startswith("/tai-len/") and len(url) == len("/tai-len/") + 33
    head = client.head(url, **TUS)
    assert (head.status_code, head["Upload-Offset"], head["Upload-Length"]) == (
        200, "0", str(len(SCAN)))

    first = piece(client, url, 0, SCAN[:16_000])
    assert first.status_code == 204 and first["Upload-Offset"] == "16000"
    # The next piece was lost on the way: the client sends it again from where it thought…
    assert piece(client, url, 32_000, SCAN[32_000:]).status_code == 409
    # …asks where the server stands, and goes on from there.
    assert client.head(url, **TUS)["Upload-Offset"] == "16000"
    assert piece(client, url, 16_000, SCAN[16_000:]).status_code == 204
    assert piece(client, url, len(SCAN), b"x").status_code == 409  # complete: nothing more
    upload = ResumableUpload.objects.get()
    assert upload.completed_at is not None and upload.name == "ban-chup.pdf"

    # The form carries the upload's address instead of the file.
    post = birth_post(**{"doc-1": "", "doc-1-upload": url.strip("/").rsplit("/", 1)[1]})
    del post["doc-1"]
    response = check_then_file(client, "/thu-tuc/1.001193/nop-ho-so/", post)
    assert response.status_code == 302, response.content.decode()[:2000]
    dossier = Dossier.objects.get(code=response["Location"].strip("/").rsplit("/", 1)[1])
    stored = dossier.attachments.get(requirement__startswith="Giấy chứng sinh")
    assert stored.sha256 == hashlib.sha256(SCAN).hexdigest()
    assert stored.original_name == "ban-chup.pdf"
    assert not ResumableUpload.objects.exists()  # taken: gone with its bytes
    assert not list(resumable.folder().iterdir())


def test_the_protocol_refuses_what_it_must(client):
    citizen = logged_in()
    assert Client().post("/tai-len/", HTTP_UPLOAD_LENGTH="10", **TUS).status_code == 403
    assert citizen.post("/tai-len/", HTTP_UPLOAD_LENGTH="10").status_code == 412  # no version
    assert citizen.post("/tai-len/", HTTP_UPLOAD_LENGTH=str(11 * 1024 * 1024),
                        **TUS).status_code == 413
    assert citizen.post("/tai-len/", HTTP_UPLOAD_LENGTH="abc", **TUS).status_code == 400
    url = begin(citizen, 10)
    assert citizen.generic("PATCH", url, b"12345", content_type="text/plain",
                           HTTP_UPLOAD_OFFSET="0", **TUS).status_code == 415
    assert piece(citizen, url, 0, b"12345678901").status_code == 413  # longer than announced
    # Another account's upload does not exist for it, to read, write or delete.
    other = logged_in("doanhnghiep")
    assert other.head(url, **TUS).status_code == 404
    assert piece(other, url, 0, b"12345").status_code == 404
    assert other.delete(url, **TUS).status_code == 404
    # CSRF holds for the pieces as for any form.
    guarded = logged_in(enforce_csrf_checks=True)
    assert piece(guarded, url, 0, b"12345").status_code == 403
    assert citizen.delete(url, **TUS).status_code == 204 and not ResumableUpload.objects.exists()


def test_an_unfinished_upload_is_swept_after_a_day_and_cannot_be_filed(client):
    citizen = logged_in()
    url = begin(citizen, 100)
    token = url.strip("/").rsplit("/", 1)[1]
    piece(citizen, url, 0, b"%PDF-")
    post = birth_post(**{"doc-1-upload": token})
    del post["doc-1"]
    page = citizen.post("/thu-tuc/1.001193/nop-ho-so/", post).content.decode()
    assert resumable.GONE in page  # not complete: the citizen is told to choose the file again
    assert ResumableUpload.objects.count() == 1  # kept: the client may still finish it
    assert resumable.sweep() == 0  # not a day old yet
    ResumableUpload.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert resumable.sweep() == 1
    assert not ResumableUpload.objects.exists()
    assert not list(resumable.folder().iterdir())
