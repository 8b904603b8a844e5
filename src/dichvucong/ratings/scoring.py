"""Satisfaction figures from citizens' ratings: plain functions, no database.

Per dossier (Circular 01/2018/TT-VPCP): the nine indicators add up to a score out of 18
(:func:`dossier_score`), and the dossier counts as *not satisfied* when its overall rating is
"Không hài lòng" or when there is a complaint (phản ánh, kiến nghị) about its reception, handling
or lateness.

Per agency, procedure or period (:func:`aggregate`):

* the mean of each indicator over the rated dossiers, rounded to two decimals, as the one-stop
  software's per-unit, per-quarter evaluation does (``ROUND(AVG(CAST(TraLoiN AS FLOAT)), 2)``),
  and the mean total out of 18;
* how many dossiers got each overall level;
* **Decision 766/QĐ-TTg, indicator 5.3, "Tỷ lệ hài lòng trong tiếp nhận, giải quyết TTHC"**:

      rate = (dossiers − dossiers not satisfied) ÷ dossiers × 100 %

  where *dossiers* are all the dossiers resolved within the agency's competence in the period,
  rated or not (a dossier nobody rated and nobody complained about is not "not satisfied"), and
  *not satisfied* counts each dossier once, whether it was rated "Không hài lòng", complained
  about, or both;
* the points of that ratio: the whole weight (6 of satisfaction's 18 points; the 6 + 6 + 6 split
  of ratios 5.1–5.3 is inferred, not published) at a rate of 90 % or more, proportionally below:
  ``rate × 6 ÷ 90``.

Not used: the variant of the 766 technical specification, "100 % − (late rate + rate of
dossiers with a complaint or a dislike)"; it also subtracts late dossiers, which group 2
(progress) already scores. Complaints are an input (a set of dossier codes) because feedback
(PAKN) is kept elsewhere.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from dichvucong.ratings.indicators import (
    INDICATORS,
    MAX_POINTS,
    NOT_SATISFIED,
    OVERALL_LABELS,
    POINTS,
)

__all__ = [
    "FULL_MARKS_AT",
    "RATIO_WEIGHT",
    "Aggregate",
    "DossierScore",
    "RatingLike",
    "aggregate",
    "dossier_score",
    "ratio_points",
    "satisfaction_rate",
]

FULL_MARKS_AT = 90.0  # per cent: Decision 766 gives satisfaction full points from 90 %
RATIO_WEIGHT = 6.0  # points of ratio 5.3 (of group 5's 18)


class RatingLike(Protocol):
    """What the functions read from a rating (the model has these three attributes)."""

    dossier_code: str
    answers: Sequence[int]
    overall: str


@dataclass(frozen=True)
class DossierScore:
    total: int  # 0–18
    percent: float  # total ÷ 18 × 100
    satisfied: bool  # for ratio 5.3


def _check_answers(answers: Sequence[int]) -> None:
    if len(answers) != len(INDICATORS) or any(a not in POINTS for a in answers):
        raise ValueError(f"nine scores of 2, 1 or 0 expected, got {list(answers)!r}")


def dossier_score(answers: Sequence[int], overall: str, *, complained: bool = False
                  ) -> DossierScore:
    _check_answers(answers)
    if overall not in OVERALL_LABELS:
        raise ValueError(f"unknown overall rating {overall!r}")
    total = sum(answers)
    return DossierScore(total=total, percent=round(total * 100 / MAX_POINTS, 2),
                        satisfied=overall != NOT_SATISFIED and not complained)


def satisfaction_rate(dossiers: int, not_satisfied: int) -> float | None:
    """Ratio 5.3 in per cent; None when there is no dossier to judge."""
    if dossiers <= 0:
        return None
    if not 0 <= not_satisfied <= dossiers:
        raise ValueError(f"{not_satisfied} not satisfied out of {dossiers} dossiers")
    return (dossiers - not_satisfied) * 100 / dossiers


def ratio_points(rate: float | None, *, weight: float = RATIO_WEIGHT,
                 full_at: float = FULL_MARKS_AT) -> float | None:
    if rate is None:
        return None
    return weight if rate >= full_at else rate * weight / full_at


@dataclass(frozen=True)
class Aggregate:
    dossiers: int  # the denominator of ratio 5.3
    rated: int
    indicator_means: tuple[float | None, ...]  # indicator 1 first, two decimals
    mean_total: float | None  # out of 18, two decimals
    overall_counts: dict[str, int] = field(default_factory=dict)
    not_satisfied: int = 0
    rate: float | None = None  # per cent, two decimals
    points: float | None = None  # out of RATIO_WEIGHT, two decimals


def aggregate(ratings: Iterable[RatingLike], *, dossiers: int | None = None,
              complaints: Collection[str] = (), weight: float = RATIO_WEIGHT,
              full_at: float = FULL_MARKS_AT) -> Aggregate:
    """The figures for a set of ratings.

    ``dossiers`` is how many dossiers were resolved within competence in the period (rated or
    not); without it, the rated ones are the denominator. ``complaints`` holds the codes of the
    dossiers with a complaint about their reception, handling or lateness, among those dossiers.
    """
    ratings = list(ratings)
    codes = [r.dossier_code for r in ratings]
    if len(set(codes)) != len(codes):
        raise ValueError("a dossier is counted once: two ratings share a dossier code")
    for r in ratings:
        _check_answers(r.answers)
    rated = len(ratings)
    total_dossiers = rated if dossiers is None else dossiers
    if total_dossiers < rated:
        raise ValueError(f"{rated} ratings for only {total_dossiers} dossiers")
    disliked = {r.dossier_code for r in ratings if r.overall == NOT_SATISFIED}
    not_satisfied = len(disliked | set(complaints))
    rate = satisfaction_rate(total_dossiers, not_satisfied)
    points = ratio_points(rate, weight=weight, full_at=full_at)
    if rated:
        means = tuple(round(sum(r.answers[i] for r in ratings) / rated, 2)
                      for i in range(len(INDICATORS)))
        mean_total = round(sum(sum(r.answers) for r in ratings) / rated, 2)
    else:
        means, mean_total = (None,) * len(INDICATORS), None
    counts = {value: 0 for value in OVERALL_LABELS}
    for r in ratings:
        counts[r.overall] += 1
    return Aggregate(
        dossiers=total_dossiers, rated=rated, indicator_means=means, mean_total=mean_total,
        overall_counts=counts, not_satisfied=not_satisfied,
        rate=None if rate is None else round(rate, 2),
        points=None if points is None else round(points, 2),
    )
