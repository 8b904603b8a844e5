"""Uploads that survive a dropped connection: the core of the tus 1.0.0 protocol
(https://tus.io/protocols/resumable-upload, with its ``creation`` and ``termination``
extensions), which tus-js-client speaks in the browser (``core/static/js/uploads.js``).

A citizen on a commune's mobile network sends a large scan in pieces: ``create`` gives an upload
its address, ``append`` adds the bytes at the offset the server holds (a piece sent at another
offset is refused, 409, and the client asks ``HEAD`` where to go on), and a complete upload waits
until the filing takes it (``take``: the file as an ``UploadedFile``, checked by content there as
any upload is). A piece whose connection dropped writes nothing, so the client resumes at the
last whole piece. Uploads are the account's own; an unfinished one is deleted after
``MAX_AGE`` (``sweep``, by the worker). Plain Python, no HTTP.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from dichvucong.accounts.models import User
from dichvucong.core.text import NAME_MAX
from dichvucong.dossiers.models import ResumableUpload
from dichvucong.dossiers.uploads import MAX_BYTES, UploadError

VERSION = "1.0.0"
EXTENSIONS = "creation,termination"
MAX_AGE = timedelta(hours=24)
TOO_LARGE = "Tệp quá lớn (tối đa 10 MB)."
GONE = "Tệp đang tải lên không còn: hãy chọn lại tệp."


class Conflict(Exception):
    """A piece for another offset than the one held: the client asks where to go on."""

    def __init__(self, offset: int) -> None:
        super().__init__(offset)
        self.offset = offset


def folder() -> Path:
    path = Path(settings.DATA_DIR) / "uploads-in-progress"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _part(upload: ResumableUpload) -> Path:
    return folder() / f"{upload.token}.part"


def file_name(metadata: str) -> str:
    """The ``filename`` of an ``Upload-Metadata`` header (comma-separated ``key base64``)."""
    for pair in (metadata or "").split(","):
        key, _, value = pair.strip().partition(" ")
        if key == "filename" and value:
            try:
                return base64.b64decode(value, validate=True).decode("utf-8")[:NAME_MAX]
            except (binascii.Error, UnicodeDecodeError):
                return ""
    return ""


def create(owner: User, length: int, name: str) -> ResumableUpload:
    """A new upload of ``length`` bytes. Raises UploadError when it could never be accepted."""
    if length <= 0:
        raise UploadError("Tệp rỗng.")
    if length > MAX_BYTES:
        raise UploadError(TOO_LARGE)
    upload = ResumableUpload.objects.create(token=secrets.token_hex(16), owner=owner,
                                            name=name or "tep", length=length)
    _part(upload).write_bytes(b"")
    return upload


def find(owner: User, token: str) -> ResumableUpload | None:
    """The owner's own upload: another account's token answers as if it did not exist."""
    return ResumableUpload.objects.filter(owner=owner, token=str(token)[:32]).first()


def append(upload: ResumableUpload, offset: int, data: bytes) -> ResumableUpload:
    """Add ``data`` at ``offset``. Raises Conflict (another offset) or UploadError (too long)."""
    with transaction.atomic():
        held = ResumableUpload.objects.select_for_update().get(pk=upload.pk)
        if offset != held.offset or held.completed_at is not None:
            raise Conflict(held.offset)
        if held.offset + len(data) > held.length:
            raise UploadError(TOO_LARGE)
        with _part(held).open("r+b") as part:
            part.seek(held.offset)
            part.write(data)
            part.truncate()
        held.offset += len(data)
        if held.offset == held.length:
            held.completed_at = timezone.now()
        held.save(update_fields=["offset", "completed_at"])
    return held


def take(owner: User, token: str) -> SimpleUploadedFile:
    """The complete upload as a file to attach; the upload is gone afterwards. Raises
    UploadError when it is not the owner's, not complete, or expired."""
    upload = find(owner, token)
    if upload is None or upload.completed_at is None or not _part(upload).exists():
        raise UploadError(GONE)
    content = _part(upload).read_bytes()
    remove(upload)
    return SimpleUploadedFile(upload.name, content)


def remove(upload: ResumableUpload) -> None:
    _part(upload).unlink(missing_ok=True)
    upload.delete()


def sweep(now=None) -> int:
    """Delete the uploads begun more than MAX_AGE ago (a filing takes the others)."""
    now = now or timezone.now()
    old = list(ResumableUpload.objects.filter(created_at__lt=now - MAX_AGE))
    for upload in old:
        remove(upload)
    return len(old)
