"""Alert endpoints of the JSON API (/api/v1/alerts…), with the same scope as the pages: an
official sees their agencies' alerts, an IOC operator the city's. Session authentication (with
its CSRF token for the acknowledgement)."""

from __future__ import annotations

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.security import django_auth

from dichvucong.alerts import queries, services
from dichvucong.alerts.models import Alert

router = Router(tags=["alerts"], auth=django_auth)


class AlertOut(Schema):
    id: int
    kind: str
    kind_label: str
    dossier_code: str
    agency_id: int
    agency: str
    step: str
    due_at: datetime | None
    raised_at: datetime
    cleared_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None


class AlertPage(Schema):
    items: list[AlertOut]
    next: str


class AlertFilters(Schema):
    agency: int | None = None
    kind: str = ""
    status: str = "open"
    after: str = ""


def _out(alert: Alert) -> AlertOut:
    return AlertOut(
        id=alert.pk, kind=alert.kind, kind_label=alert.kind_label,
        dossier_code=alert.dossier.code or "", agency_id=alert.agency_id,
        agency=alert.agency.name, step=alert.step, due_at=alert.due_at,
        raised_at=alert.raised_at, cleared_at=alert.cleared_at,
        acknowledged_at=alert.acknowledged_at,
        acknowledged_by=str(alert.acknowledged_by) if alert.acknowledged_by else None,
    )


def _scope(request) -> queries.Scope:
    scope = queries.scope_of(request.user)
    if not scope.allowed:
        raise HttpError(403, "Chỉ cán bộ và Trung tâm giám sát (IOC) xem được cảnh báo.")
    return scope


@router.get("", response=AlertPage, summary="Alerts, newest first (paginated by key)")
def list_alerts(request, filters: Query[AlertFilters]):
    scope = _scope(request)
    parsed = queries.Filters.parse(filters.agency, filters.kind, filters.status)
    found = queries.page(scope, parsed, filters.after)
    return AlertPage(items=[_out(alert) for alert in found.alerts], next=found.next_cursor)


@router.post("/{alert_id}/acknowledge", response=AlertOut, summary="Acknowledge an alert")
def acknowledge(request, alert_id: int):
    scope = _scope(request)
    alert = get_object_or_404(
        queries.visible(scope).select_related("dossier", "agency", "acknowledged_by"),
        pk=alert_id)
    services.acknowledge(alert, request.user)
    return _out(alert)
