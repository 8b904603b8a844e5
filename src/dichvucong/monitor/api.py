"""The monitoring figures as JSON, under /api/v1/monitor/. The same numbers as the dashboards
(``metrics``); the same rules of who sees what (``access``): the city's figures for IOC
operators, an agency's for its head, controller and leaders; ``/public`` for anyone."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.security import django_auth

from dichvucong.apiclients.auth import OAuth2, system_call
from dichvucong.apiclients.scopes import MONITOR_READ
from dichvucong.core.apidoc import IsoDate
from dichvucong.core.text import vietnamese_key
from dichvucong.monitor import access, metrics
from dichvucong.monitor.metrics import Scope

router = Router(tags=["monitor"])
AUTH = [OAuth2(MONITOR_READ), django_auth]
# The document lists the choices, so that a request naming another is refused by validation.
By = Literal[tuple(metrics.BY)]
Channel = Literal[metrics.CHANNELS]


class FiguresOut(Schema):
    start: dt.date
    end: dt.date
    received: int
    by_channel: dict[str, int]
    online_received: int
    online_rate: float | None
    resolved: int
    on_time: int
    late: int
    on_time_rate: float | None
    late_rate: float | None
    open: int
    overdue: int
    processing_days: int
    avg_processing_days: float | None
    fee_bearing: int
    paid_online: int
    paid_online_rate: float | None
    with_result: int
    digital_result: int
    digital_result_rate: float | None
    stopped: int
    withdrawn: int
    rateable: int
    rated: int
    not_satisfied: int
    satisfaction_rate: float | None


class RowOut(Schema):
    key: int | str
    label: str
    figures: FiguresOut


class IndexIndicatorOut(Schema):
    code: str
    group: int
    group_name: str
    name: str
    numerator: int | None
    denominator: int | None
    value: float | None
    points: float | None
    max_points: float | None
    rule: str
    target: float | None
    source: str


class IndexOut(Schema):
    on: dt.date
    total: float
    measured_max: float
    indicators: list[IndexIndicatorOut]


class PublicRowOut(Schema):
    agency: str
    received: int
    resolved: int
    on_time_rate: float | None
    online_rate: float | None


class PublicOut(Schema):
    start: dt.date
    end: dt.date
    on_time_rate: float | None
    online_rate: float | None
    agencies: list[PublicRowOut]


def _scope(request: HttpRequest, start: dt.date | None, end: dt.date | None,
           agency: int | None, procedure: int | None, field: int | None, ward: int | None,
           channel: str | None) -> Scope:
    call = system_call(request)
    viewer = access.system_viewer(call.agency_id) if call else access.viewer(request.user)
    if not viewer.anything:
        raise HttpError(403, "Bạn không có quyền xem số liệu giám sát.")
    if agency is not None and not viewer.may_see(agency):
        raise HttpError(403, "Bạn không có quyền xem số liệu của cơ quan này.")
    today = timezone.localdate()
    start = start or today.replace(day=1)
    end = end or today
    if end < start:
        raise HttpError(422, "Ngày kết thúc phải sau ngày bắt đầu.")
    if channel is not None and channel not in metrics.CHANNELS:
        raise HttpError(422, f"Kênh phải là một trong {', '.join(metrics.CHANNELS)}.")
    return Scope(start, end, agency_ids=viewer.limit((agency,) if agency is not None else None),
                 procedure_id=procedure, field_id=field, ward_id=ward, channel=channel)


def _figures(scope: Scope, figs: metrics.Figures) -> dict[str, Any]:
    return {"start": scope.start, "end": scope.end, **figs.as_dict()}


@router.get("/figures", response=FiguresOut, auth=AUTH,
            summary="Headline figures for a period (default: this month)")
def figures(request, start: IsoDate | None = None, end: IsoDate | None = None,
            agency: int | None = None, procedure: int | None = None, field: int | None = None,
            ward: int | None = None, channel: Channel | None = None):
    scope = _scope(request, start, end, agency, procedure, field, ward, channel)
    return _figures(scope, metrics.figures(scope))


@router.get("/breakdown", response=list[RowOut], auth=AUTH,
            summary="The figures per agency, field, procedure, ward or channel")
def breakdown(request, by: By = "agency", start: IsoDate | None = None,
              end: IsoDate | None = None, agency: int | None = None,
              procedure: int | None = None, field: int | None = None, ward: int | None = None,
              channel: Channel | None = None):
    if by not in metrics.BY:
        raise HttpError(422, f"by phải là một trong {', '.join(metrics.BY)}.")
    scope = _scope(request, start, end, agency, procedure, field, ward, channel)
    return [{"key": r.key, "label": r.label, "figures": _figures(scope, r.figures)}
            for r in metrics.breakdown(scope, by)]


@router.get("/index766", response=IndexOut, auth=AUTH,
            summary="Decision 766/QĐ-TTg's service-quality index for the scope")
def index766(request, start: IsoDate | None = None, end: IsoDate | None = None,
             agency: int | None = None):
    scope = _scope(request, start, end, agency, None, None, None, None)
    result = metrics.national_index(scope)
    return {"on": result.on, "total": result.total, "measured_max": result.measured_max,
            "indicators": [i.__dict__ for i in result.indicators]}


@router.get("/public", response=PublicOut, auth=None,
            summary="Each agency's on-time and online rates, public")
def public(request, start: IsoDate | None = None, end: IsoDate | None = None):
    today = timezone.localdate()
    start = start or today.replace(day=1)
    end = end or today
    if end < start:
        raise HttpError(422, "Ngày kết thúc phải sau ngày bắt đầu.")
    scope = Scope(start, end)
    city = metrics.figures(scope)
    rows = [r for r in metrics.breakdown(scope, "agency") if r.figures.received
            or r.figures.resolved]
    return {"start": start, "end": end, "on_time_rate": city.on_time_rate,
            "online_rate": city.online_rate,
            "agencies": [{"agency": r.label, "received": r.figures.received,
                          "resolved": r.figures.resolved,
                          "on_time_rate": r.figures.on_time_rate,
                          "online_rate": r.figures.online_rate}
                         for r in sorted(rows, key=lambda r: vietnamese_key(r.label))]}
