"""Feedback and complaints without HTTP: proving an anonymous sender's phone, sending, routing,
the due time, answering, publishing without personal data, the escalation when near due, the
sender's verdict, and the counts for the IOC and Decision 766. Each refusal carries a Vietnamese
message for the person.

Rules, as decided for this portal:

- Anyone may send: a logged-in account, or anyone who proves a phone number with a one-time code
  (the accounts' codes, sent through notify's gateway). Anonymous means without an account, not
  without a contact: the answer must reach the sender.
- A feedback is about a procedure, a dossier or an official's conduct. A dossier is linked by its
  code and only by its owner: the applicant's account, or the phone the applicant gave, proved
  with a code. An unknown code and another person's dossier are refused with the same words.
- Routing: a dossier's feedback goes to the agency that holds the dossier; a procedure's to the
  agency that performs it when the catalogue names one; otherwise to the agency the sender
  chooses.
- The due time is ``conf.answer_working_days()`` working days from reception, on the agency's
  working calendar (``workflow/deadlines.py`` through ``dossiers/clock.py:calendar_for``).
- Officials of the agency (one-stop officer, specialist, leader, controller, head) answer; the
  procedure controllers of the agency above it, and the city's, may too.
- Published only when the sender agreed, and only the texts with personal data removed
  (``redaction.py``), which the official sees before answering.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from dichvucong.accounts import services as accounts
from dichvucong.accounts.identifiers import InvalidIdentifier, normalise_phone
from dichvucong.accounts.models import Membership, OneTimeCode, Role, User
from dichvucong.agencies.models import Agency
from dichvucong.catalog import queries as catalog_queries
from dichvucong.catalog.models import Procedure
from dichvucong.dossiers.access import OFFICIAL_ROLES
from dichvucong.dossiers.clock import calendar_for
from dichvucong.dossiers.models import Dossier
from dichvucong.dossiers.submission import inspect
from dichvucong.dossiers.uploads import CheckedUpload, UploadError
from dichvucong.feedback import conf
from dichvucong.feedback.models import (
    Feedback,
    FeedbackAttachment,
    Source,
    State,
    Subject,
)
from dichvucong.feedback.redaction import redact
from dichvucong.notify import outbox

log = logging.getLogger(__name__)

PURPOSE = OneTimeCode.Purpose.FEEDBACK
MAX_FILES = 5
SENDER_SALT = "dichvucong.feedback.sender"
NOT_YOURS = ("Không tìm thấy hồ sơ có mã này trong các hồ sơ của bạn. Chỉ người nộp hồ sơ được "
             "gắn hồ sơ vào phản ánh.")
# Who answers: the agency's officials; controllers above them too.
ANSWER_ROLES = (*OFFICIAL_ROLES,)
ESCALATE_ROLES = (Role.AGENCY_HEAD, Role.PROCEDURE_CONTROLLER)


class FeedbackError(Exception):
    def __init__(self, message: str, field: str | None = None, status: int = 400):
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


@dataclass(frozen=True)
class Sender:
    """Who sends: an account, or a proved phone with the name the person gave."""

    user: User | None
    name: str
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class Draft:
    subject: str
    content: str
    agency_id: int | None = None
    procedure_code: str = ""
    dossier_code: str = ""
    official: str = ""
    publish_consent: bool = False


# --- the anonymous sender's phone --------------------------------------------------------------

def send_phone_code(phone: str) -> OneTimeCode:
    """Send a code proving ``phone``. Raises FeedbackError, or notify's DeliveryError."""
    try:
        phone = normalise_phone(phone)
    except InvalidIdentifier:
        raise FeedbackError("Nhập số điện thoại di động (10 chữ số).", field="phone") from None
    return accounts.issue_code(PURPOSE, "sms", phone)


def confirm_phone(record_id: int | None, code: str) -> str:
    """The phone the code proves. Raises FeedbackError with the reason (wrong, expired …)."""
    refusal = None
    with transaction.atomic():  # a wrong try is counted and kept
        check = accounts.check_code(record_id, PURPOSE, code)
        if check.ok:
            accounts.use_code(check.record)
            phone = check.record.destination
        else:
            refusal = FeedbackError(check.message, field="code")
    if refusal is not None:
        raise refusal
    return phone


# --- sending -----------------------------------------------------------------------------------

def _owns(dossier: Dossier, sender: Sender) -> bool:
    if sender.user is not None and dossier.applicant_id == sender.user.pk:
        return True
    return bool(sender.phone) and sender.phone in {dossier.applicant_phone,
                                                   getattr(dossier.applicant, "phone", "")}


def route(draft: Draft, sender: Sender) -> tuple[Agency, Procedure | None, Dossier | None]:
    """The agency that must answer, and the procedure and dossier named. Raises FeedbackError."""
    dossier = procedure = None
    if draft.subject not in Subject.values:
        raise FeedbackError("Chọn nội dung phản ánh.", field="subject")
    if draft.dossier_code.strip():
        dossier = (Dossier.objects.select_related("agency", "procedure", "applicant")
                   .filter(code=draft.dossier_code.strip()).first())
        if dossier is None or not _owns(dossier, sender):
            raise FeedbackError(NOT_YOURS, field="dossier_code")
        return dossier.agency, dossier.procedure, dossier
    if draft.subject == Subject.DOSSIER:
        raise FeedbackError("Nhập mã hồ sơ bạn phản ánh.", field="dossier_code")
    if draft.procedure_code.strip():
        procedure = (catalog_queries.active_procedures().select_related("agency")
                     .filter(code=draft.procedure_code.strip()).first())
        if procedure is None:
            raise FeedbackError("Không có thủ tục với mã này.", field="procedure_code")
        if procedure.agency_id is not None:
            return procedure.agency, procedure, None
    agency = Agency.objects.filter(pk=draft.agency_id).first() if draft.agency_id else None
    if agency is None:
        raise FeedbackError("Chọn cơ quan bạn phản ánh.", field="agency")
    return agency, procedure, None


def due_time(agency_id: int, received_at: datetime) -> datetime:
    calendar = calendar_for(received_at, agency_id)
    return calendar.add_working_days(calendar.next_working_moment(received_at),
                                     conf.answer_working_days())


def new_reference(now: datetime) -> str:
    return f"PA{timezone.localtime(now):%y%m%d}-{secrets.token_hex(3).upper()}"


def check_files(files: Sequence[UploadedFile]) -> list[tuple[UploadedFile, CheckedUpload]]:
    if len(files) > MAX_FILES:
        raise FeedbackError(f"Gửi tối đa {MAX_FILES} tệp.", field="files")
    try:
        return [(upload, inspect(upload)) for upload in files]
    except UploadError as exc:
        raise FeedbackError(str(exc), field="files") from None


def submit(draft: Draft, sender: Sender, files: Sequence[UploadedFile] = (), *,
           source: str = Source.PORTAL, now: datetime | None = None) -> Feedback:
    """Record the feedback with its files, routed and timed. Every file is checked before
    anything is written. Raises FeedbackError."""
    now = now or timezone.now()
    content = draft.content.strip()
    if len(content) < 10:
        raise FeedbackError("Nhập nội dung phản ánh (ít nhất 10 ký tự).", field="content")
    if not sender.name.strip():
        raise FeedbackError("Nhập họ và tên.", field="name")
    if draft.subject == Subject.CONDUCT and not draft.official.strip():
        raise FeedbackError("Nhập tên hoặc chức danh của cán bộ bạn phản ánh.", field="official")
    agency, procedure, dossier = route(draft, sender)
    checked = check_files(files)
    with transaction.atomic():
        feedback = Feedback.objects.create(
            reference=new_reference(now), subject=draft.subject, source=source,
            procedure=procedure, dossier=dossier, agency=agency,
            official=draft.official.strip()[:150], content=content[:4000],
            sender=sender.user, sender_name=sender.name.strip()[:150],
            sender_phone=sender.phone, sender_email=sender.email,
            publish_consent=draft.publish_consent, received_at=now,
            due_at=due_time(agency.pk, now))
        for upload, check in checked:
            attachment = FeedbackAttachment(
                feedback=feedback, token=secrets.token_hex(16), extension=check.extension,
                original_name=check.original_name, content_type=check.content_type,
                size=check.size, sha256=check.sha256)
            attachment.file.save(f"{attachment.token}{attachment.extension}",
                                 upload if check.content is None else ContentFile(check.content),
                                 save=False)
            attachment.save()
    log.info("feedback %s received for agency %s", feedback.pk, agency.pk)
    return feedback


def sender_token(feedback: Feedback) -> str:
    """The sender's private link to their feedback (no account needed)."""
    return signing.dumps(feedback.pk, salt=SENDER_SALT)


def by_sender_token(token: str) -> Feedback | None:
    try:
        pk = signing.loads(token, salt=SENDER_SALT)
    except signing.BadSignature:
        return None
    return Feedback.objects.select_related("agency", "procedure").filter(pk=pk).first()


def of_user(user: User) -> QuerySet[Feedback]:
    return Feedback.objects.filter(sender=user).select_related("agency").order_by("-received_at")


# --- the agencies' side ------------------------------------------------------------------------

def _controlled_agencies(user: User) -> Q:
    """Agencies whose feedback ``user`` handles: where they hold an official role, and those
    directly below an agency where they are procedure controller or head."""
    own = Membership.objects.filter(user=user, role__in=ANSWER_ROLES).values("agency_id")
    above = Membership.objects.filter(user=user, role__in=ESCALATE_ROLES).values("agency_id")
    return Q(agency_id__in=own) | Q(agency__parent_id__in=above)


def handled_by(user: User) -> QuerySet[Feedback]:
    if not user.is_authenticated:
        return Feedback.objects.none()
    return (Feedback.objects.filter(_controlled_agencies(user))
            .select_related("agency", "procedure", "dossier"))


def may_handle(user: User) -> bool:
    return user.is_authenticated and Membership.objects.filter(
        user=user, role__in=ANSWER_ROLES).exists()


def publishable(feedback: Feedback, content: str | None = None,
                answer: str | None = None) -> tuple[str, str]:
    """The question and answer as they would be published: personal data removed."""
    names = (feedback.sender_name, feedback.official)
    return (redact(feedback.content if content is None else content, names),
            redact(feedback.answer if answer is None else answer, names))


def answer(feedback_id: int, official: User, text: str, *, public_content: str = "",
           public_answer: str = "", now: datetime | None = None) -> Feedback:
    """Record the answer, send it to the sender, publish it when the sender agreed. Raises
    FeedbackError."""
    now = now or timezone.now()
    text = text.strip()
    if len(text) < 10:
        raise FeedbackError("Nhập nội dung trả lời (ít nhất 10 ký tự).", field="answer")
    with transaction.atomic():
        feedback = handled_by(official).select_for_update(of=("self",)).filter(
            pk=feedback_id).first()
        if feedback is None:
            raise FeedbackError("Không tìm thấy phản ánh này trong các phản ánh bạn xử lý.",
                                status=404)
        if feedback.state == State.ANSWERED:
            raise FeedbackError("Phản ánh này đã được trả lời.", status=409)
        feedback.answer = text[:8000]
        feedback.answered_at = now
        feedback.answered_by = official
        feedback.state = State.ANSWERED
        fields = ["answer", "answered_at", "answered_by", "state"]
        if feedback.publish_consent:
            # What the official kept for publishing, redacted again: no number, address or
            # name slips back in by the edit.
            feedback.public_content, feedback.public_answer = publishable(
                feedback, public_content.strip() or None, public_answer.strip() or None)
            feedback.published_at = now
            fields += ["public_content", "public_answer", "published_at"]
        feedback.save(update_fields=fields)
        address = None if feedback.sender else {"phone": feedback.sender_phone,
                                                "email": feedback.sender_email}
        link = (reverse("feedback:mine") if feedback.sender
                else reverse("feedback:sender_view", args=[sender_token(feedback)]))
        outbox.enqueue(event="feedback.answered", dedupe_key=f"feedback:answered:{feedback.pk}",
                       user=feedback.sender, address=address,
                       context={"code": feedback.reference, "agency": feedback.agency.name,
                                "note": feedback.answer, "link": link})
    log.info("feedback %s answered by %s", feedback.pk, official.pk)
    return feedback


def rate(feedback: Feedback, satisfied: bool) -> None:
    """The sender's verdict on the answer, once."""
    if feedback.state != State.ANSWERED:
        raise FeedbackError("Phản ánh chưa được trả lời.", status=409)
    if feedback.satisfied is not None:
        raise FeedbackError("Bạn đã đánh giá câu trả lời này.", status=409)
    Feedback.objects.filter(pk=feedback.pk, satisfied__isnull=True).update(satisfied=satisfied)
    feedback.satisfied = satisfied


# --- escalation (called by the alert scan, alerts/scan.py) ------------------------------------

def escalate(now: datetime, due_before: datetime, scope: Q) -> int:
    """Tell the agency head and the procedure controllers (of the agency and of the agency
    above) about every open feedback of ``scope``'s agencies due at or before ``due_before``
    and not yet escalated; once per feedback. Returns the messages written."""
    due = Feedback.objects.filter(scope, state=State.RECEIVED, escalated_at__isnull=True,
                                  due_at__lte=due_before)
    if not due.exists():  # the usual scan: one query on the partial index, no transaction
        return 0
    sent = 0
    with transaction.atomic():
        rows = list(due.select_for_update(skip_locked=True, of=("self",))
                    .select_related("agency"))
        if not rows:
            return 0
        agency_ids = {f.agency_id for f in rows}
        parents = dict(Agency.objects.filter(pk__in=agency_ids).values_list("pk", "parent_id"))
        held: dict[int, set[int]] = {}
        for agency_id, user_id in Membership.objects.filter(
                agency_id__in=agency_ids | {p for p in parents.values() if p},
                role__in=ESCALATE_ROLES, user__is_active=True).values_list("agency_id",
                                                                           "user_id"):
            held.setdefault(agency_id, set()).add(user_id)
        users = User.objects.in_bulk({u for ids in held.values() for u in ids})
        for feedback in rows:
            who = held.get(feedback.agency_id, set()) | held.get(parents.get(feedback.agency_id),
                                                                 set())
            for user_id in sorted(who):
                outbox.enqueue(event="feedback.near_due",
                               dedupe_key=f"feedback:near_due:{feedback.pk}:{user_id}",
                               user=users[user_id],
                               context={"code": feedback.reference, "agency": feedback.agency.name,
                                        "due": feedback.due_at,
                                        "link": reverse("feedback:answer", args=[feedback.pk])})
                sent += 1
        Feedback.objects.filter(pk__in=[f.pk for f in rows]).update(escalated_at=now)
    return sent


# --- counts (the IOC, the public page, Decision 766) ------------------------------------------

@dataclass(frozen=True)
class Counts:
    received: int = 0
    answered_on_time: int = 0
    answered_late: int = 0
    open: int = 0
    open_overdue: int = 0
    satisfied_base: int = 0  # 5.2's denominator: every feedback of the period
    not_satisfied: int = 0  # said «không hài lòng», answered late, or still open past due

    @property
    def on_time_base(self) -> int:
        """5.1's denominator: the feedback received in the period."""
        return self.received

    @property
    def on_time(self) -> int:
        """5.1's numerator: answered by the due time, and (real time, as 766's spec 2.1 counts
        dossiers) those still open before their due time."""
        return self.answered_on_time + self.open - self.open_overdue

    @property
    def satisfied(self) -> int:
        return self.satisfied_base - self.not_satisfied


def _aggregates(now: datetime) -> dict:
    answered = Q(state=State.ANSWERED)
    late = Q(answered_at__gt=F("due_at"))
    open_ = Q(state=State.RECEIVED)
    overdue = open_ & Q(due_at__lt=now)
    return {
        "received": Count("pk"),
        "answered_on_time": Count("pk", filter=answered & ~late),
        "answered_late": Count("pk", filter=answered & late),
        "open": Count("pk", filter=open_),
        "open_overdue": Count("pk", filter=overdue),
        "not_satisfied": Count("pk", filter=Q(satisfied=False) | (answered & late) | overdue),
    }


def counts(start: date, end: date, agency_ids: Sequence[int] | None = None,
           now: datetime | None = None) -> Counts:
    """The feedback received from ``start`` to ``end`` (local days, both included)."""
    return counts_by_agency(start, end, agency_ids, now).get(None, Counts())


def counts_by_agency(start: date, end: date, agency_ids: Sequence[int] | None = None,
                     now: datetime | None = None) -> dict[int | None, Counts]:
    """Per agency, and under None the sum: as ``counts``. One query."""
    now = now or timezone.now()
    rows = Feedback.objects.filter(received_at__date__gte=start, received_at__date__lte=end)
    if agency_ids is not None:
        rows = rows.filter(agency_id__in=list(agency_ids))
    out: dict[int | None, Counts] = {}
    total: dict[str, int] = {}
    for row in rows.values("agency_id").order_by("agency_id").annotate(**_aggregates(now)):
        agency_id = row.pop("agency_id")
        out[agency_id] = Counts(**row, satisfied_base=row["received"])
        for key, value in row.items():
            total[key] = total.get(key, 0) + value
    out[None] = Counts(**total, satisfied_base=total.get("received", 0)) if total else Counts()
    return out


def published(limit: int = 50) -> QuerySet[Feedback]:
    """Answers published with the sender's consent: only the redacted texts are shown."""
    return (Feedback.objects.filter(published_at__isnull=False)
            .select_related("agency", "procedure").order_by("-published_at")[:limit])
