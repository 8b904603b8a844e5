"""What the workspace shows, made readable: form values by their labels, events with what they
carry. No writes; the only query is for the names of the places an address field holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from dichvucong.catalog.definition import FieldType, FormField
from dichvucong.dossiers.lifecycle import Action, Role, State
from dichvucong.dossiers.models import DossierEvent

from .forms import RETURN_METHODS


@dataclass
class Entry:
    label: str
    value: str = ""
    items: list[list[Entry]] = field(default_factory=list)  # a repeating group's items


def _addresses(fields: list[FormField], values: dict[str, Any]) -> set[str]:
    codes: set[str] = set()
    for f in fields:
        value = values.get(f.key)
        if f.type == FieldType.ADDRESS and isinstance(value, dict):
            codes |= {str(value.get(k)) for k in ("province", "commune") if value.get(k)}
        elif f.type == FieldType.GROUP and isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    codes |= _addresses(f.fields, item)
    return codes


def _place_names(codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    from dichvucong.adminunits.models import AdministrativeUnit

    return dict(AdministrativeUnit.objects.filter(code__in=codes).values_list("code", "name"))


def _show(f: FormField, value: Any, places: dict[str, str]) -> str:
    if value in (None, "", [], {}):
        return "—"
    if f.type == FieldType.CHECKBOX:
        return _("Có") if value is True or str(value).lower() in {"on", "true", "1"} else _(
            "Không")
    if f.type in (FieldType.SELECT, FieldType.MULTISELECT):
        labels = {o.value: o.label for o in f.options}
        chosen = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(str(v), str(v)) for v in chosen)
    if f.type == FieldType.DATE:
        try:
            return date.fromisoformat(str(value)).strftime("%d/%m/%Y")
        except ValueError:
            return str(value)
    if f.type == FieldType.NUMBER:
        # Vietnamese writes a decimal comma (85,5 m²); whole numbers stay as typed (1994).
        try:
            return format(Decimal(str(value)), "f").replace(".", ",")
        except InvalidOperation:
            return str(value)
    if f.type == FieldType.MONEY:
        try:
            return f"{int(str(value)):,}".replace(",", ".") + " đ"
        except ValueError:
            return str(value)
    if f.type == FieldType.ADDRESS and isinstance(value, dict):
        parts = [str(value.get("street") or "").strip(),
                 places.get(str(value.get("commune") or ""), ""),
                 places.get(str(value.get("province") or ""), "")]
        return ", ".join(p for p in parts if p) or "—"
    return str(value)


def form_entries(fields: list[FormField], values: dict[str, Any]) -> list[Entry]:
    """The form's values as label → value, in the form's order, groups item by item."""
    places = _place_names(_addresses(fields, values))

    def entries(scope_fields: list[FormField], scope: dict[str, Any]) -> list[Entry]:
        found = []
        for f in scope_fields:
            value = scope.get(f.key)
            if f.type == FieldType.GROUP:
                items = [entries(f.fields, item) for item in (value or [])
                         if isinstance(item, dict)]
                found.append(Entry(label=f.label, value="" if items else "—", items=items))
            elif f.key in scope:
                found.append(Entry(label=f.label, value=_show(f, value, places)))
        return found

    return entries(fields, values)


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
        from dichvucong.dossiers.models import OTHER_EVENT_LABELS

        return str(OTHER_EVENT_LABELS.get(action, action))


def state_label(state: str) -> str:
    try:
        return State(state).label
    except ValueError:
        return state


def role_label(role: str) -> str:
    try:
        return Role(role).label
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
