"""What a citizen is told about their dossier: the status and the timeline written for them.

The back office speaks the one-stop's language («Phân công», «Trình phê duyệt», «Chờ trả kết
quả») and keeps the officers' notes to each other («Kính trình lãnh đạo phê duyệt»). The
citizen's pages, the public lookup, the citizen API and the agent who files for a citizen see
instead, per event kind (``EVENTS``), a plain label, the note only when it is addressed to the
citizen (what to supplement, why a dossier is rejected, refused or stopped, the apology's
reason and new date …), and the internal steps (assignment, forwarding to the leader, sending
back, approval) as one neutral «Hồ sơ đang được xử lý». An event kind not listed here is
internal: a new kind shows nothing until someone decides what the citizen should read.

Plain Python: events are read through their attributes (``action``, ``created_at``, ``note``,
``data``, ``actor_role``, ``to_state``), so it runs on model rows and on test doubles alike.
Labels are translatable (Vietnamese first) and returned as ``str``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

PROCESSING = "processing"  # the kind of a merged run of internal steps


@dataclass(frozen=True)
class EventRule:
    label: Any  # the citizen-facing label (lazy translation)
    note: bool  # whether the event's note is addressed to the citizen
    why: str  # the reason for the choice, for the next reader (not shown)
    internal: bool = False  # merged into one neutral «being processed» entry


def _shown(label: Any, why: str, *, note: bool = False) -> EventRule:
    return EventRule(label=label, note=note, why=why)


def _internal(why: str) -> EventRule:
    return EventRule(label=_("Hồ sơ đang được xử lý"), note=False, why=why, internal=True)


EVENTS: Mapping[str, EventRule] = MappingProxyType({
    "submit": _shown(_("Đã nộp hồ sơ"), "The citizen's own act."),
    "enter_walk_in": _shown(_("Hồ sơ đã được tiếp nhận tại bộ phận một cửa"),
                            "Reception starts the legal time limit; the officer's note is for "
                            "the file."),
    "receive": _shown(_("Hồ sơ đã được tiếp nhận"),
                      "Reception starts the legal time limit; the officer's note is for the "
                      "file."),
    "reject": _shown(_("Hồ sơ không được tiếp nhận"),
                     "The reason is the refusal notice's (Mẫu 03), written to the citizen.",
                     note=True),
    "request_supplement": _shown(_("Cơ quan đề nghị bổ sung hồ sơ"),
                                 "What to supplement is addressed to the citizen (Mẫu 02).",
                                 note=True),
    "provide_supplement": _shown(_("Đã bổ sung hồ sơ"),
                                 "The note is the applicant's own, shown only when they wrote "
                                 "it.", note=True),
    "assign": _internal("Who in the agency handles it is internal."),
    "examine": _internal("The specialist's submission to the leader and its note are internal."),
    "review": _internal("The first approval level's review (head of division) is internal."),
    "send_back": _internal("The leader's remarks to the specialist are internal."),
    "approve": _internal("An approval is a draft decision until the result is issued."),
    "transfer": _shown(_("Hồ sơ được chuyển cơ quan liên quan phối hợp giải quyết"),
                       "The citizen may wait on another agency (liên thông); the note is "
                       "between agencies."),
    "take_back": _internal("The other agency's answer comes back into processing."),
    "refuse": _shown(_("Hồ sơ không được giải quyết"),
                     "The legal basis and reason are written to the citizen.", note=True),
    "pause": _shown(_("Hồ sơ bị dừng giải quyết"),
                    "The reason is the stop notice's (Mẫu 05), written to the citizen.",
                    note=True),
    "resume": _shown(_("Hồ sơ được tiếp tục giải quyết"),
                     "The decision's basis is recorded for the file."),
    "issue_result": _shown(_("Đã có kết quả giải quyết"), "The result exists."),
    "return_result": _shown(_("Đã trả kết quả"), "The citizen received the result."),
    "close": _shown(_("Hồ sơ đã hoàn thành"), "The dossier is closed."),
    "withdraw": _shown(_("Đã rút hồ sơ"), "The reason is the applicant's own.", note=True),
    "apology": _shown(_("Cơ quan xin lỗi và hẹn lại ngày trả kết quả"),
                      "The apology (Mẫu 04) and its new date are written to the citizen.",
                      note=True),
    "fee_requested": _shown(_("Yêu cầu nộp phí, lệ phí"), "The citizen has to pay."),
    "payment_confirmed": _shown(_("Đã nhận phí, lệ phí"), "The citizen paid."),
})

# A note the applicant wrote: shown only when the applicant (or their agent) wrote it, not
# when an officer recorded the act at the counter with a remark of their own.
APPLICANT_NOTES = frozenset({"provide_supplement", "withdraw"})

RESULT_AVAILABLE = _("Đã có kết quả — tải về")

STATES: Mapping[str, Any] = MappingProxyType({
    "draft": _("Bản nháp"),
    "submitted": _("Chờ tiếp nhận"),
    "reception_supplement": _("Cần bổ sung hồ sơ"),
    "received": _("Đã tiếp nhận"),
    "rejected": _("Không được tiếp nhận"),
    "examining": _("Đang xử lý"),
    "awaiting_review": _("Đang xử lý"),
    "awaiting_approval": _("Đang xử lý"),
    "approved": _("Đang xử lý"),
    "transferred": _("Đang xử lý"),
    "processing_supplement": _("Cần bổ sung hồ sơ"),
    "refused": _("Không được giải quyết"),
    "result_ready": _("Đã có kết quả, chờ nhận"),
    "returned": _("Đã trả kết quả"),
    "done": _("Hoàn thành"),
    "withdrawn": _("Đã rút hồ sơ"),
    "paused": _("Dừng giải quyết"),
})
# States in which a digital result, when there is one, is what the citizen is waiting for.
RESULT_STATES = frozenset({"result_ready", "returned", "done"})


@dataclass(frozen=True)
class Entry:
    kind: str  # the event's action, or PROCESSING for merged internal steps
    at: datetime
    label: str
    note: str = ""
    state: str = ""  # the dossier's state after the entry (the last merged event's)


def status(state: str, *, result_available: bool = False) -> str:
    """The dossier's status as the citizen reads it. ``result_available``: a signed digital
    result of the dossier can be downloaded (it is not «waiting to be returned» then)."""
    if result_available and state in RESULT_STATES:
        return str(RESULT_AVAILABLE)
    return str(STATES.get(state, _("Đang xử lý")))


def note_for(event: Any) -> str:
    """The part of the event's note and data addressed to the citizen ("" for none)."""
    rule = EVENTS.get(event.action)
    if rule is None or not rule.note:
        return ""
    if event.action in APPLICANT_NOTES and getattr(event, "actor_role", "applicant") != \
            "applicant":
        return ""
    note = " ".join((event.note or "").split()) if event.action != "request_supplement" \
        else "; ".join(line.strip(" -•\t") for line in (event.note or "").splitlines()
                       if line.strip(" -•\t"))
    if event.action == "apology":
        new_due = _moment((event.data or {}).get("new_due_at"))
        if new_due is not None:
            when = str(_("Ngày hẹn trả kết quả mới: %(at)s")) % {
                "at": timezone.localtime(new_due).strftime("%H:%M %d/%m/%Y")}
            note = f"{note}. {when}" if note else when
    return note


def timeline(events: Iterable[Any], *, notes: bool = True) -> list[Entry]:
    """The citizen's timeline: listed events with their labels and (``notes``) the notes
    addressed to them; a run of internal steps as one entry at its first step's time."""
    entries: list[Entry] = []
    for event in events:
        rule = EVENTS.get(event.action)
        if rule is None:
            continue
        if rule.internal:
            if entries and entries[-1].kind == PROCESSING:
                last = entries[-1]
                entries[-1] = Entry(PROCESSING, last.at, last.label, "", event.to_state)
            else:
                entries.append(Entry(PROCESSING, event.created_at, str(rule.label), "",
                                     event.to_state))
            continue
        entries.append(Entry(event.action, event.created_at, str(rule.label),
                             note_for(event) if notes else "", event.to_state))
    return entries


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


@dataclass(frozen=True)
class Part:
    """One agency's part of a combined (liên thông) dossier, as the citizen reads it."""

    agency: str
    step: str
    label: str
    reason: str = ""  # a refusal's reason, addressed to the citizen


def parts(handovers: Iterable[Any]) -> list[Part]:
    """Each agency the dossier was handed to, its latest handover: working on it, done, or
    refused and why. Results are listed with the dossier's once all are ready (``RESULT_STATES``),
    the answers' other notes stay between the agencies."""
    latest: dict[Any, Any] = {}
    for handover in handovers:
        latest[handover.to_agency_id] = handover  # in the order sent: the last one wins
    shown = []
    for handover in latest.values():
        if handover.outcome == "refusal":
            label, reason = _("Từ chối"), handover.answer
        elif handover.outcome == "result":
            label, reason = _("Đã giải quyết xong"), ""
        elif handover.answered_at is None:
            label, reason = _("Đang giải quyết"), ""
        else:
            continue  # recalled by the sending agency: not this agency's part any more
        shown.append(Part(handover.to_agency.name, handover.step, str(label), reason))
    return shown
