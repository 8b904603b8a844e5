"""Where the platform's files live, and the two rules every reader and the sweeper follow.

Files (citizens' uploads, the filed declarations, signed results, the data store's deposits, the
open-data downloads) go through Django's default storage: the data folder in the embedded default,
S3-compatible object storage (django-storages) when ``DICHVUCONG_S3_BUCKET`` is set. Reception
slips and fee receipts are rendered on request from the database and never stored.

1. **A file is checked before it is served**: its SHA-256, kept on its row when it was written, is
   compared with the bytes read back (:func:`read_verified`, :func:`download`). A file changed or
   cut short in the storage is refused (:class:`CorruptFile`), never handed to a citizen or an
   officer. Downloads stream through the application after the caller's access check, so a
   storage address is never given out.
2. **Nothing is stored without a row**: a web or worker process killed between writing a file and
   committing its row leaves an orphan; :func:`sweep_orphans` deletes the files no row names once
   they are older than a grace period (a file whose row is still being committed is young).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.apps import apps
from django.core.files.storage import FileSystemStorage, default_storage, storages
from django.db import models
from django.http import FileResponse, Http404, HttpResponse, HttpResponseServerError
from django.utils import timezone
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

CHUNK = 256 * 1024
# Files smaller than this are checked in memory; larger ones in a temporary file.
SPOOL_BYTES = 4 * 1024 * 1024
# A file written less than this long ago may still be waiting for its row's commit.
ORPHAN_GRACE = timedelta(hours=6)
# Folders of the default storage that hold the platform's files (the sweeper looks only here).
MANAGED_FOLDERS = ("dossiers", "results", "store", "opendata")
# Rows that name a storage file in a plain text column rather than a FileField.
PATH_COLUMNS = (("opendata", "Resource", "file"),)


class StorageUnavailable(OSError):
    """The storage cannot be reached for the moment (the S3 server stopped or failing,
    core.s3): worth retrying, so 503 with Retry-After; jobs wait instead of failing."""


class CorruptFile(Exception):
    """The stored bytes do not match the SHA-256 recorded when the file was written."""

    def __init__(self, name: str):
        super().__init__(f"stored file {name!r} does not match its recorded SHA-256")
        self.name = name


def _open_checked(name: str, sha256: str):
    """Copy a stored file into a spooled temporary file while hashing it; the copy, rewound,
    when the hash matches. Raises FileNotFoundError or CorruptFile."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - returned open
    digest = hashlib.sha256()
    try:
        with default_storage.open(name, "rb") as handle:
            for chunk in iter(lambda: handle.read(CHUNK), b""):
                digest.update(chunk)
                spool.write(chunk)
    except BaseException as exc:
        spool.close()
        if _missing_object(exc):
            raise FileNotFoundError(name) from exc
        raise  # an unreachable or failing storage is an error, never a «not found»
    if digest.hexdigest() != sha256:
        spool.close()
        log.error("stored file %s does not match its SHA-256", name)
        raise CorruptFile(name)
    spool.seek(0)
    return spool


def _missing_object(exc: BaseException) -> bool:
    """A missing file: the data folder's FileNotFoundError, or object storage's 404 (botocore's
    ClientError, recognised by its response without importing botocore here)."""
    if isinstance(exc, FileNotFoundError):
        return True
    response = getattr(exc, "response", None)
    code = str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""
    return code in {"404", "NoSuchKey", "NotFound"}


def read_verified(name: str, sha256: str) -> bytes:
    """The bytes of a stored file, checked against its recorded SHA-256. Raises
    FileNotFoundError or CorruptFile."""
    with _open_checked(name, sha256) as handle:
        return handle.read()


def download(name: str, sha256: str, *, filename: str, content_type: str,
             as_attachment: bool = True) -> HttpResponse:
    """A stored file as a private, uncached download, checked before the first byte is sent
    (404 when it is missing, 500 with a plain message when it fails its check, 503 when the
    storage is down). The caller has checked who may have it."""
    try:
        handle = _open_checked(name, sha256)
    except FileNotFoundError:
        raise Http404 from None
    except CorruptFile:
        return corrupt_response()
    except StorageUnavailable:
        return unavailable_response()
    response = FileResponse(handle, as_attachment=as_attachment, filename=filename,
                            content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def corrupt_response() -> HttpResponse:
    """What a reader gets instead of a file that failed its check (logged by the check)."""
    return HttpResponseServerError(
        _("Tệp này không còn đúng như khi được lưu (mã băm SHA-256 không khớp) nên không "
          "được tải xuống; quản trị hệ thống đã được báo."),
        content_type="text/plain; charset=utf-8")


RETRY_AFTER_SECONDS = 30


def unavailable_response() -> HttpResponse:
    """What a reader gets while the storage is down: 503, worth retrying."""
    response = HttpResponse(
        _("Kho lưu trữ tệp của hệ thống tạm thời không truy cập được nên chưa tải được tệp "
          "này; hãy thử lại sau ít phút."), status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def backend_name() -> str:
    """``s3`` or ``local``: what the health page and the backup say the files are on."""
    return "s3" if hasattr(storages["default"], "bucket_name") else "local"


# Rows that record a stored file with its SHA-256: (app, model, file column, hash column).
RECORDED_FILES = (("dossiers", "Attachment", "file", "sha256"),
                  ("results", "Result", "pdf", "pdf_sha256"),
                  ("datastore", "StoredDocument", "file", "sha256"),
                  ("opendata", "Resource", "file", "sha256"))


def recorded_files() -> Iterator[tuple[str, str, str]]:
    """(model, storage name, SHA-256) of every stored file a row records with its hash: what a
    restore drill reads back."""
    for app_label, model_name, column, hash_column in RECORDED_FILES:
        model = apps.get_model(app_label, model_name)
        rows = (model._default_manager.exclude(**{column: ""}).exclude(**{hash_column: ""})
                .values_list(column, hash_column).order_by().distinct())
        for name, sha256 in rows.iterator(chunk_size=2000):
            yield model_name, name, sha256


# --- files no row names -------------------------------------------------------------------------


def referenced_names() -> set[str]:
    """Every storage name a row names: all FileFields of all models, and the text columns of
    :data:`PATH_COLUMNS`."""
    names: set[str] = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.FileField):
                names.update(model._default_manager.exclude(**{field.name: ""})
                             .values_list(field.name, flat=True).iterator(chunk_size=2000))
    for app_label, model_name, column in PATH_COLUMNS:
        model = apps.get_model(app_label, model_name)
        names.update(model._default_manager.values_list(column, flat=True)
                     .iterator(chunk_size=2000))
    names.discard("")
    return names


def stored_names(folders: tuple[str, ...] = MANAGED_FOLDERS) -> Iterator[str]:
    """The names of every file under ``folders`` in the default storage."""
    for folder in folders:
        yield from _walk(folder)


def _walk(folder: str) -> Iterator[str]:
    try:
        subfolders, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{folder}/{name}"
    for sub in subfolders:
        yield from _walk(f"{folder}/{sub}")


def sweep_orphans(grace: timedelta = ORPHAN_GRACE, now: datetime | None = None,
                  dry_run: bool = False) -> list[str]:
    """Delete the stored files no row names that were written more than ``grace`` ago; the
    names deleted (or, with ``dry_run``, that would be). The referenced names are read after the
    listing, so a file whose row commits in between is seen as referenced."""
    cutoff = (now or timezone.now()) - grace
    candidates = list(stored_names())
    referenced = referenced_names()
    removed = []
    for name in candidates:
        if name in referenced:
            continue
        try:
            modified = default_storage.get_modified_time(name)
        except FileNotFoundError:
            continue
        if timezone.is_naive(modified):
            modified = timezone.make_aware(modified)
        if modified > cutoff:
            continue
        if not dry_run:
            default_storage.delete(name)
        removed.append(name)
    if removed:
        log.warning("%s %d orphan file(s) older than %s", "found" if dry_run else "deleted",
                    len(removed), grace)
    return removed


# The embedded default's file storage: Django's, except that a write that fails half-way (a full
# disk, ENOSPC) removes what it wrote, so no partial file remains (issue #20: a full disk left a
# half-written file and empty ones). The error still reaches the caller, who tells the user
# (``dossiers.submission.attach``) or fails the job (``results.stamping``).
class LocalStorage(FileSystemStorage):
    def _save(self, name, content):
        path = self.path(name)
        existed = os.path.lexists(path)
        try:
            return super()._save(name, content)
        except OSError:
            # Only a file this write created: an existing one of the same name is another's
            # (Django then writes under another name, which a random token makes unlikely).
            if not existed:
                with contextlib.suppress(OSError):
                    os.remove(path)
            raise
