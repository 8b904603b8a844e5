"""The *1022 public-service hotline, without HTTP: calls logged as tickets, finding the caller,
what the operator may see, and the call statistics.

What an operator sees, and only during a call they hold open:

- the caller found by phone, CCCD number or dossier code: their name, masked contacts, and
  their dossiers (code, procedure, agency, the status as the citizen reads it, the due time);
- one of those dossiers: the citizen's own timeline (``dossiers/citizen_view.py``: the notes
  addressed to the citizen, not the officers' notes to each other) and its open alerts;
- never the files, the form's answers, the ID number or the address.

Each look (a search that found someone, a dossier opened) is written to the citizen's access
history (``datastore/services.py:record``, ``Access.HOTLINE_VIEW``) with the call's ticket.

A caller who filed at a counter without an account is found too: by a dossier code, or by the
CCCD number or phone written on their walk-in dossiers (all of them bearing it, newest first).
They have no access history to show; each look goes into the audit trail
(``core/audit.py:record``) with the dossier and the call.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from dichvucong.accounts.identifiers import InvalidIdentifier, mask_contact, normalise_phone
from dichvucong.accounts.models import Membership, Role, User
from dichvucong.alerts.models import Alert
from dichvucong.catalog import queries as catalog_queries
from dichvucong.core import audit
from dichvucong.core.idnumber import InvalidIdNumber, parse_id_number
from dichvucong.datastore.models import Access
from dichvucong.datastore.services import record
from dichvucong.dossiers import citizen_view
from dichvucong.dossiers.codes import CODE
from dichvucong.dossiers.models import Dossier
from dichvucong.hotline.models import CallTicket, Outcome, Reason, WalkInMatch

NOT_OPERATOR = "Chỉ tổng đài viên *1022 được dùng trang này."
NOTHING = "Không tìm thấy công dân hoặc hồ sơ với thông tin này."
DOSSIER_LIMIT = 20


class HotlineError(Exception):
    def __init__(self, message: str, status: int = 400, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field


def is_operator(user: User) -> bool:
    return user.is_authenticated and Membership.objects.filter(
        user=user, role=Role.HOTLINE_OPERATOR).exists()


def start_call(operator: User, now: datetime | None = None) -> CallTicket:
    if not is_operator(operator):
        raise HotlineError(NOT_OPERATOR, status=403)
    return CallTicket.objects.create(operator=operator, started_at=now or timezone.now())


def open_call(operator: User, ticket_id: int) -> CallTicket:
    """The operator's own call, still open. Raises HotlineError."""
    if not is_operator(operator):
        raise HotlineError(NOT_OPERATOR, status=403)
    ticket = (CallTicket.objects.select_related("citizen", "dossier", "procedure")
              .filter(pk=ticket_id, operator=operator).first())
    if ticket is None:
        raise HotlineError("Không có cuộc gọi này.", status=404)
    if not ticket.is_open:
        raise HotlineError("Cuộc gọi đã kết thúc: thông tin của công dân không còn mở được.",
                           status=403)
    return ticket


@dataclass(frozen=True)
class Caller:
    """What the operator sees of the caller."""

    citizen: User | None
    name: str
    phone: str  # masked
    dossiers: list[Dossier]


def _look(ticket: CallTicket, citizen_id: int | None, what: str, **data) -> None:
    if citizen_id is not None:
        record(citizen_id, Access.HOTLINE_VIEW, ticket.operator, ticket=ticket.pk, what=what,
               **data)
    else:  # a walk-in applicant: no account, so no history of theirs; the audit trail has it
        audit.record(source="hotline", action=f"look.{what}", object_type="dossier",
                     object_id=data.get("dossier", ""), actor_id=ticket.operator_id,
                     actor_role="hotline_operator", reason=f"Cuộc gọi *1022 số {ticket.pk}",
                     data={"ticket": ticket.pk, "walk_in": True})


def _walk_in_dossiers(ticket: CallTicket) -> QuerySet[Dossier]:
    """The walk-in dossiers of the caller found through ``ticket.dossier``."""
    anchor = ticket.dossier
    rows = Dossier.objects.filter(applicant__isnull=True, code__isnull=False)
    if ticket.walk_in_match == WalkInMatch.ID_NUMBER and anchor.applicant_id_number:
        rows = rows.filter(applicant_id_number=anchor.applicant_id_number)
    elif ticket.walk_in_match == WalkInMatch.PHONE and anchor.applicant_phone:
        rows = rows.filter(applicant_phone=anchor.applicant_phone)
    else:
        rows = rows.filter(pk=anchor.pk)
    return rows


def _walk_in_caller(ticket: CallTicket) -> Caller:
    d = ticket.dossier
    dossiers = list(_walk_in_dossiers(ticket).select_related("procedure", "agency")
                    .order_by("-created_at")[:DOSSIER_LIMIT])
    return Caller(None, d.applicant_name,
                  mask_contact(d.applicant_phone) if d.applicant_phone else "", dossiers)


def _account_caller(citizen: User) -> Caller:
    return Caller(citizen, citizen.full_name,
                  mask_contact(citizen.phone) if citizen.phone else "", _dossiers_of(citizen))


def _dossiers_of(citizen: User) -> list[Dossier]:
    rows = (Dossier.objects.filter(applicant=citizen, code__isnull=False)
            .select_related("procedure", "agency").order_by("-created_at")[:DOSSIER_LIMIT])
    return list(rows)


def find_caller(ticket: CallTicket, identifier: str) -> Caller:
    """The caller named by a phone number, a CCCD number or a dossier code; the look is
    recorded. Raises HotlineError."""
    text = identifier.strip()
    citizen = dossier = None
    if CODE.match(text):
        dossier = (Dossier.objects.select_related("applicant", "procedure", "agency")
                   .filter(code=text).first())
        if dossier is None:
            raise HotlineError(NOTHING, status=404, field="identifier")
        citizen = dossier.applicant
        # A walk-in dossier: the caller's others are those bearing the same CCCD number.
        match = WalkInMatch.ID_NUMBER if dossier.applicant_id_number else ""
    else:
        digits = "".join(ch for ch in text if ch.isdigit() or ch == "+")
        if len(digits) == 12 and digits.isdigit():
            try:
                number = parse_id_number(digits).number
            except InvalidIdNumber as exc:
                raise HotlineError(str(exc), field="identifier") from None
            citizen = User.objects.filter(id_number=number, is_active=True).first()
            match, walk_in = WalkInMatch.ID_NUMBER, {"applicant_id_number": number}
        else:
            try:
                phone = normalise_phone(text)
            except InvalidIdentifier:
                raise HotlineError("Nhập số điện thoại, số CCCD (12 chữ số) hoặc mã hồ sơ.",
                                   field="identifier") from None
            citizen = User.objects.filter(phone=phone, is_active=True).first()
            match, walk_in = WalkInMatch.PHONE, {"applicant_phone": phone}
        if citizen is None:
            # No account: the newest walk-in dossier bearing the number, if any.
            dossier = (Dossier.objects.filter(applicant__isnull=True, code__isnull=False,
                                              **walk_in)
                       .select_related("procedure", "agency").order_by("-created_at").first())
            if dossier is None:
                raise HotlineError(NOTHING, status=404, field="identifier")
    with transaction.atomic():
        ticket.citizen = citizen
        ticket.dossier = dossier
        ticket.walk_in_match = match if citizen is None else ""
        ticket.save(update_fields=["citizen", "dossier", "walk_in_match"])
        _look(ticket, citizen.pk if citizen else None, "search",
              dossier=dossier.code if dossier else "")
    if citizen is None:  # filed at a counter without an account
        return _walk_in_caller(ticket)
    return _account_caller(citizen)


def caller_of(ticket: CallTicket) -> Caller | None:
    """The caller already found in this call (no new look: the same page shown again)."""
    if ticket.citizen_id:
        return _account_caller(ticket.citizen)
    if ticket.dossier_id:
        return _walk_in_caller(ticket)
    return None


@dataclass(frozen=True)
class DossierView:
    dossier: Dossier
    status: str
    timeline: list[citizen_view.Entry]
    alerts: list[Alert]


def dossier_for_call(ticket: CallTicket, code: str) -> DossierView:
    """One of the caller's dossiers, as the citizen sees it, with its open alerts; recorded.
    Raises HotlineError for a dossier that is not the caller's."""
    if ticket.citizen_id:
        dossiers = Dossier.objects.filter(applicant_id=ticket.citizen_id)
    elif ticket.dossier_id:
        dossiers = _walk_in_dossiers(ticket)
    else:
        raise HotlineError("Hãy tìm công dân trước.", status=404)
    dossier = (dossiers.select_related("procedure", "agency").filter(code=code).first())
    if dossier is None:
        raise HotlineError("Hồ sơ này không phải của người gọi.", status=404)
    _look(ticket, dossier.applicant_id, "dossier", dossier=dossier.code)
    alerts = list(Alert.objects.filter(dossier=dossier, cleared_at__isnull=True)
                  .order_by("-raised_at"))
    return DossierView(dossier, citizen_view.status(dossier.state),
                       citizen_view.timeline(dossier.events.all()), alerts)


@dataclass(frozen=True)
class Closing:
    reason: str
    outcome: str
    procedure_code: str = ""
    follow_up: str = ""
    note: str = ""


def close_call(ticket: CallTicket, closing: Closing, now: datetime | None = None) -> CallTicket:
    if closing.reason not in Reason.values:
        raise HotlineError("Chọn lý do cuộc gọi.", field="reason")
    if closing.outcome not in Outcome.values:
        raise HotlineError("Chọn kết quả cuộc gọi.", field="outcome")
    procedure = None
    if closing.procedure_code.strip():
        procedure = catalog_queries.active_procedures().filter(
            code=closing.procedure_code.strip()).first()
        if procedure is None:
            raise HotlineError("Không có thủ tục với mã này.", field="procedure_code")
    if closing.outcome == Outcome.FOLLOW_UP and not closing.follow_up.strip():
        raise HotlineError("Ghi việc cần làm tiếp.", field="follow_up")
    ticket.reason, ticket.outcome = closing.reason, closing.outcome
    ticket.procedure = procedure or ticket.procedure
    ticket.follow_up = closing.follow_up.strip()[:500]
    ticket.note = closing.note.strip()[:4000]
    ticket.ended_at = now or timezone.now()
    ticket.save()
    return ticket


def recent_calls(operator: User, limit: int = 20) -> QuerySet[CallTicket]:
    return (CallTicket.objects.filter(operator=operator).select_related("procedure")
            .order_by("-started_at")[:limit])


@dataclass(frozen=True)
class Statistics:
    total: int
    by_reason: list[tuple[str, int]]
    by_procedure: list[tuple[str, int]]
    by_outcome: list[tuple[str, int]]


def statistics(start: date, end: date) -> Statistics:
    """The calls ended from ``start`` to ``end`` (local days), by reason, procedure, outcome."""
    calls = CallTicket.objects.filter(ended_at__date__gte=start, ended_at__date__lte=end)
    reasons = dict(Reason.choices)
    outcomes = dict(Outcome.choices)
    by_reason = Counter({str(reasons.get(r["reason"], r["reason"])): r["n"] for r in
                         calls.values("reason").order_by("reason").annotate(n=Count("pk"))})
    by_outcome = Counter({str(outcomes.get(r["outcome"], r["outcome"])): r["n"] for r in
                          calls.values("outcome").order_by("outcome").annotate(n=Count("pk"))})
    by_procedure = [(f"{r['procedure__code']} — {r['procedure__name']}", r["n"]) for r in
                    calls.filter(procedure__isnull=False)
                    .values("procedure__code", "procedure__name")
                    .order_by("procedure__code").annotate(n=Count("pk"))]
    by_procedure.sort(key=lambda item: -item[1])
    return Statistics(calls.count(), by_reason.most_common(), by_procedure[:20],
                      by_outcome.most_common())
