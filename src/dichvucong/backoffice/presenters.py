"""What the workspace shows, made readable: events with what they carry (form values by their
labels: ``catalog/formvalues.py``). No writes, no queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from dichvucong.dossiers.lifecycle import Action, LifecycleRole, State
from dichvucong.dossiers.models import OTHER_EVENT_LABELS, DossierEvent

from .forms import RETURN_METHODS


def _moment(text: str) -> str:
    moment = parse_datetime(str(text or ""))
    if moment is None:
        return str(text or "")
    return date_format(timezone.localtime(moment), "H:i d/m/Y")


def action_label(action: str) -> str:
    if action == "apology":
        return _("Xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04)")
    try:
        return Action(action).label
    except ValueError:
        return str(OTHER_EVENT_LABELS.get(action, action))


def state_label(state: str) -> str:
    try:
        return State(state).label
    except ValueError:
        return state


def role_label(role: str) -> str:
    try:
        return LifecycleRole(role).label
    except ValueError:
        return role


def event_details(event: DossierEvent) -> list[str]:
    data = event.data or {}
    details = []
    if data.get("assignee_name"):
        details.append(_("Giao cho: %(name)s") % {"name": data["assignee_name"]})
    if data.get("to_agency_name"):
        details.append(_("Chuyển đến: %(name)s") % {"name": data["to_agency_name"]})
    if data.get("file_name"):
        details.append(_("Tệp kết quả: %(name)s") % {"name": data["file_name"]})
    if data.get("method"):
        method = dict(RETURN_METHODS).get(data["method"], data["method"])
        details.append(_("Cách trả: %(method)s") % {"method": method})
    if data.get("tracking_number"):
        details.append(_("Mã vận đơn: %(code)s") % {"code": data["tracking_number"]})
    if data.get("receiver"):
        details.append(_("Người nhận: %(name)s") % {"name": data["receiver"]})
    if data.get("new_due_at"):
        details.append(_("Hẹn mới: %(new)s (hạn trước: %(old)s)") % {
            "new": _moment(data["new_due_at"]), "old": _moment(data.get("old_due_at", ""))})
    return details


@dataclass
class TimelineEntry:
    created_at: datetime
    label: str
    actor: str
    role: str
    source: str
    target: str
    note: str
    details: list[str]


def timeline(events: list[DossierEvent]) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            created_at=e.created_at, label=action_label(e.action),
            actor=str(e.actor) if e.actor_id else "", role=role_label(e.actor_role),
            source=state_label(e.from_state) if e.from_state else "",
            target=state_label(e.to_state), note=e.note, details=event_details(e),
        )
        for e in events
    ]
