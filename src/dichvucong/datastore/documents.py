"""The store's rules, plain Python: what a document type is, which stored document can stand in
for a required document, how long a share link lives and what its secret looks like.

A document type is a name as people write it ("Giấy xác nhận tình trạng hôn nhân"): the name of
the requirement an upload was made for, or the document type of a result. Two names are the same
type when they are equal after Unicode normalisation, case folding and spacing. A requirement
accepts its own type and the types its definition lists in ``store_document_types``.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.utils.translation import gettext_lazy as _

from dichvucong.core.text import NAME_MAX

SUPPLEMENT_PREFIX = "Bổ sung: "

# Durations a citizen can choose for a share link: key → (hours, label).
SHARE_DURATIONS: dict[str, tuple[int, str]] = {
    "1h": (1, _("1 giờ")),
    "1d": (24, _("1 ngày")),
    "7d": (24 * 7, _("7 ngày")),
    "30d": (24 * 30, _("30 ngày")),
}
DEFAULT_DURATION = "1d"
COUNTER_MINUTES = 15  # how long an officer may look after one scan of the citizen's QR


def type_key(name: str) -> str:
    """The normalised form two document type names are compared in."""
    text = unicodedata.normalize("NFC", name or "")
    text = " ".join(text.split()).casefold()
    return text.rstrip(" .;:")[:NAME_MAX]


# What a result's ``document_type`` says when it names the kind of copy, not the paper: «Bản
# chính» under a Giấy khai sinh's title is not a document type (two different papers would be
# one type, and neither would stand in for a requirement by its name).
COPY_KINDS = {"bản chính", "bản sao", "bản sao điện tử", "bản điện tử", "bản chính điện tử",
              "bản sao có chứng thực", "bản sao từ sổ gốc", "bản gốc"}


def type_of_result(document_type: str, title: str) -> str:
    """The document type a result is stored under: its ``document_type`` unless that only names
    the kind of copy, else its title."""
    if document_type and type_key(document_type) not in COPY_KINDS:
        return document_type
    return title


def type_of_requirement(requirement: str) -> str:
    """The document type of a file attached for ``requirement``; a supplement answers the
    item it was asked for."""
    name = " ".join((requirement or "").split())
    if name.startswith(SUPPLEMENT_PREFIX):
        name = name[len(SUPPLEMENT_PREFIX):]
    return name


def accepted_keys(requirement_name: str, store_document_types: Iterable[str] = ()) -> set[str]:
    """The type keys a stored document may have to stand in for a required document."""
    keys = {type_key(requirement_name)}
    keys |= {type_key(t) for t in store_document_types if t.strip()}
    return keys - {""}


def can_stand_in(stored_type: str, requirement_name: str,
                 store_document_types: Iterable[str] = ()) -> bool:
    return type_key(stored_type) in accepted_keys(requirement_name, store_document_types)


def share_expiry(choice: str, now: datetime) -> datetime:
    """When a link made now for ``choice`` ends. Raises KeyError for an unknown choice."""
    hours, _label = SHARE_DURATIONS[choice]
    return now + timedelta(hours=hours)


def new_secret() -> str:
    """256 random bits, URL-safe: the part of a share link that grants access."""
    return secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii", "replace")).hexdigest()
