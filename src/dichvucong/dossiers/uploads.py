"""Checking a citizen's upload by its content, not its name. Plain Python."""

from __future__ import annotations

import os
from dataclasses import dataclass

MAX_BYTES = 10 * 1024 * 1024
# Magic numbers of the formats a dossier accepts unless the procedure allows more.
SIGNATURES = {
    "pdf": (b"%PDF-", ".pdf", "application/pdf"),
    "jpeg": (b"\xff\xd8\xff", ".jpg", "image/jpeg"),
    "png": (b"\x89PNG\r\n\x1a\n", ".png", "image/png"),
}
EXTENSIONS = {".pdf": "pdf", ".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png"}


class UploadError(ValueError):
    """The message is Vietnamese, for the citizen. ``status``: what the API and the form
    answer with it (503: the file storage is down for the moment, worth retrying)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class CheckedUpload:
    original_name: str
    extension: str
    content_type: str
    size: int
    sha256: str
    # The bytes to store when checking changed them (a photo without its metadata), else None.
    content: bytes | None = None

    @property
    def kind(self) -> str:
        return next(k for k, (_, _, content_type) in SIGNATURES.items()
                    if content_type == self.content_type)


def safe_name(name: str) -> str:
    """The file's own name without any folder a browser or a crafted request put before it."""
    base = os.path.basename(name.replace("\\", "/")).strip().lstrip(".")
    return base[:200] or "tep-dinh-kem"


def check_upload(name: str, head: bytes, size: int, digest: str = "",
                 allowed: tuple[str, ...] = ("pdf", "jpeg", "png"),
                 max_bytes: int = MAX_BYTES) -> CheckedUpload:
    """``head`` is the file's first bytes (16 are enough). Raises UploadError."""
    original = safe_name(name)
    if size == 0:
        raise UploadError(f"Tệp «{original}» rỗng, không có nội dung.")
    if size > max_bytes:
        raise UploadError(f"Tệp «{original}» lớn hơn {max_bytes // (1024 * 1024)} MB.")
    kind = next((k for k in allowed if head.startswith(SIGNATURES[k][0])), None)
    if kind is None:
        names = ", ".join(k.upper() for k in allowed)
        raise UploadError(f"Tệp «{original}» không phải {names} (đã kiểm tra nội dung tệp).")
    extension = os.path.splitext(original)[1].lower()
    if extension and EXTENSIONS.get(extension) not in (kind, None):
        raise UploadError(f"Tệp «{original}» có đuôi {extension} nhưng nội dung là "
                          f"{kind.upper()}.")
    _, ext, content_type = SIGNATURES[kind]
    return CheckedUpload(original_name=original, extension=ext, content_type=content_type,
                         size=size, sha256=digest)

