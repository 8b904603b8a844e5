"""Reading results: a citizen's, an agency's, a dossier's, which dossiers have one to download,
and a result's file."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from dichvucong.accounts.models import User
from dichvucong.core import storage
from dichvucong.core.prepared import Prepared
from dichvucong.dossiers.access import OFFICIAL_ROLES, own_dossiers
from dichvucong.dossiers.models import Dossier

from .models import Result, SigningState, Status


def agency_results(user: User) -> QuerySet[Result]:
    """The results of the agencies where ``user`` is an official."""
    return Result.objects.filter(
        agency_id__in=user.memberships.filter(role__in=OFFICIAL_ROLES).values("agency_id"))


def results_of_holder(user: User) -> QuerySet[Result]:
    """A citizen's results: issued to their account, or on dossiers they filed."""
    return Result.objects.filter(
        Q(holder_account=user) | Q(dossier__in=own_dossiers(user).values("pk"))
    ).select_related("agency").order_by("-issue_date", "-id")


def _downloadable() -> QuerySet[Result]:
    """The results a citizen can download now: signed and still valid (not revoked, not
    replaced), with their file."""
    return Result.objects.filter(signing_state=SigningState.DONE,
                                 status=Status.VALID).exclude(pdf="")


def dossiers_with_result_available(dossier_ids) -> set[int]:
    """Of ``dossier_ids``, those with a signed result the citizen can download now (signed and
    still valid: not revoked, not replaced)."""
    return set(_downloadable().filter(dossier_id__in=dossier_ids)
               .values_list("dossier_id", flat=True))


def result_available_column() -> Exists:
    """``dossiers_with_result_available``'s rule as a column of a query of dossiers
    (``.annotate(result_available=…)``): the dossiers and this in one statement."""
    return Exists(_downloadable().filter(dossier_id=OuterRef("pk")))


def results_of_dossier(dossier: Dossier) -> list[Result]:
    # No replacement joined: the panels that list them do not show it (results/manage.html,
    # which does, reads its one result itself).
    return list(dossier.results.order_by("-created_at"))


# What the citizen's results panel shows (results/_citizen_panel.html) and what decides whether
# a result can be downloaded (``result_available``, ``Result.is_ready``).
CITIZEN_COLUMNS = ("dossier_id", "title", "number", "status", "token", "qr_payload",
                   "signing_state", "pdf", "created_at")


def citizen_results_of_dossier(dossier: Dossier) -> list[Result]:
    """``results_of_dossier`` with the columns the citizen's panel reads only (not the body, the
    signing's bookkeeping)."""
    return _CITIZEN_RESULTS.objects(dossier.pk)


# Composed once per connection (``core.prepared``), the dossier's id its placeholder.
_CITIZEN_RESULTS = Prepared(
    lambda: Result.objects.filter(dossier_id=-1).only(*CITIZEN_COLUMNS).order_by("-created_at"),
    -1)


def result_available(results: list[Result]) -> bool:
    """``dossiers_with_result_available``'s rule over results already read."""
    return any(r.signing_state == SigningState.DONE and r.status == Status.VALID and r.pdf
               for r in results)


def pdf_bytes(result: Result) -> bytes:
    """The signed PDF, checked against its recorded SHA-256 (raises FileNotFoundError or
    storage.CorruptFile)."""
    return storage.read_verified(result.pdf.name, result.pdf_sha256)
