"""The back office's writes. Every change of state goes through ``dossiers.actions.perform``;
what an action needs besides (the assignee of an assignment, the result file of an issue) is
written in the same transaction, so that it happens exactly when the action does. The apology
(Mẫu 04) is not a change of state: ``apologise`` writes it under the same row lock and revision
rule as ``perform``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from dichvucong.accounts.models import Role, User
from dichvucong.agencies.models import Agency
from dichvucong.catalog.models import Procedure
from dichvucong.catalog.queries import active_procedures
from dichvucong.dossiers import access, actions, exchange, lifecycle
from dichvucong.dossiers.actions import ActionOutcome, StaleDossier
from dichvucong.dossiers.clock import calendar_for
from dichvucong.dossiers.lifecycle import PROCESSING, Action, LifecycleRole, State
from dichvucong.dossiers.models import Attachment, Dossier, DossierChannel, DossierEvent
from dichvucong.dossiers.submission import attach, keep_fee, quote_fee, to_json
from dichvucong.workflow.deadlines import WorkingCalendar, step_deadlines
from dichvucong.workflow.routing import DEFAULT_PATH, AgencyPath, agency_path, step_plan

from .timing import ApologyNeed
from .timing import apology_need as timing_apology_need

APOLOGY = "apology"
RESULT_REQUIREMENT = "Kết quả giải quyết"
OFFICIAL_LIFECYCLE_ROLES = frozenset({LifecycleRole.reception_officer, LifecycleRole.specialist,
                                      LifecycleRole.leader, LifecycleRole.agency_head})
APPLICANT_KEY = "_applicant"  # walk-in applicant's details kept with the form data


class BackofficeError(Exception):
    """A refused back-office operation; ``message`` is Vietnamese, for the officer."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def official_roles(user: User, dossier: Dossier) -> set[LifecycleRole]:
    """The lifecycle roles ``user`` acts in on ``dossier`` in the back office: an official acts
    as an official, never as the applicant."""
    return access.lifecycle_roles(user, dossier) & OFFICIAL_LIFECYCLE_ROLES


def path_of(dossier: Dossier) -> AgencyPath:
    """The internal path of the dossier's procedure version (its routing's steps)."""
    return agency_path(dossier.procedure_version.parsed().workflow)


def acting_role(held: set[LifecycleRole], state: str, action: Action,
                path: AgencyPath = DEFAULT_PATH) -> LifecycleRole | None:
    """The role to act in: one of ``held`` the lifecycle allows for ``action`` now, else any
    held role (so that lifecycle.check words the refusal), or None when nothing is held."""
    for role in sorted(held):
        if action in lifecycle.allowed_actions(state, [role], path):
            return role
    return min(held) if held else None


def act(dossier_id: int, action: Action, user: User, role: LifecycleRole, note: str = "", *,
        expected_revision: int, data: dict[str, Any] | None = None,
        assignee: User | None = None, result_file: UploadedFile | None = None,
        pending_result: Callable[[Dossier], Any] | None = None) -> ActionOutcome:
    """``actions.perform`` and what the action carries, in one transaction: nothing of it is
    written when the rules refuse or someone else acted first. ``pending_result(dossier)``: the
    digital result being signed for the dossier, if any (``results/issuing.py:
    signing_in_progress``, passed in by the page: the results app sits above the back office)."""
    with transaction.atomic():
        outcome = actions.perform(dossier_id, action, user, role, note,
                                  expected_revision=expected_revision, data=data)
        dossier = outcome.dossier
        if action == Action.assign:
            if assignee is None or not assignee.memberships.filter(
                    agency_id=dossier.agency_id, role=Role.SPECIALIST).exists():
                raise BackofficeError("Cần chọn một chuyên viên của cơ quan.", "assignee")
            Dossier.objects.filter(pk=dossier.pk).update(assignee=assignee)
            dossier.assignee = assignee
        if action == Action.transfer:
            target = Agency.objects.get(pk=(data or {})["to_agency"])
            exchange.open_handovers(dossier, target, user, note, outcome.event.created_at)
        if action == Action.provide_supplement and result_file is not None:
            stored = attach(dossier, "Bổ sung tại bộ phận một cửa", result_file, user)
            outcome.event.data = {**outcome.event.data, "attachment": stored.pk,
                                  "file_name": stored.original_name, "at_counter": True}
            outcome.event.save(update_fields=["data"])
        if action == Action.issue_result:
            # The dossier row is locked by perform(): a digital result being signed would move
            # the dossier too; one way to «result ready» at a time.
            pending = pending_result(dossier) if pending_result is not None else None
            if pending is not None:
                raise BackofficeError(f"Kết quả số {pending.number} đang được ký số; hồ sơ sẽ "
                                      "tự chuyển sang chờ trả kết quả khi ký xong.", "result")
            if result_file is None:
                raise BackofficeError("Cần đính kèm tệp kết quả giải quyết.", "result")
            stored = attach(dossier, RESULT_REQUIREMENT, result_file, user)
            try:
                outcome.event.data = {**outcome.event.data, "attachment": stored.pk,
                                      "file_name": stored.original_name}
                outcome.event.save(update_fields=["data"])
            except Exception:
                stored.file.delete(save=False)
                raise
    return outcome


# --- apology and new appointment (Mẫu 04) ------------------------------------------------------


def has_apology(events: list[DossierEvent]) -> bool:
    return any(event.action == APOLOGY for event in events)


def apology_need(dossier: Dossier, calendar: WorkingCalendar, now: datetime,
                 events: list[DossierEvent], plan: list[Step] | None = None) -> ApologyNeed:
    """Whether the apology (Mẫu 04) is required, advised or only offered (timing.apology_need):
    behind schedule means a step not finished by its own deadline."""
    if plan is None:
        plan = steps(dossier, calendar, now, events)
    behind = any(step.late and step.done_at is None for step in plan)
    return timing_apology_need(calendar, now, dossier.due_at,
                               processing=dossier.state in PROCESSING, sent=has_apology(events),
                               behind_schedule=behind, paused_at=dossier.paused_at)


def apologise(dossier_id: int, user: User, reason: str, new_due_at: datetime,
              expected_revision: int, *, now: datetime | None = None) -> DossierEvent:
    """Record the apology with its reason and set the new appointment. Only one per dossier;
    ``original_due_at`` stays, on-time statistics use it. Raises BackofficeError or
    StaleDossier; nothing changes then."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise BackofficeError("Cần ghi lý do chậm trễ để gửi văn bản xin lỗi.", "reason")
    if timezone.is_naive(new_due_at):
        new_due_at = timezone.make_aware(new_due_at)
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update().get(pk=dossier_id)
        if dossier.revision != expected_revision:
            raise StaleDossier(StaleDossier.message)
        held = official_roles(user, dossier)
        if not held:
            raise BackofficeError("Bạn không có vai trò xử lý hồ sơ này.")
        if dossier.state not in PROCESSING or dossier.due_at is None:
            raise BackofficeError("Chỉ xin lỗi và hẹn lại với hồ sơ đang giải quyết có hạn trả "
                                  "kết quả.")
        if DossierEvent.objects.filter(dossier=dossier, action=APOLOGY).exists():
            raise BackofficeError("Hồ sơ đã có văn bản xin lỗi và hẹn lại một lần; chỉ được hẹn "
                                  "lại một lần.")
        calendar = calendar_for(now, dossier.agency_id)
        if new_due_at <= dossier.due_at or new_due_at <= now:
            raise BackofficeError("Ngày hẹn mới phải sau hạn hiện tại và sau thời điểm này.",
                                  "new_due")
        if not calendar.is_due_time(new_due_at):
            raise BackofficeError("Ngày hẹn mới phải là ngày làm việc, trong giờ làm việc.",
                                  "new_due")
        old_due_at = dossier.due_at
        new_due_at = calendar.localize(new_due_at)
        dossier.due_at = new_due_at
        dossier.revision += 1
        dossier.save(update_fields=["due_at", "revision", "updated_at"])
        return DossierEvent.objects.create(
            dossier=dossier, action=APOLOGY, from_state=dossier.state, to_state=dossier.state,
            actor=user, actor_role=str(min(held)), note=reason,
            data={"new_due_at": new_due_at.isoformat(),
                  "old_due_at": calendar.localize(old_due_at).isoformat()},
        )


# --- step deadlines ----------------------------------------------------------------------------

# The action that finishes a step done by ``role``.
STEP_DONE_BY = {"specialist": (Action.examine.value,),
                "leader": (Action.approve.value, Action.refuse.value),
                "reception_officer": (Action.issue_result.value, Action.return_result.value),
                "clerk": (Action.issue_result.value,)}
# The action that finishes a step of the internal path that names its kind (two leaders' steps,
# the review and the approval, are then told apart).
KIND_DONE_BY = {"assign": (Action.assign.value,), "process": (Action.examine.value,),
                "review": (Action.review.value,),
                "approve": (Action.approve.value, Action.refuse.value),
                "issue": (Action.issue_result.value, Action.return_result.value)}


@dataclass
class Step:
    name: str
    role: str
    due_at: datetime
    done_at: datetime | None
    late: bool

    @property
    def role_label(self) -> str:
        try:
            return LifecycleRole(self.role).label
        except ValueError:
            return self.role


def steps(dossier: Dossier, calendar: WorkingCalendar, now: datetime,
          events: list[DossierEvent]) -> list[Step]:
    if dossier.received_at is None or dossier.due_at is None:
        return []
    definition = dossier.procedure_version.parsed()
    plan = step_plan(exchange.route_of(definition))
    try:
        deadlines = step_deadlines(calendar, dossier.received_at, dossier.due_at,
                                   [share for _n, _r, share, _k in plan])
    except ValueError:
        return []
    done: dict[str, datetime] = {}
    done_kind: dict[str, datetime] = {}
    for event in events:
        for role, finishing in STEP_DONE_BY.items():
            if event.action in finishing and role not in done:
                done[role] = event.created_at
        for kind, finishing in KIND_DONE_BY.items():
            if event.action in finishing and kind not in done_kind:
                done_kind[kind] = event.created_at
    result = []
    for (name, role, _share, kind), due in zip(plan, deadlines, strict=True):
        finished = done_kind.get(kind) if kind else done.get(role)
        late = (finished or now) > due
        result.append(Step(name=name, role=role, due_at=due, done_at=finished, late=late))
    return result


# --- walk-in intake ----------------------------------------------------------------------------


@dataclass
class WalkInApplicant:
    name: str
    id_number: str
    birth_date: date | None
    gender: str
    address: str
    phone: str
    email: str
    applicant_type: str


def counter_procedures(agency: Agency) -> QuerySet[Procedure]:
    """The procedures ``agency`` receives: its own province-level ones, or the commune-level
    ones of its kind (as submission.receiving_agencies decides where a dossier goes)."""
    own = Q(at_province=True, agency=agency)
    if agency.kind in (Agency.Kind.COMMUNE_COMMITTEE, Agency.Kind.COMMUNE_POLICE):
        commune = Q(at_commune=True) & ~Q(at_province=True, agency__isnull=False)
        if agency.kind == Agency.Kind.COMMUNE_COMMITTEE:
            commune &= Q(commune_agency_kind__in=["", agency.kind])
        else:
            commune &= Q(commune_agency_kind=agency.kind)
        own |= commune
    return active_procedures().filter(own)


def enter_walk_in(*, procedure: Procedure, agency: Agency, officer: User,
                  applicant: WalkInApplicant, form_data: dict[str, Any], delivery: str,
                  documents: list[tuple[str, UploadedFile]], note: str = "",
                  account: User | None = None) -> Dossier:
    """Create the counter's dossier (linked to the citizen's account when known), store its
    scanned documents and take ``enter_walk_in`` (numbering it and starting the clock): all or
    nothing."""
    version = procedure.current_version
    stored: list[Attachment] = []
    if account is None and applicant.id_number:
        # The citizen already has an account whose ID number VNeID confirmed: the dossier is
        # theirs to follow online. A number only typed into a profile proves nothing.
        account = User.objects.filter(id_number=applicant.id_number,
                                      id_number_verified=True, is_active=True).first()
    try:
        with transaction.atomic():
            details = {"birth_date": applicant.birth_date.isoformat()
                       if applicant.birth_date else "",
                       "gender": applicant.gender, "address": applicant.address}
            dossier = Dossier.objects.create(
                # The citizen's account when they showed its QR: the dossier is then theirs to
                # follow online too.
                procedure=procedure, procedure_version=version, agency=agency, applicant=account,
                applicant_type=applicant.applicant_type, applicant_name=applicant.name,
                applicant_id_number=applicant.id_number, applicant_phone=applicant.phone,
                applicant_email=applicant.email, channel=DossierChannel.IN_PERSON,
                state=State.draft.value, form_data={**to_json(form_data), APPLICANT_KEY: details},
                delivery=delivery,
            )
            # The fee rules as online (exemptions, quantities), on the day it is received.
            quote = quote_fee(dossier)
            dossier.save(update_fields=["fee_amount"])
            keep_fee(dossier, quote)
            for requirement, upload in documents:
                stored.append(attach(dossier, requirement, upload, officer))
            return actions.perform(dossier.pk, Action.enter_walk_in, officer,
                                   LifecycleRole.reception_officer, note,
                                   expected_revision=0).dossier
    except Exception:
        for attachment in stored:
            attachment.file.delete(save=False)
        raise
