"""What the workspace shows, made readable: events with what they carry (form values by their
labels: ``catalog/formvalues.py``); the queue's rows as HTML. No writes, no queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape as _e
from urllib.parse import quote

from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from dichvucong.dossiers.lifecycle import Action, LifecycleRole, State
from dichvucong.dossiers.models import OTHER_EVENT_LABELS, DossierChannel, DossierEvent

from .forms import RETURN_METHODS
from .queues import Row


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


# --- the queue's rows --------------------------------------------------------------------------

# As Django's reverse() quotes a path argument (django/urls/resolvers.py, RFC 3986 sub-delims).
_PATH_SAFE = "!$&'()*+,;=/~:@"


def _when(moment: datetime | None) -> str:
    """As the template filter ``date:"H:i d/m/Y"`` shows it, in the current time zone."""
    return timezone.localtime(moment).strftime("%H:%M %d/%m/%Y") if moment else ""


def queue_rows(rows: list[Row]) -> list[SafeString]:
    """Each row of a queue's page as its ``<li>`` (``backoffice/home.html``). In Python: twenty
    rows through the template language were most of the page's CPU (a tag, a translation and a
    filter resolved per row and field); here the link's pattern and the labels are read once
    per page, and every value is escaped as Django's ``escape`` does (``html.escape``, without
    its lazy-text wrapper: this is the loop the page spends its time in)."""
    link = reverse("backoffice:dossier", args=["0"])[:-2]  # …/ho-so/<code>/
    mine = f'\n    <span class="badge">{_e(_("Giao cho tôi"))}</span>'
    channels = {DossierChannel.ONLINE.value: _e(_("Trực tuyến")),
                DossierChannel.IN_PERSON.value: _e(_("Trực tiếp"))}
    post = _e(_("Bưu chính"))
    applicant, specialist = _e(_("Người nộp")), _e(_("Chuyên viên"))
    received, submitted, due = _e(_("Tiếp nhận")), _e(_("Nộp lúc")), _e(_("Hẹn trả"))
    at, receiver_due = _e(_("Đang ở")), _e(_("Hạn của cơ quan nhận"))
    over = " — " + _e(_("quá 4 giờ làm việc"))
    shown = []
    for row in rows:
        d = row.dossier
        code = _e(d.code)
        html = [f'\n  <li class="card">\n    <a href="{link}{_e(quote(d.code, safe=_PATH_SAFE))}/">'
                f'{code}</a>{mine if row.mine else ""}'
                f'\n    <span class="badge muted">{channels.get(d.channel, post)}</span>'
                f'\n    <span class="meta">{_e(row.procedure)}</span>'
                f'\n    <span class="meta">{applicant}: {_e(d.applicant_name)}']
        if row.assignee:
            html.append(f" · {specialist}: {_e(row.assignee)}")
        html.append('</span>\n    <span class="meta">')
        html.append(f"{received}: {_when(d.received_at)}" if d.received_at
                    else f"{submitted}: {_when(d.submitted_at) or '—'}")
        if d.due_at:
            html.append(f" · {due}: {_when(d.due_at)}")
        html.append("</span>")
        if (handover := row.handover) is not None:
            html.append(f'\n    <span class="meta">{at}: {_e(handover.to_agency.name)} · '
                        f"{_e(handover.step)}")
            if handover.due_at:
                html.append(f" · {receiver_due}: {_when(handover.due_at)}")
            html.append("</span>")
        if clock := row.clock:
            html.append(f'\n    <p class="{"field-error" if clock.over else "hint"}">'
                        f'{_e(clock.text)}{over if clock.over else ""}</p>')
        if row.due:
            html.append(f'\n    <p class="{"field-error" if row.due.late else "hint"}">'
                        f"{_e(row.due.text)}</p>")
        html.append("\n  </li>")
        shown.append(mark_safe("".join(html)))  # noqa: S308 - every value escaped above
    return shown
