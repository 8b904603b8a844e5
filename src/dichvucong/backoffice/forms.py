"""Reading the workspace's action forms: one small reader per action that needs more than a
note. Each returns the note, the event data and what the action carries, or field errors (in
Vietnamese, keyed by the field's id on the page)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dichvucong.accounts.models import User
from dichvucong.agencies.models import Agency
from dichvucong.catalog.definition import ProcedureDefinition
from dichvucong.dossiers.lifecycle import TRANSITIONS, Action, State
from dichvucong.dossiers.models import Delivery, Dossier
from dichvucong.dossiers.submission import inspect
from dichvucong.dossiers.uploads import UploadError

NOTE_MAX = 4000
RETURN_METHODS = (
    ("counter", gettext_lazy("Trao tại bộ phận một cửa")),
    ("post", gettext_lazy("Gửi qua bưu điện")),
    ("online", gettext_lazy("Trả trực tuyến (kho dữ liệu cá nhân)")),
)
DELIVERY_TO_METHOD = {Delivery.COUNTER: "counter", Delivery.POST: "post",
                      Delivery.ONLINE: "online"}


@dataclass
class Read:
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    assignee: User | None = None
    result_file: UploadedFile | None = None
    errors: dict[str, str] = field(default_factory=dict)  # field id → message


def transition_for(state: str, action: Action):
    return next((row for row in TRANSITIONS[action] if State(state) in row.sources), None)


def note_label(state: str, action: Action) -> tuple[str, bool]:
    """The note's label and whether the lifecycle requires it."""
    row = transition_for(state, action)
    if row is not None and row.requires_note:
        return row.note_label[:1].upper() + row.note_label[1:], True
    return _("Ghi chú"), False


def _lines(text: str) -> list[str]:
    return [" ".join(line.split()).lstrip("-•* ").strip() for line in text.splitlines()
            if line.strip()]


def upload_error(upload) -> str:
    """Why an officer's upload is refused (its type and content read from the bytes, its size:
    ``submission.inspect``), or ""."""
    try:
        inspect(upload)
    except UploadError as exc:
        return str(exc)
    return ""


def read_action(action: Action, post, files, dossier: Dossier,
                definition: ProcedureDefinition, specialists: list[User],
                agencies: list[Agency]) -> Read:
    read = Read(note=str(post.get("note", "")).strip()[:NOTE_MAX])
    prefix = action.value
    label, required = note_label(dossier.state, action)
    if action == Action.request_supplement:
        chosen = []
        for value in post.getlist("documents"):
            if value.isdigit() and int(value) < len(definition.documents):
                chosen.append(definition.documents[int(value)].name)
        other = _lines(read.note)
        items = chosen + [line for line in other if line not in chosen]
        if not items:
            read.errors[f"{prefix}-documents"] = _(
                "Cần chọn hoặc ghi ít nhất một giấy tờ cần bổ sung, hoàn thiện.")
        read.note = "\n".join(f"- {item}" for item in items)
        read.data = {"documents": chosen, "other": other}
        return read
    if required and not read.note:
        read.errors[f"{prefix}-note"] = _("Cần ghi %(what)s.") % {"what": label.lower()}
    if action == Action.assign:
        chosen_id = str(post.get("assignee", ""))
        read.assignee = next((u for u in specialists if str(u.pk) == chosen_id), None)
        if read.assignee is None:
            read.errors[f"{prefix}-assignee"] = _("Cần chọn chuyên viên xử lý.")
        else:
            read.data = {"assignee": read.assignee.pk,
                         "assignee_name": read.assignee.full_name or read.assignee.username}
    elif action == Action.transfer:
        chosen_id = str(post.get("target", ""))
        target = next((a for a in agencies if str(a.pk) == chosen_id), None)
        if target is None:
            read.errors[f"{prefix}-target"] = _("Cần chọn cơ quan nhận liên thông.")
        else:
            read.data = {"to_agency": target.pk, "to_agency_code": target.code,
                         "to_agency_name": target.name}
    elif action == Action.provide_supplement:
        upload = files.get("supplement")
        if upload:
            if refused := upload_error(upload):
                read.errors[f"{prefix}-supplement"] = refused
            else:
                read.result_file = upload
        elif not str(post.get("note", "")).strip():
            read.errors[f"{prefix}-supplement"] = _(
                "Cần đính kèm bản quét giấy tờ bổ sung hoặc ghi nội dung đã bổ sung.")
    elif action == Action.issue_result:
        upload = files.get("result")
        if not upload:
            read.errors[f"{prefix}-result"] = _("Cần đính kèm tệp kết quả giải quyết.")
        elif refused := upload_error(upload):
            read.errors[f"{prefix}-result"] = refused
        else:
            read.result_file = upload
    elif action == Action.return_result:
        method = str(post.get("method", ""))
        if method not in dict(RETURN_METHODS):
            read.errors[f"{prefix}-method"] = _("Cần chọn cách trả kết quả.")
        read.data = {"method": method}
        if method == "post":
            tracking = " ".join(str(post.get("tracking", "")).split())[:60]
            if not tracking:
                read.errors[f"{prefix}-tracking"] = _(
                    "Cần ghi mã vận đơn bưu điện khi gửi kết quả qua bưu điện.")
            read.data["tracking_number"] = tracking
        elif method == "counter":
            receiver = " ".join(str(post.get("receiver", "")).split())[:150]
            read.data["receiver"] = receiver or dossier.applicant_name
    return read


@dataclass
class ApologyRead:
    reason: str
    new_due_at: datetime | None
    errors: dict[str, str]


def read_apology(post) -> ApologyRead:
    reason = str(post.get("reason", "")).strip()[:NOTE_MAX]
    errors: dict[str, str] = {}
    if not reason:
        errors["apology-reason"] = _("Cần ghi lý do chậm trễ.")
    new_due_at = None
    try:
        day = date.fromisoformat(str(post.get("new_due_date", "")))
        hour = time.fromisoformat(str(post.get("new_due_time", "") or "17:00"))
        new_due_at = timezone.make_aware(datetime.combine(day, hour.replace(second=0)))
    except ValueError:
        errors["apology-new_due_date"] = _("Cần chọn ngày hẹn trả kết quả mới.")
    return ApologyRead(reason=reason, new_due_at=new_due_at, errors=errors)
