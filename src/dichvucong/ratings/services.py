"""The rules of rating a dossier, shared by the page and the API.

* Who: the dossier's own applicant (``dossiers.access.own_dossiers``; the callers look the dossier
  up there, so anyone else gets a 404).
* When: once the dossier has its outcome: the result was returned (``returned``, ``done``), or
  the agency refused to receive (``rejected``) or to resolve it (``refused``). Decision 766's
  satisfaction ratio counts those too.
* How often: once per dossier. The one-to-one column and the unique dossier code make a second
  rating impossible, also when two arrive at the same moment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Q
from django.utils import timezone

from dichvucong.dossiers import citizen_view
from dichvucong.dossiers.lifecycle import State
from dichvucong.dossiers.models import Dossier
from dichvucong.ratings import scoring
from dichvucong.ratings.indicators import INDICATORS, NOT_SATISFIED, OVERALL_LABELS, POINTS
from dichvucong.ratings.models import Rating

__all__ = [
    "COMMENT_MAX",
    "RATEABLE_STATES",
    "RatingError",
    "clean",
    "figures",
    "problem",
    "rate",
    "rating_context",
]

RATEABLE_STATES = frozenset(s.value for s in (State.returned, State.done, State.refused,
                                              State.rejected))
COMMENT_MAX = 2000


class RatingError(Exception):
    """A refused rating; ``code`` for programs (``not_yet``, ``already_rated``), ``message``
    (Vietnamese) for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _already(rating: Rating) -> RatingError:
    when = timezone.localtime(rating.created_at).strftime("%H:%M %d/%m/%Y")
    return RatingError("already_rated",
                       f"Hồ sơ {rating.dossier_code} đã được đánh giá lúc {when}. Mỗi hồ sơ chỉ "
                       "được đánh giá một lần.")


def _not_yet(dossier: Dossier) -> RatingError:
    return RatingError("not_yet",
                       f"Hồ sơ đang ở trạng thái «{citizen_view.status(dossier.state)}». "
                       "Chỉ đánh giá được sau "
                       "khi hồ sơ đã được trả kết quả, bị từ chối tiếp nhận hoặc không được giải "
                       "quyết.")


def problem(dossier: Dossier, rating: Rating | None = None) -> RatingError | None:
    """Why ``dossier`` cannot be rated now, or None. ``rating`` is its rating, if already read."""
    if rating is None:
        rating = Rating.objects.filter(dossier=dossier).first()
    if rating is not None:
        return _already(rating)
    if dossier.state not in RATEABLE_STATES:
        return _not_yet(dossier)
    return None


def _rating_of(dossier: Dossier) -> Rating | None:
    """The dossier's rating: the row joined with it when the page read it so
    (``select_related("rating")``), else read now (not through the relation, whose cache would
    keep «not rated» on an object kept while the citizen rates)."""
    if not Dossier.rating.is_cached(dossier):
        return Rating.objects.filter(dossier=dossier).first()
    try:
        return dossier.rating
    except Rating.DoesNotExist:
        return None


def rating_context(dossier: Dossier) -> dict[str, Any]:
    """What ``ratings/_prompt.html`` needs, for the dossier page's context."""
    rating = _rating_of(dossier)
    return {"rating": rating,
            "rating_allowed": rating is None and dossier.state in RATEABLE_STATES}


@dataclass(frozen=True)
class Answers:
    indicators: tuple[int, ...]
    overall: str
    comment: str


def _points(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        return None
    return value if value in POINTS else None


def clean(values: Mapping[str, Any]) -> tuple[Answers | None, dict[str, str]]:
    """Read ``indicator_1`` … ``indicator_9``, ``overall`` and ``comment``; every error at once,
    keyed by field name."""
    errors: dict[str, str] = {}
    scores = []
    for indicator in INDICATORS:
        points = _points(values.get(indicator.name))
        if points is None:
            errors[indicator.name] = (f"Cần chọn một mức điểm (2, 1 hoặc 0) cho chỉ số "
                                      f"{indicator.number}.")
        scores.append(points)
    overall = str(values.get("overall") or "")
    if overall not in OVERALL_LABELS:
        errors["overall"] = ("Cần chọn mức độ hài lòng chung: rất hài lòng, hài lòng hoặc "
                             "không hài lòng.")
    comment = str(values.get("comment") or "").strip()
    if len(comment) > COMMENT_MAX:
        errors["comment"] = f"Ý kiến khác dài tối đa {COMMENT_MAX:,} ký tự.".replace(",", ".")
    if errors:
        return None, errors
    return Answers(indicators=tuple(scores), overall=overall, comment=comment), {}


def rate(dossier: Dossier, user, answers: Answers) -> Rating:
    """Record the rating; raises RatingError if the dossier cannot be rated (now, or any more)."""
    try:
        with transaction.atomic():
            # The row lock orders two simultaneous ratings; the unique columns are the guarantee.
            locked = Dossier.objects.select_for_update().get(pk=dossier.pk)
            refusal = problem(locked)
            if refusal is not None:
                raise refusal
            return Rating.objects.create(
                dossier=locked, dossier_code=locked.code, agency_id=locked.agency_id,
                procedure_id=locked.procedure_id, dossier_state=locked.state, rated_by=user,
                overall=answers.overall, comment=answers.comment,
                **{i.name: p for i, p in zip(INDICATORS, answers.indicators, strict=True)},
            )
    except IntegrityError:
        raise _already(Rating.objects.get(dossier=dossier)) from None


def figures(*, agency=None, procedure=None, since: datetime | None = None,
            until: datetime | None = None, complaints: frozenset[str] = frozenset()
            ) -> scoring.Aggregate:
    """The monitoring centre's satisfaction figures for the dossiers an agency (and/or a
    procedure) finished in ``[since, until)``: the same figures as :func:`scoring.aggregate`,
    computed by the database. The denominator is every such dossier, rated or not."""
    dossiers = Dossier.objects.filter(state__in=RATEABLE_STATES)
    if agency is not None:
        dossiers = dossiers.filter(agency=agency)
    if procedure is not None:
        dossiers = dossiers.filter(procedure=procedure)
    if since is not None:
        dossiers = dossiers.filter(finished_at__gte=since)
    if until is not None:
        dossiers = dossiers.filter(finished_at__lt=until)
    total = dossiers.count()
    ratings = Rating.objects.filter(dossier__in=dossiers.values("pk"))
    sums = ratings.aggregate(
        rated=Count("pk"),
        **{i.name: Avg(i.name) for i in INDICATORS},
        **{f"overall_{value}": Count("pk", filter=Q(overall=value)) for value in OVERALL_LABELS},
    )
    # Each dossier once, whether rated "không hài lòng", complained about, or both.
    not_satisfied = dossiers.filter(Q(rating__overall=NOT_SATISFIED)
                                    | Q(code__in=complaints)).count()
    rate_ = scoring.satisfaction_rate(total, not_satisfied)
    points = scoring.ratio_points(rate_)
    means = tuple(None if sums[i.name] is None else round(float(sums[i.name]), 2)
                  for i in INDICATORS)
    mean_total = (None if sums["rated"] == 0
                  else round(sum(float(sums[i.name]) for i in INDICATORS), 2))
    return scoring.Aggregate(
        dossiers=total, rated=sums["rated"], indicator_means=means, mean_total=mean_total,
        overall_counts={value: sums[f"overall_{value}"] for value in OVERALL_LABELS},
        not_satisfied=not_satisfied,
        rate=None if rate_ is None else round(rate_, 2),
        points=None if points is None else round(points, 2),
    )
