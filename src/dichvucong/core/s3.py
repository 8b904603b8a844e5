"""The platform's files on S3-compatible object storage (django-storages), with an outage
named: a server that cannot be reached, times out or answers 5xx raises
:class:`~dichvucong.core.storage.StorageUnavailable` from every storage call, so the callers
tell it from a missing or refused file (issue #20: with the S3 server stopped, uploads and
downloads answered 500). The client's timeouts and retries are short (settings.s3_storage), so
an outage shows within seconds. An upload then answers 503 with the form kept, a download 503,
``/healthz/ready`` storage down, and a signing run puts its result back in the queue for the
sweeper."""

from __future__ import annotations

import functools

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError
from storages.backends.s3 import S3Storage as _S3Storage

from .storage import StorageUnavailable


def is_outage(exc: BaseException) -> bool:
    """The server unreachable, timing out or failing (5xx), not a missing or refused object."""
    if isinstance(exc, (BotoConnectionError, HTTPClientError)):
        return True
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return int(status) >= 500
    return False


def _named_outage(method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:
            if is_outage(exc):
                raise StorageUnavailable(str(exc)) from exc
            raise
    return wrapper


class S3Storage(_S3Storage):
    """django-storages' S3 storage whose outages raise StorageUnavailable."""

    def _open(self, name, mode="rb"):
        opened = super()._open(name, mode)
        if "w" not in mode:
            opened.file  # noqa: B018 - fetched here, so an outage mid-read is named too
        return opened


for _name in ("_open", "_save", "delete", "exists", "listdir", "size", "get_modified_time",
              "get_created_time"):
    # Looked up on the subclass: its own _open is the one wrapped.
    setattr(S3Storage, _name, _named_outage(getattr(S3Storage, _name)))
