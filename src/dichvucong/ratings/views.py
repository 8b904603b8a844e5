"""The citizen's rating page: ``/ho-so/<code>/danh-gia/``."""

from __future__ import annotations

from collections.abc import Mapping

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dichvucong.dossiers import access, citizen_view
from dichvucong.ratings import services
from dichvucong.ratings.indicators import INDICATORS, OVERALL_CHOICES
from dichvucong.ratings.models import Rating


@login_required
@require_http_methods(["GET", "POST"])
def rate_dossier(request: HttpRequest, code: str) -> HttpResponse:
    dossier = get_object_or_404(
        access.own_dossiers(request.user).select_related("procedure", "agency"), code=code)
    rating = Rating.objects.filter(dossier=dossier).first()
    refusal = services.problem(dossier, rating)
    values: Mapping[str, str] = {}
    errors: dict[str, str] = {}
    status = 409 if refusal else 200
    if request.method == "POST" and refusal is None:
        values = request.POST
        answers, errors = services.clean(request.POST)
        if answers is None:
            status = 400
        else:
            try:
                services.rate(dossier, request.user, answers)
            except services.RatingError as exc:
                refusal, status = exc, 409
                rating = Rating.objects.filter(dossier=dossier).first()
            else:
                messages.success(request, _("Cảm ơn bạn đã đánh giá việc giải quyết hồ sơ "
                                            "%(code)s.") % {"code": dossier.code})
                return redirect("dossiers:detail", code=dossier.code)
    return render(request, "ratings/rate.html", {
        "dossier": dossier, "rating": rating, "status": citizen_view.status(dossier.state),
        "problem": refusal.message if refusal else "",
        **form_context(values, errors),
    }, status=status)


def form_context(values: Mapping[str, str], errors: dict[str, str]) -> dict:
    """The questions with what was chosen and what is wrong, and the error summary's links
    (each to the first radio button of its group, in the order of the page)."""
    questions = []
    for indicator in INDICATORS:
        chosen = values.get(indicator.name, "")
        questions.append({
            "name": indicator.name, "number": indicator.number, "title": indicator.title,
            "error": errors.get(indicator.name, ""),
            "options": [{"id": f"{indicator.name}-{points}", "value": points, "label": label,
                         "checked": chosen == str(points)}
                        for points, label in indicator.options],
        })
    overall = values.get("overall", "")
    overall_options = [{"id": f"overall-{value}", "value": value, "label": label,
                        "checked": overall == value} for value, label in OVERALL_CHOICES]
    form_errors = [(q["options"][0]["id"], q["error"]) for q in questions if q["error"]]
    if "overall" in errors:
        form_errors.append((overall_options[0]["id"], errors["overall"]))
    if "comment" in errors:
        form_errors.append(("comment", errors["comment"]))
    return {
        "questions": questions, "overall_options": overall_options,
        "overall_error": errors.get("overall", ""), "comment": values.get("comment", ""),
        "comment_error": errors.get("comment", ""), "form_errors": form_errors,
        "comment_max": services.COMMENT_MAX,
    }
