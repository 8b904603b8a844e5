"""Public download links for the files and results a sync record lists (``DuongDanTaiTepTin``,
``DuongDanTepTinKetQua``): the national portal fetches them with no account here.

A link names the file by its random token (never a name or a number of the citizen) and an
expiry, signed with the site's key (``django.core.signing``, a salt of its own): nobody can make
one up or extend it. The expiry is counted from the record's moment, not from now, so building
the same record again gives the same link and a resend is byte for byte the same.
``NATIONAL_SYNC_LINK_DAYS`` sets how long the portal has to fetch [I: the portal's own fetching
delay is not documented].
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

SALT = "dichvucong.nationalsync.file"
ATTACHMENT, RESULT = "a", "r"


def file_link(kind: str, token: str, at: datetime | None = None) -> str:
    """The absolute link to attachment (``ATTACHMENT``) or signed result (``RESULT``)
    ``token``, valid ``NATIONAL_SYNC_LINK_DAYS`` from ``at`` (default now)."""
    expires = int(((at or timezone.now()) + timedelta(days=settings.NATIONAL_SYNC_LINK_DAYS))
                  .timestamp())
    value = signing.Signer(salt=SALT).sign(f"{kind}.{token}.{expires}")
    return settings.SITE_URL + reverse("nationalsync:file", args=[value])


def read_link(value: str, now: datetime | None = None) -> tuple[str, str] | None:
    """(kind, token) of a genuine link that has not expired; None otherwise."""
    try:
        kind, token, expires = signing.Signer(salt=SALT).unsign(value).split(".")
        expired = int(expires) < (now or timezone.now()).timestamp()
    except (signing.BadSignature, ValueError):
        return None
    if expired or kind not in (ATTACHMENT, RESULT):
        return None
    return kind, token
