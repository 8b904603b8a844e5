"""The embedded default's file storage: Django's, except that a write that fails half-way (a
full disk, ENOSPC) removes what it wrote, so no partial file remains (issue #20: a full disk
left a half-written file and empty ones). The error still reaches the caller, who tells the
user (``dossiers.submission.attach``) or fails the job (``results.stamping``)."""

from __future__ import annotations

import contextlib
import os

from django.core.files.storage import FileSystemStorage


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
