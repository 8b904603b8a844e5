"""The IOC's pages of the assisted channels: per ward and month, the community digital teams,
service agents and post offices, what they did, and the share of the ward's online dossiers
filed for citizens; one ward's register. Who may see them is the IOC's rule
(``monitor/access.py``): the city's viewers every ward, an agency's viewers the wards of their
commune-level agencies. The counts are ``counts.py``'s."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from dichvucong.adminunits.models import AdministrativeUnit
from dichvucong.agencies.models import Agency
from dichvucong.assisted import counts
from dichvucong.assisted.models import Member
from dichvucong.core.text import sorted_vietnamese
from dichvucong.monitor import access, metrics
from dichvucong.monitor.models import ChannelBucket


def _wards_of(viewer: access.Viewer) -> list[tuple[int, str]]:
    """``(id, name)`` of the wards the viewer may see, in Vietnamese order."""
    units = AdministrativeUnit.objects.filter(level=AdministrativeUnit.Level.COMMUNE,
                                              parent__code=str(settings.PROVINCE_CODE))
    if not viewer.city:
        units = units.filter(pk__in=Agency.objects.filter(
            pk__in=viewer.agency_ids, level=Agency.Level.COMMUNE
        ).values("administrative_unit_id"))
    return sorted_vietnamese(units.values_list("pk", "name"), lambda row: row[1])


def _visible(request: HttpRequest) -> tuple[access.Viewer, list[tuple[int, str]]]:
    viewer = access.viewer(request.user)
    wards = _wards_of(viewer) if viewer.anything else []
    if not wards:
        raise PermissionDenied
    return viewer, wards


def _online(viewer: access.Viewer, month: counts.Month) -> dict[int, tuple[int, int]]:
    """Per ward: online dossiers received by its agencies in the month, and of them the ones
    filed for the citizen by someone else (the monitoring facts' ``agent`` bucket)."""
    scope = metrics.Scope(month.first, month.last, agency_ids=viewer.limit(None))
    return {row.key: (row.figures.online_received,
                      row.figures.by_channel.get(ChannelBucket.AGENT.value, 0))
            for row in metrics.breakdown(scope, "ward")}


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}".replace(".", ",") + " %"


def _months(month: counts.Month) -> dict[str, Any]:
    previous = counts.Month.of(month.first - dt.timedelta(days=1))
    following = counts.Month.of(month.last + dt.timedelta(days=1))
    today = timezone.localdate()
    return {"month": month, "previous": previous,
            "following": following if following.first <= today else None}


@login_required
@require_GET
def wards(request: HttpRequest) -> HttpResponse:
    viewer, visible = _visible(request)
    month = counts.parse_month(request.GET.get("thang"), timezone.localdate())
    rows = counts.ward_months(month, [pk for pk, _name in visible], _online(viewer, month))
    city = counts.total(rows, _("Toàn thành phố") if viewer.city else _("Cộng"))
    return render(request, "assisted/wards.html", {
        **_months(month), "rows": [(row, _pct(row.share)) for row in rows],
        "city": city, "city_share": _pct(city.share),
    })


@login_required
@require_GET
def ward(request: HttpRequest, ward_id: int) -> HttpResponse:
    _viewer, visible = _visible(request)
    names = dict(visible)
    if ward_id not in names:
        # Not one of the viewer's wards: the same answer whether it exists or not.
        raise Http404
    month = counts.parse_month(request.GET.get("thang"), timezone.localdate())
    teams, points = counts.register(ward_id, month)
    roles = (Member.Role.LEADER, Member.Role.DEPUTY, Member.Role.MEMBER)
    return render(request, "assisted/ward.html", {
        **_months(month), "ward_id": ward_id, "ward": names[ward_id],
        "roles": [r.label for r in roles],
        "teams": [(team, [(r.label, team.roles[r.value]) for r in roles]) for team in teams],
        "points": points, "events": counts.events_of(ward_id, month),
    })
