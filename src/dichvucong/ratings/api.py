"""Rating endpoints of the JSON API (/api/v1/ratings…): the same rules as the page.

Authentication is the portal's session (with its CSRF token): only the dossier's own applicant
rates it or reads the rating; anyone else gets 404, as for the dossier itself.
"""

from __future__ import annotations

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.security import django_auth

from dichvucong.core.apidoc import Problem
from dichvucong.dossiers import access
from dichvucong.ratings import services
from dichvucong.ratings.indicators import INDICATORS, OVERALL_CHOICES
from dichvucong.ratings.models import Rating

router = Router(tags=["ratings"], auth=django_auth)


class LevelOut(Schema):
    value: int | str
    label: str


class RatingIndicatorOut(Schema):
    number: int
    title: str
    levels: list[LevelOut]


class QuestionnaireOut(Schema):
    indicators: list[RatingIndicatorOut]
    overall: list[LevelOut]


class RatingIn(Schema):
    indicators: list[int]  # nine scores, indicator 1 first, each 2, 1 or 0
    overall: str  # very_satisfied | satisfied | not_satisfied
    comment: str = ""


class RatingOut(Schema):
    dossier_code: str
    agency_code: str
    procedure_code: str
    indicators: list[int]
    total: int
    overall: str
    overall_label: str
    comment: str
    rated_at: datetime



def _out(rating: Rating) -> dict:
    return {
        "dossier_code": rating.dossier_code, "agency_code": rating.agency.code,
        "procedure_code": rating.procedure.code, "indicators": list(rating.answers),
        "total": rating.total, "overall": rating.overall, "overall_label": rating.overall_label,
        "comment": rating.comment, "rated_at": rating.created_at,
    }


@router.get("/indicators", response=QuestionnaireOut, auth=None,
            summary="The questions: Circular 01/2018's nine indicators and the overall rating")
def questionnaire(request):
    return {
        "indicators": [{"number": i.number, "title": i.title,
                        "levels": [{"value": p, "label": label} for p, label in i.options]}
                       for i in INDICATORS],
        "overall": [{"value": v, "label": label} for v, label in OVERALL_CHOICES],
    }


def _mine(request, code: str):
    return get_object_or_404(access.own_dossiers(request.user), code=code)


@router.get("/{code}", response={200: RatingOut, 404: Problem},
            summary="The rating of one of my dossiers")
def get_rating(request, code: str):
    dossier = _mine(request, code)
    rating = Rating.objects.select_related("agency", "procedure").filter(dossier=dossier).first()
    if rating is None:
        refusal = services.problem(dossier)
        detail = "Hồ sơ chưa được đánh giá."
        if refusal is not None:
            detail += " " + refusal.message
        return Status(404, {"detail": detail, "code": "not_rated"})
    return _out(rating)


@router.post("/{code}", response={201: RatingOut, 400: Problem, 404: Problem, 409: Problem},
             summary="Rate one of my dossiers, once, after its result")
def post_rating(request, code: str, payload: RatingIn):
    """``indicators`` holds the nine scores of Circular 01/2018/TT-VPCP in order (see
    ``/ratings/indicators``); ``overall`` is ``very_satisfied``, ``satisfied`` or
    ``not_satisfied``. 409 when the dossier has no result yet or was already rated."""
    dossier = _mine(request, code)
    refusal = services.problem(dossier)
    if refusal is not None:
        return Status(409, {"detail": refusal.message, "code": refusal.code})
    values: dict = {"overall": payload.overall, "comment": payload.comment}
    if len(payload.indicators) == len(INDICATORS):
        values.update({i.name: p for i, p in zip(INDICATORS, payload.indicators, strict=True)})
    answers, errors = services.clean(values)
    if len(payload.indicators) != len(INDICATORS):
        errors = {"indicators": [f"Cần đúng {len(INDICATORS)} điểm, theo thứ tự chỉ số 1 đến "
                                 f"{len(INDICATORS)}."],
                  **{k: [v] for k, v in errors.items() if not k.startswith("indicator_")}}
    else:
        errors = {k: [v] for k, v in errors.items()}
    if errors:
        return Status(400, {"detail": "Đánh giá chưa hợp lệ.", "code": "invalid",
                            "errors": errors})
    try:
        rating = services.rate(dossier, request.user, answers)
    except services.RatingError as exc:
        return Status(409, {"detail": exc.message, "code": exc.code})
    rating = Rating.objects.select_related("agency", "procedure").get(pk=rating.pk)
    return Status(201, _out(rating))
