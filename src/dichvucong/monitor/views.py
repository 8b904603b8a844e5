"""The monitoring centre's pages: city overview, agency view, drill-down, reports, and the public
transparency page. Thin: each reads ``metrics`` and hands the template numbers with their
drill-down links (every number on a dashboard is a link to the dossiers it counts)."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from dichvucong.adminunits import queries as units
from dichvucong.agencies.models import Agency
from dichvucong.backoffice.timing import duration, hold_lines, minutes_per_day
from dichvucong.core.pagecache import public_page
from dichvucong.core.text import vietnamese_key
from dichvucong.dossiers.clock import calendar_for
from dichvucong.dossiers.exchange import ledger_of
from dichvucong.dossiers.models import Dossier
from dichvucong.feedback import services as feedback
from dichvucong.monitor import access, charts, metrics, reports, transparency, wards
from dichvucong.monitor.metrics import Figures, Scope
from dichvucong.monitor.models import DossierFact
from dichvucong.nationalsync import intake
from dichvucong.pipeline.worker import caught_up_to
from dichvucong.workflow.ledger import US_PER_MINUTE

PAGE_SIZE = 50


# --- the period and filters of a request --------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    preset: str


def presets(today: dt.date) -> dict[str, tuple[dt.date, dt.date, str]]:
    monday = today - dt.timedelta(days=today.weekday())
    first = today.replace(day=1)
    last_month_end = first - dt.timedelta(days=1)
    return {
        "week": (monday, today, _("Tuần này")),
        "last-week": (monday - dt.timedelta(days=7), monday - dt.timedelta(days=1),
                      _("Tuần trước")),
        "month": (first, today, _("Tháng này")),
        "last-month": (last_month_end.replace(day=1), last_month_end, _("Tháng trước")),
        "year": (today.replace(month=1, day=1), today, _("Năm nay")),
    }


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def read_period(request: HttpRequest, default: str = "month") -> Period:
    today = timezone.localdate()
    options = presets(today)
    start, end = _date(request.GET.get("start")), _date(request.GET.get("end"))
    if start and end and start <= end:
        return Period(start, end, "")
    preset = request.GET.get("period") or default
    if preset not in options:
        preset = default
    start, end, _label = options[preset]
    return Period(start, end, preset)


def read_scope(request: HttpRequest, viewer: access.Viewer, *, agency_id: int | None = None
               ) -> Scope:
    period = read_period(request)
    agency = agency_id if agency_id is not None else _int(request.GET.get("agency"))
    agencies = viewer.limit((agency,) if agency is not None else None)
    channel = request.GET.get("channel") or None
    return Scope(period.start, period.end, agency_ids=agencies,
                 procedure_id=_int(request.GET.get("procedure")),
                 field_id=_int(request.GET.get("field")), ward_id=_int(request.GET.get("ward")),
                 channel=channel if channel in metrics.CHANNELS else None)


def scope_params(scope: Scope) -> dict[str, Any]:
    params: dict[str, Any] = {"start": scope.start.isoformat(), "end": scope.end.isoformat()}
    if scope.agency_ids is not None and len(scope.agency_ids) == 1:
        params["agency"] = scope.agency_ids[0]
    for name, key in (("procedure_id", "procedure"), ("field_id", "field"),
                      ("ward_id", "ward"), ("channel", "channel")):
        if getattr(scope, name) is not None:
            params[key] = getattr(scope, name)
    return params


def _pair(key: str, value: Any) -> str:
    """``key=value`` as ``urlencode`` writes it."""
    return f"{quote_plus(str(key))}={quote_plus(str(value))}"


@functools.lru_cache(maxsize=256)
def _scope_pairs(scope: Scope) -> dict[str, str]:
    return {key: _pair(key, value) for key, value in scope_params(scope).items()}


@functools.lru_cache(maxsize=16)
def _dossiers_path(prefix: str, urlconf: Any) -> str:
    # ``prefix`` and ``urlconf``: what ``reverse`` reads besides its arguments, as the cache's key.
    return reverse("monitor:dossiers")


def drill_url(scope: Scope, measure: str, **changes: Any) -> str:
    """The drill-down list behind a number: the scope's parameters, ``changes`` over them. A
    dashboard has hundreds of numbers (the city's ranking: three per agency), so the scope's
    part and the path are encoded once (urlencode and reverse were 60 ms of the city's page)."""
    pairs = dict(_scope_pairs(scope))
    pairs.update({k: _pair(k, v) for k, v in changes.items() if v is not None})
    pairs["measure"] = _pair("measure", measure)
    path = _dossiers_path(get_script_prefix(), get_urlconf())
    return f"{path}?{'&'.join(pairs.values())}"


# --- numbers with links -------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}".replace(".", ",") + " %"


def _count(scope: Scope, measure: str, value: int, **changes: Any) -> dict[str, Any]:
    return {"value": value, "href": drill_url(scope, measure, **changes)}


def headline(scope: Scope, figs: Figures) -> list[dict[str, Any]]:
    """The headline tiles: a label, a main text and the counts behind it, each a link."""
    return [
        {"label": _("Hồ sơ tiếp nhận"), "counts": [_count(scope, "received", figs.received)],
         "channels": [{"label": label, **_count(scope, "received", figs.by_channel.get(key, 0),
                                               channel=key)}
                      for key, label in charts.CHANNEL_LABELS().items()]},
        {"label": _("Tỷ lệ nộp trực tuyến"), "main": _pct(figs.online_rate),
         "counts": [_count(scope, "online_received", figs.online_received),
                    _count(scope, "received", figs.received)]},
        {"label": _("Đã giải quyết"), "counts": [_count(scope, "resolved", figs.resolved)]},
        {"label": _("Đúng hạn"), "main": _pct(figs.on_time_rate),
         "counts": [_count(scope, "on_time", figs.on_time),
                    _count(scope, "resolved", figs.resolved)]},
        {"label": _("Trễ hạn"), "counts": [_count(scope, "late", figs.late)]},
        {"label": _("Đang giải quyết (hiện tại)"), "counts": [_count(scope, "open", figs.open)]},
        {"label": _("Quá hạn (hiện tại)"), "counts": [_count(scope, "overdue", figs.overdue)],
         "alert": figs.overdue > 0},
        {"label": _("Thời gian giải quyết trung bình"),
         "main": ("—" if figs.avg_processing_days is None else
                  _("%(days)s ngày làm việc") % {
                      "days": f"{figs.avg_processing_days:.2f}".replace(".", ",")}),
         "counts": [_count(scope, "resolved", figs.resolved)]},
        {"label": _("Thanh toán trực tuyến"), "main": _pct(figs.paid_online_rate),
         "counts": [_count(scope, "paid_online", figs.paid_online),
                    _count(scope, "fee_bearing", figs.fee_bearing)]},
        {"label": _("Kết quả điện tử"), "main": _pct(figs.digital_result_rate),
         "counts": [_count(scope, "digital_result", figs.digital_result),
                    _count(scope, "with_result", figs.with_result)]},
        {"label": _("Mức độ hài lòng"), "main": _pct(figs.satisfaction_rate),
         "counts": [_count(scope, "not_satisfied", figs.not_satisfied),
                    _count(scope, "rateable", figs.rateable)],
         "note": _("không hài lòng / hồ sơ kết thúc")},
    ]


def ranking(scope: Scope, rows: list[metrics.Row]) -> list[dict[str, Any]]:
    """The agencies by on-time rate, then online rate (the city's first two weekly targets);
    Decision 766's points are on each agency's page."""
    out = []
    for row in rows:
        figs = row.figures
        out.append({
            "agency_id": row.key, "label": row.label,
            "href": reverse("monitor:agency", args=[row.key]) + "?" + urlencode(
                {"start": scope.start.isoformat(), "end": scope.end.isoformat()}),
            "on_time": figs.on_time_rate, "online": figs.online_rate,
            "received": _count(scope, "received", figs.received, agency=row.key),
            "online_rate": _pct(figs.online_rate),
            "on_time_rate": _pct(figs.on_time_rate),
            "late": _count(scope, "late", figs.late, agency=row.key),
            "overdue": _count(scope, "overdue", figs.overdue, agency=row.key),
            "paid_online_rate": _pct(figs.paid_online_rate),
            "misses": metrics.misses(figs),
        })
    out.sort(key=lambda r: (r["on_time"] is None, -(r["on_time"] or 0), -(r["online"] or 0),
                            vietnamese_key(r["label"])))
    for position, r in enumerate(out, start=1):
        r["rank"] = position
    return out


def sync_context(scope: Scope, figs: Figures, now: dt.datetime) -> dict[str, Any]:
    """The national portal sync panel (``_sync.html``)."""
    sync = metrics.sync_rate(scope, figs.received)
    age = sync.oldest_age(now)
    return {"sync": sync, "sync_rate": _pct(sync.rate),
            "sync_oldest": timesince(now - age, now) if age is not None else "",
            "intake": intake.health(now)}


def feedback_context(scope: Scope, now: dt.datetime) -> dict[str, Any]:
    """The feedback panel (``_feedback.html``): received in the period, answered on time, late."""
    return {"feedback": feedback.counts(scope.start, scope.end, scope.agency_ids, now)}


def _common(request: HttpRequest, scope: Scope, default: str = "month") -> dict[str, Any]:
    today = timezone.localdate()
    period = read_period(request, default)
    # The facts are derived by the pipeline's worker: say up to when they hold every change.
    owed = caught_up_to("facts")
    return {
        "facts_as_of": owed or timezone.now(), "facts_behind": owed is not None,
        "scope": scope, "period": period,
        "presets": [{"key": k, "label": v[2], "current": k == period.preset}
                    for k, v in presets(today).items()],
        "target_labels": charts.TARGET_LABELS(),
    }


def _viewer_or_403(request: HttpRequest) -> access.Viewer:
    viewer = access.viewer(request.user)
    if not viewer.anything:
        raise PermissionDenied
    return viewer


# --- pages --------------------------------------------------------------------------------------


@login_required
@require_GET
def city(request: HttpRequest) -> HttpResponse:
    viewer = _viewer_or_403(request)
    if not viewer.city:
        if len(viewer.agency_ids) == 1:
            return redirect("monitor:agency", next(iter(viewer.agency_ids)))
        scope_agencies = viewer.limit(None)
    else:
        scope_agencies = None
    scope = read_scope(request, viewer)
    if scope_agencies is not None and scope.agency_ids is None:
        scope = metrics.with_scope(scope, agency_ids=scope_agencies)
    now = timezone.now()
    rows = metrics.breakdown(scope, "agency", now)
    figs = metrics.total(rows)
    points = metrics.trend(scope, "month" if (scope.end - scope.start).days > 92 else "week")
    week = metrics.weekly_targets(timezone.localdate(), agency_ids=scope.agency_ids, now=now)
    return render(request, "monitor/city.html", {
        **_common(request, scope), "figures": figs, "tiles": headline(scope, figs),
        "ranking": ranking(scope, rows), **sync_context(scope, figs, now),
        **feedback_context(scope, now),
        "trend": charts.trend_chart(points), "week": week,
        "week_misses": [{"agency_id": u.agency_id, "agency": u.agency,
                         "misses": [charts.TARGET_LABELS()[m] for m in u.misses]}
                        for u in week.units],
    })


@login_required
@require_GET
def agency(request: HttpRequest, agency_id: int) -> HttpResponse:
    viewer = _viewer_or_403(request)
    if not viewer.may_see(agency_id):
        raise PermissionDenied
    agency_obj = get_object_or_404(Agency, pk=agency_id)
    scope = read_scope(request, viewer, agency_id=agency_id)
    now = timezone.now()
    figs = metrics.figures(scope, now)
    index = metrics.national_index(scope, now)
    procedures = metrics.breakdown(scope, "procedure", now)[:30]
    fields = metrics.breakdown(scope, "field", now)
    points = metrics.trend(scope, "month" if (scope.end - scope.start).days > 92 else "week")
    report_params = urlencode({"start": scope.start.isoformat(), "end": scope.end.isoformat()})

    def table(rows: list[metrics.Row], dimension: str) -> list[dict[str, Any]]:
        return [{"label": r.label,
                 "received": _count(scope, "received", r.figures.received,
                                    **{dimension: r.key}),
                 "resolved": _count(scope, "resolved", r.figures.resolved,
                                    **{dimension: r.key}),
                 "on_time": _count(scope, "on_time", r.figures.on_time, **{dimension: r.key}),
                 "late": _count(scope, "late", r.figures.late, **{dimension: r.key}),
                 "overdue": _count(scope, "overdue", r.figures.overdue, **{dimension: r.key}),
                 "on_time_rate": _pct(r.figures.on_time_rate),
                 "online_rate": _pct(r.figures.online_rate)} for r in rows]

    return render(request, "monitor/agency.html", {
        **_common(request, scope), "agency": agency_obj, "figures": figs,
        "tiles": headline(scope, figs), "index": index, "groups": index.groups(),
        **sync_context(scope, figs, now), **feedback_context(scope, now),
        "procedures": table(procedures, "procedure"), "fields": table(fields, "field"),
        "trend": charts.trend_chart(points), "city_view": viewer.city,
        "xlsx": reverse("monitor:report", args=[agency_id, "xlsx"]) + "?" + report_params,
        "pdf": reverse("monitor:report", args=[agency_id, "pdf"]) + "?" + report_params,
    })


@login_required
@require_GET
def dossiers(request: HttpRequest) -> HttpResponse:
    """The dossiers behind a number, newest first, 50 a page, paged by key (no OFFSET, no
    COUNT: the number comes from the facts)."""
    viewer = _viewer_or_403(request)
    measure = request.GET.get("measure", "")
    if measure not in metrics.DRILLABLE:
        raise Http404
    scope = read_scope(request, viewer)
    if scope.agency_ids is not None and not scope.agency_ids:
        raise PermissionDenied
    now = timezone.now()
    before = request.GET.get("before")
    drilled = metrics.drilldown_page(scope, measure, now, after=before, size=PAGE_SIZE)
    page = drilled.dossiers
    facts = {f.dossier_id: f for f in DossierFact.objects.filter(
        dossier_id__in=[d.pk for d in page])}
    figs = metrics.figures(scope, now)
    total = figs.online_received if measure == "online_received" else getattr(figs, measure)
    params = {**scope_params(scope), "measure": measure}
    next_url = (f"{reverse('monitor:dossiers')}?{urlencode({**params, 'before': drilled.next_key})}"
                if drilled.next_key else None)
    return render(request, "monitor/dossiers.html", {
        **_common(request, scope), "measure": measure,
        "measure_label": charts.MEASURE_LABELS().get(measure, measure), "total": total,
        "rows": [{"dossier": d, "fact": facts.get(d.pk)} for d in page],
        "next_url": next_url, "first_page": before is None,
        "first_url": f"{reverse('monitor:dossiers')}?{urlencode(params)}",
        "agency_name": (Agency.objects.filter(pk=scope.agency_ids[0]).values_list(
            "name", flat=True).first() if scope.agency_ids and len(scope.agency_ids) == 1
            else None),
    })


@login_required
@require_GET
def dossier_ledger(request: HttpRequest, code: str) -> HttpResponse:
    """One dossier's clock ledger: the working time each agency and each step held it, against
    its share of the limit (``dossiers/exchange.py:ledger_of``). For whoever may see the figures
    of an agency that held it; no personal data."""
    viewer = _viewer_or_403(request)
    dossier = get_object_or_404(Dossier.objects.select_related(
        "procedure", "procedure_version", "agency"), code=code)
    handovers = list(dossier.handovers.select_related("to_agency"))
    if not any(viewer.may_see(a) for a in {dossier.agency_id,
                                           *(h.to_agency_id for h in handovers)}):
        raise Http404
    now = timezone.now()
    book = ledger_of(dossier, list(dossier.events.all()), handovers, now)
    per_day = minutes_per_day(calendar_for(now, dossier.agency_id))
    names = dict(Agency.objects.filter(code__in={h.agency for h in book.agencies} if book
                                       else ()).values_list("code", "name"))

    return render(request, "monitor/ledger.html", {
        "dossier": dossier, "book": book,
        "agencies": hold_lines(book.agencies, per_day, names) if book else [],
        "steps": hold_lines(book.steps, per_day, names) if book else [],
        "total": duration(book.total_minutes, per_day) if book else "",
        "stopped": duration(book.stopped_us // US_PER_MINUTE, per_day) if book else "",
    })


@login_required
@require_GET
def report(request: HttpRequest, agency_id: int, fmt: str) -> HttpResponse:
    viewer = _viewer_or_403(request)
    if not viewer.may_see(agency_id):
        raise PermissionDenied
    agency_obj = get_object_or_404(Agency, pk=agency_id)
    scope = read_scope(request, viewer, agency_id=agency_id)
    data = reports.collect(agency_obj, scope)
    name = f"bao-cao-{agency_obj.slug}-{scope.start:%Y%m%d}-{scope.end:%Y%m%d}"
    if fmt == "xlsx":
        body, content_type = reports.xlsx(data), reports.XLSX
    elif fmt == "pdf":
        body, content_type = reports.pdf(data), "application/pdf"
    else:
        raise Http404
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@login_required
@require_GET
def ward_indicators(request: HttpRequest) -> HttpResponse:
    """The wards' digital-transformation indicators of one month (``monitor/wards.py``): every
    ward for the city's viewers, a ward's own for its agencies' heads and controllers."""
    viewer = _viewer_or_403(request)
    visible = None if viewer.city else sorted(wards.wards_of(tuple(viewer.agency_ids)))
    if visible == []:
        raise PermissionDenied
    today = timezone.localdate()
    months = []
    year, month = today.year, today.month
    for _i in range(24):
        months.append((f"{year:04d}-{month:02d}", f"{month:02d}/{year:04d}"))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    chosen = request.GET.get("month", "")
    if chosen not in dict(months):
        chosen = months[0][0]
    year, month = (int(part) for part in chosen.split("-"))
    rows = wards.ward_indicators(year, month, visible)
    return render(request, "monitor/wards.html", {
        "months": months, "chosen": chosen, "city_view": viewer.city,
        "rows": [{"ward": w, "online_rate": _pct(w.figures.online_rate),
                  "paid_online_rate": _pct(w.figures.paid_online_rate),
                  "digital_result_rate": _pct(w.figures.digital_result_rate),
                  "on_time_rate": _pct(w.figures.on_time_rate),
                  "reuse_rate": _pct(w.reuse_rate),
                  "feedback_on_time_rate": _pct(w.feedback_on_time_rate)} for w in rows],
        "not_computable": wards.NOT_COMPUTABLE,
    })


@require_GET
# Derived from the dossiers, not invalidated by a change: the figures are kept a minute.
@public_page(None, timeout=60,
             params=("period", "start", "end", "cap", "xa", "q", "trang"))
def public(request: HttpRequest) -> HttpResponse:
    """Each agency's on-time and online rates, for anyone; no dossier, no personal data. Found
    by level, ward or name and shown a page at a time (transparency.py)."""
    # The year so far by default: a month just begun says little to the public.
    period = read_period(request, "year")
    scope = Scope(period.start, period.end)
    rows = [r for r in metrics.breakdown(scope, "agency") if r.figures.received
            or r.figures.resolved]
    places = {pk: transparency.Place(level, ward) for pk, level, ward in Agency.objects.filter(
        pk__in=[r.key for r in rows]).values_list("pk", "level", "administrative_unit__code")}
    wards = units.communes_of(str(settings.PROVINCE_CODE))
    chosen = transparency.Filter.read(request.GET, [code for code, _ in wards])
    page = Paginator(transparency.select(rows, places, chosen),
                     transparency.PAGE_SIZE).get_page(request.GET.get("trang"))
    # What the period chips, the filter form and the page links keep of each other.
    period_params = ({"period": period.preset} if period.preset else
                     {"start": period.start.isoformat(), "end": period.end.isoformat()})
    city_figs = metrics.figures(scope)
    return render(request, "monitor/public.html", {
        **_common(request, scope, "year"), "figures": city_figs,
        "rows": [{"label": r.label, "received": r.figures.received,
                  "resolved": r.figures.resolved,
                  "on_time": r.figures.on_time_rate, "online": r.figures.online_rate,
                  "on_time_text": _pct(r.figures.on_time_rate),
                  "online_text": _pct(r.figures.online_rate),
                  "on_time_bar": charts.bar(r.figures.on_time_rate),
                  "online_bar": charts.bar(r.figures.online_rate)} for r in page],
        "page": page, "filter": chosen, "wards": wards, "levels": PUBLIC_LEVELS(),
        "period_params": period_params.items(), "keep": chosen.params().items(),
        "keep_query": urlencode(chosen.params()),
        "page_query": urlencode({**period_params, **chosen.params()}),
        "on_time_text": _pct(city_figs.on_time_rate),
        "online_text": _pct(city_figs.online_rate),
    })


def PUBLIC_LEVELS() -> list[tuple[str, str]]:  # noqa: N802 - a translated constant
    return [("province", _("Cấp thành phố")), ("commune", _("Cấp xã, phường, đặc khu"))]
