"""The IOC's alert list and the acknowledgement of an alert. Server-rendered, no JavaScript.

Every query is scoped by ``queries.scope_of(user)`` in the query itself: an official sees the
alerts of their agencies, an IOC operator the city's; any other alert is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dichvucong.alerts import queries, services
from dichvucong.alerts.rules import LABELS, Kind


def _scope(request: HttpRequest) -> queries.Scope:
    scope = queries.scope_of(request.user)
    if not scope.allowed:
        raise PermissionDenied(_("Trang này dành cho cán bộ và Trung tâm giám sát (IOC)."))
    return scope


STATUS_LABELS = {
    "open": _("Đang cảnh báo"),
    "unacknowledged": _("Chưa xác nhận"),
    "acknowledged": _("Đã xác nhận"),
    "cleared": _("Đã hết cảnh báo"),
}


@login_required
@require_http_methods(["GET"])
def alert_list(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    filters = queries.Filters.parse(request.GET.get("co-quan"), request.GET.get("loai"),
                                    request.GET.get("trang-thai"))
    current = queries.page(scope, filters, request.GET.get("sau", ""))
    params = request.GET.copy()
    params.pop("sau", None)
    next_url = ""
    if current.next_cursor:
        following = params.copy()
        following["sau"] = current.next_cursor
        next_url = f"?{following.urlencode()}"
    return render(request, "alerts/list.html", {
        "page": current, "filters": filters, "next_url": next_url,
        "first_url": f"?{params.urlencode()}", "first": "sau" not in request.GET,
        "agencies": queries.agencies(scope),
        "kinds": [(kind.value, LABELS[kind]) for kind in Kind],
        "statuses": [(key, STATUS_LABELS[key]) for key in queries.STATUSES],
        "linked": scope.agencies, "city": scope.city,
        "back": request.get_full_path(),
    })


@login_required
@require_http_methods(["POST"])
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    scope = _scope(request)
    alert = get_object_or_404(queries.visible(scope).select_related("dossier"), pk=pk)
    if services.acknowledge(alert, request.user):
        messages.success(request, _("Đã xác nhận cảnh báo về hồ sơ %(code)s.")
                         % {"code": alert.dossier.code})
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()},
                                           require_https=request.is_secure()):
        back = ""
    return redirect(back or "alerts:list")

