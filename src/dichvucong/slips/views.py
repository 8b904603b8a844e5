"""The slips as PDF pages: a dossier's slips for whoever may see the dossier, and an agency's
tracking register (Mẫu 07) for its officials."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.http import require_GET

from dichvucong.agencies.models import Agency
from dichvucong.dossiers import access
from dichvucong.dossiers.models import Dossier
from dichvucong.slips import data, render
from dichvucong.slips.data import available_slips  # noqa: F401 - for other pages to import

REGISTER_MAX_DAYS = 366


def visible_dossier(user, code: str) -> Dossier:
    """The dossier ``code`` if ``user`` may see it (followed, or their agency's); 404 else."""
    allowed = Q(pk__in=access.followed_dossiers(user).values("pk")) | Q(
        pk__in=access.agency_dossiers(user).values("pk"))
    dossiers = Dossier.objects.select_related(
        "agency__parent", "agency__administrative_unit", "procedure_version", "procedure")
    return get_object_or_404(dossiers.filter(allowed), code=code)


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"  # personal data
    return response


@login_required
@require_GET
def slip(request: HttpRequest, code: str, kind: str) -> HttpResponse:
    if kind not in data.DOSSIER_KINDS:
        raise Http404
    dossier = visible_dossier(request.user, code)
    try:
        content = render.render_slip(kind, dossier)
    except data.SlipNotAvailable as exc:
        raise Http404(str(exc)) from exc
    return pdf_response(content, f"{kind}-{dossier.code}.pdf")


def _date(value: str | None, default: date) -> date:
    if not value:
        return default
    return date.fromisoformat(value)  # ValueError for anything but YYYY-MM-DD


@login_required
@require_GET
def register(request: HttpRequest, agency_code: str) -> HttpResponse:
    agency = get_object_or_404(
        Agency.objects.select_related("parent", "administrative_unit"), code=agency_code)
    if not request.user.memberships.filter(agency=agency,
                                           role__in=access.OFFICIAL_ROLES).exists():
        raise Http404
    today = timezone.localdate()
    try:
        start = _date(request.GET.get("tu"), today.replace(day=1))
        end = _date(request.GET.get("den"), today)
    except ValueError:
        return HttpResponseBadRequest("Ngày phải viết theo dạng YYYY-MM-DD, ví dụ 2025-03-31.",
                                      content_type="text/plain; charset=utf-8")
    if end < start:
        return HttpResponseBadRequest("Ngày kết thúc («den») phải sau ngày bắt đầu («tu»).",
                                      content_type="text/plain; charset=utf-8")
    if end - start > timedelta(days=REGISTER_MAX_DAYS):
        return HttpResponseBadRequest("Mỗi lần in sổ theo dõi tối đa một năm.",
                                      content_type="text/plain; charset=utf-8")
    content = render.render_register(agency, start, end)
    return pdf_response(content, f"07-{agency.code}-{start:%Y%m%d}-{end:%Y%m%d}.pdf")
