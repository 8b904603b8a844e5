"""A citizen's reads of their own dossiers (their pages and ``/api/v1/dossiers``), composed by
the ORM once per database connection (``core.prepared``): composing each was 0.5–1.5 ms of CPU,
more than running it (docs/performance.md).

Who sees what stays in ``access``: each query here is built from ``access.own_dossiers`` (a
stand-in user's id its placeholder), so it keeps that rule's one indexed condition. An agent's
consented dossiers and a registered system's are read by the ORM as before (``access``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from django.db import connection
from django.db.models import Exists

from dichvucong.accounts.models import User
from dichvucong.core.prepared import Prepared
from dichvucong.dossiers import access
from dichvucong.dossiers.models import Attachment, Dossier, DossierEvent

# The placeholders: the signed-in user, a dossier's code, the last dossier of the page before,
# a dossier's id.
_USER, _CODE, _BEFORE, _DOSSIER = -101, "?", -102, -103


def _own():
    return access.own_dossiers(User(pk=_USER))


# ``result_flag``: ``results.queries.result_available_column`` (the results app is above this one,
# so its pages pass it).
ResultFlag = Callable[[], Exists]


@lru_cache(maxsize=256)  # a few shapes: the page's and the API's, its limits (1–100)
def own_values_with_result_flag(values: tuple[str, ...], limit: int, older: bool,
                                result_flag: ResultFlag) -> Prepared:
    """The user's dossiers filed (not drafts), newest first, ``limit`` of them, as rows of
    ``values``, ``result_available`` among them; ``older``: older than a given dossier (keyset
    paging). Rows, not instances: a list makes three a row otherwise (a third of its CPU)."""
    def build():
        rows = (_own().exclude(state="draft").annotate(result_available=result_flag())
                .order_by("-id").values_list(*values))
        return (rows.filter(id__lt=_BEFORE) if older else rows)[:limit]
    return Prepared(build, _USER, _BEFORE) if older else Prepared(build, _USER)


def own_rows(prepared: Prepared, user_id: int, before: int | None) -> list[tuple]:
    """``prepared`` (``own_values_with_result_flag``) for ``user_id``, older than ``before`` if
    given."""
    if before is None:
        return prepared.rows(user_id)
    # Within the column's range, as the ORM bounds a comparison with an integer out of it
    # (every dossier is older than a key past the largest; none than one below the smallest):
    # the driver refuses such a number.
    low, high = connection.ops.integer_field_range(Dossier._meta.pk.get_internal_type())
    return prepared.rows(user_id, max(low, min(high, before)))


DRAFTS = Prepared(
    lambda: _own().filter(state="draft").select_related("procedure")
    .only("updated_at", "procedure__code", "procedure__name").order_by("-updated_at")[:20], _USER)

# The dossier page's dossier: the fee and the rating (one row each or none) joined, read by the
# fee parts and the rating prompt.
PAGE_RELATED = ("procedure", "agency", "fee", "rating")
OWN_PAGE_DOSSIER = Prepared(
    lambda: _own().select_related(*PAGE_RELATED).filter(code=_CODE)[:1], _USER, _CODE)

# What the dossier page's list of papers shows (dossiers/detail.html), and the requirement that
# sets the agencies' results apart.
ATTACHMENT_COLUMNS = ("dossier_id", "requirement", "original_name", "size", "declaration")
ATTACHMENTS = Prepared(
    lambda: Attachment.objects.filter(dossier_id=_DOSSIER).only(*ATTACHMENT_COLUMNS), _DOSSIER)
EVENTS = Prepared(lambda: DossierEvent.objects.filter(dossier_id=_DOSSIER), _DOSSIER)


@lru_cache(maxsize=8)
def own_one_with_result_flag(columns: tuple[str, ...], related: tuple[str, ...],
                             result_flag: ResultFlag) -> Prepared:
    """The user's dossier by its code (drafts too, as ``access``), with ``result_available``."""
    return Prepared(lambda: _own().select_related(*related).only(*columns)
                    .annotate(result_available=result_flag())
                    .filter(code=_CODE)[:1], _USER, _CODE)
