"""A citizen's rights over their personal data (issue #21 item 3; Luật Bảo vệ dữ liệu cá nhân
số 91/2025/QH15, Điều 4, in force 1/1/2026; Nghị định 356/2025/NĐ-CP): what the platform holds
about them, who looked at it (the audit trail, ``core/audit.py``), all of it as one download
(JSON, a PDF summary and the files, zipped), and requests to delete what no law requires
keeping (``ErasureRequest``, handled by an administrator).
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from django.core.files.storage import default_storage
from django.utils import timezone
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from dichvucong.accounts.models import Membership, User
from dichvucong.core import audit
from dichvucong.core.models import AuditEntry
from dichvucong.datastore.models import Access, CounterConsent, ErasureRequest, IssuerConsent
from dichvucong.datastore.services import own_documents
from dichvucong.dossiers import citizen_view
from dichvucong.dossiers.models import Attachment, Dossier, DossierEvent
from dichvucong.slips.fonts import FAMILY, font_set

LOOKS = 100  # entries of the access history shown and exported


LOOKED_AT = {"profile": "thông tin cá nhân", "dossier": "hồ sơ", "datastore": "kho dữ liệu",
             "person": "dữ liệu cá nhân"}
FIXED = {"role.grant": "Được giao vai trò", "role.change": "Vai trò được thay đổi",
         "role.revoke": "Vai trò bị thu hồi", "admin.add": "Quản trị viên tạo",
         "admin.change": "Quản trị viên sửa", "admin.delete": "Quản trị viên xoá",
         "export.personal_data": "Xuất dữ liệu cá nhân",
         "erasure.request": "Yêu cầu xoá dữ liệu"}


def action_label(action: str) -> str:
    """The trail's action code in words for the citizen."""
    kind, _dot, name = action.partition(".")
    if kind == "look":
        return f"Xem {LOOKED_AT.get(name, name)}"
    if kind == "datastore":
        try:
            return str(Access(name).label)
        except ValueError:
            return action
    if kind == "dossier":
        return DossierEvent(action=name).get_action_label()
    return FIXED.get(action, action)


@dataclass(frozen=True)
class Look:
    at: datetime
    actor: str
    role: str
    action: str
    what: str
    reason: str


def _actor_names(ids: set[int]) -> dict[int, tuple[str, str]]:
    names = {u.pk: (str(u), "") for u in User.objects.filter(pk__in=ids)}
    for member in Membership.objects.filter(user_id__in=ids).select_related("agency"):
        name, roles = names.get(member.user_id, ("", ""))
        label = f"{member.get_role_display()} — {member.agency.name}"
        names[member.user_id] = (name, f"{roles}; {label}" if roles else label)
    return names


def looks(user: User, limit: int = LOOKS) -> list[Look]:
    """Every entry of the audit trail about this person made by someone else (officials,
    hotline operators, the counter, third-party issuers, the system), newest first."""
    entries = list(AuditEntry.objects.filter(subject_id=user.pk)
                   .exclude(actor_id=user.pk).order_by("-at", "-id")[:limit])
    names = _actor_names({e.actor_id for e in entries if e.actor_id})
    result = []
    for entry in entries:
        name, roles = names.get(entry.actor_id, ("", "")) if entry.actor_id else ("", "")
        reason = entry.reason
        if entry.source == "dossier":  # only what the dossier's page tells the citizen
            reason = citizen_view.note_for(SimpleNamespace(
                action=entry.action.partition(".")[2], note=entry.reason,
                actor_role=entry.actor_role, data={}))
        result.append(Look(entry.at, name or "Hệ thống", entry.actor_role or roles,
                           action_label(entry.action),
                           f"{entry.object_type} {entry.object_id}".strip(), reason))
    return result


def holdings(user: User) -> dict:
    """Everything the platform holds about this person, as plain JSON-ready data."""
    dossiers = list(Dossier.objects.filter(applicant=user).select_related("procedure", "agency")
                    .order_by("-created_at"))
    grouped: dict[int, list[DossierEvent]] = {}
    for event in DossierEvent.objects.filter(dossier__in=dossiers).order_by("created_at", "id"):
        grouped.setdefault(event.dossier_id, []).append(event)
    # The timeline the citizen reads on the dossier's page (officers' notes to each other are
    # the agency's working papers, not shown there either).
    events = {pk: [{"at": e.at.isoformat(), "label": e.label, "note": e.note}
                   for e in citizen_view.timeline(rows)] for pk, rows in grouped.items()}
    return {
        "exported_at": timezone.now().isoformat(),
        "profile": {"full_name": user.full_name, "id_number": user.id_number,
                    "id_number_verified": user.id_number_verified, "phone": user.phone,
                    "email": user.email, "date_of_birth": str(user.date_of_birth or ""),
                    "gender": user.gender, "address": user.address,
                    "joined": user.date_joined.isoformat()},
        "dossiers": [{"code": d.code or "", "procedure": d.procedure.name,
                      "agency": d.agency.name, "state": d.state,
                      "created_at": d.created_at.isoformat(),
                      "submitted_at": d.submitted_at.isoformat() if d.submitted_at else "",
                      "applicant_name": d.applicant_name, "form": d.form_data,
                      "events": events.get(d.pk, [])} for d in dossiers],
        "stored_documents": [{"title": doc.title, "type": doc.document_type, "kind": doc.kind,
                              "dated_at": doc.dated_at.isoformat(), "file": _member(doc.file.name)}
                             for doc in own_documents(user).order_by("-dated_at")],
        "counter_consents": list(CounterConsent.objects.filter(owner=user)
                                 .values_list("document_type", flat=True)),
        "issuer_consents": [{"issuer_type": c.issuer_type,
                             "issuer": c.issuer.application.name if c.issuer_id else "",
                             "created_at": c.created_at.isoformat()}
                            for c in IssuerConsent.objects.filter(owner=user,
                                                                  revoked_at__isnull=True)
                            .select_related("issuer__application")],
        "erasure_requests": [{"what": r.what, "state": r.state, "answer": r.answer,
                              "created_at": r.created_at.isoformat()}
                             for r in ErasureRequest.objects.filter(owner=user)],
        "accesses_by_others": [{"at": look.at.isoformat(), "by": look.actor, "role": look.role,
                                "action": look.action, "object": look.what,
                                "reason": look.reason} for look in looks(user)],
    }


def _member(name: str) -> str:
    return f"tep/{name}" if name else ""


def _files(user: User) -> list[str]:
    names = set(own_documents(user).values_list("file", flat=True))
    names |= set(Attachment.objects.filter(dossier__applicant=user).values_list("file",
                                                                               flat=True))
    return sorted(n for n in names if n)


def _pdf(data: dict) -> bytes:
    doc = FPDF()
    for style, path in font_set().files.items():
        doc.add_font(FAMILY, style=style, fname=str(path))
    doc.add_page()

    def write(text: str, size: float, style: str = "", height: float = 5.5) -> None:
        doc.set_font(FAMILY, style, size)
        doc.multi_cell(0, height, text=text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def section(title: str, lines: list[str]) -> None:
        doc.ln(3)
        write(title, 12, "B", 7)
        for line in lines or ["(không có)"]:
            write(line, 10)

    write("Dữ liệu cá nhân của bạn trên Cổng dịch vụ công", 14, "B", 8)
    write(f"Xuất lúc {data['exported_at']}. Bản đầy đủ: du-lieu.json; các tệp: thư mục tep/.",
          10)
    profile = data["profile"]
    section("Thông tin cá nhân", [f"{k}: {v}" for k, v in profile.items() if v not in ("", {})])
    section("Hồ sơ thủ tục hành chính", [f"{d['code'] or '(bản nháp)'} — {d['procedure']} — "
                                         f"{d['agency']}" for d in data["dossiers"]])
    section("Kho dữ liệu cá nhân", [f"{d['title']} ({d['type']})"
                                    for d in data["stored_documents"]])
    section("Ai đã xem hoặc xử lý dữ liệu của bạn", [
        f"{a['at'][:16]} — {a['by']} {a['role']} — {a['action']} {a['object']} {a['reason']}"
        for a in data["accesses_by_others"]])
    return bytes(doc.output())


def export_zip(user: User, actor: User | None = None) -> bytes:
    """The download: du-lieu.json, du-lieu.pdf and tep/<the files>; recorded in the trail."""
    data = holdings(user)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("du-lieu.json", json.dumps(data, ensure_ascii=False, indent=2,
                                                    default=str))
        archive.writestr("du-lieu.pdf", _pdf(data))
        for name in _files(user):
            if default_storage.exists(name):
                with default_storage.open(name, "rb") as handle:
                    archive.writestr(_member(name), handle.read())
    audit.record(source="rights", action="export.personal_data", object_type="person",
                 object_id=user.pk, actor_id=(actor or user).pk, subject_id=user.pk,
                 reason="Tải toàn bộ dữ liệu cá nhân")
    return buffer.getvalue()


def ask_erasure(user: User, what: str) -> ErasureRequest:
    request = ErasureRequest.objects.create(owner=user, what=what.strip()[:2000])
    audit.record(source="rights", action="erasure.request", object_type="erasure_request",
                 object_id=request.pk, actor_id=user.pk, subject_id=user.pk, reason=request.what)
    return request
