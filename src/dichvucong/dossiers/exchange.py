"""Inter-agency exchange (liên thông): handing a dossier to another agency for a step of the
procedure's routing, that agency's answer, and the clock ledger of who held the dossier.

The routing is procedure-definition data (``workflow/routing.py`` over the definition's
``workflow`` steps, else ``DEFAULT_STEPS``). ``transfer`` (specialist of the dossier's agency)
opens a ``Handover`` to the chosen agency with the routed step's share of the processing time
as its own deadline, counted in working time on the receiving agency's calendar from the
handover. The receiving agency's officials holding the step's role (or its leader) answer with a
result or a refusal: that is ``take_back`` taken as the exchange (``system``) in the same
transaction, so the dossier returns to the sending specialist. Anything else that takes the
dossier out of ``transferred`` (the sender's own ``take_back`` of an answer that came by hand, a
withdrawal, a stop) closes the open handover as recalled (``actions.perform``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from dichvucong.accounts.models import Role, User
from dichvucong.agencies.models import Agency
from dichvucong.catalog.definition import DEFAULT_STEPS, ProcedureDefinition
from dichvucong.dossiers import actions, lifecycle
from dichvucong.dossiers.access import handover_roles
from dichvucong.dossiers.actions import ActionOutcome, StaleDossier
from dichvucong.dossiers.clock import calendar_for
from dichvucong.dossiers.lifecycle import Action, LifecycleRole, State
from dichvucong.dossiers.models import (
    Attachment,
    Dossier,
    DossierEvent,
    Handover,
    HandoverOutcome,
)
from dichvucong.dossiers.submission import attach
from dichvucong.workflow.ledger import Ledger, Mark, Part, ledger, transfer_holders
from dichvucong.workflow.routing import RouteStep, allowed_minutes, parallel_group, route, step_for

RESULT_REQUIREMENT = "Kết quả liên thông"
ANNEX = " (tệp đính kèm)"  # a file the agency attached beside its signed result
# A routing step's agency that is not one code: the police of the dossier's own commune (the
# combined procedures of Nghị định 63/2024/NĐ-CP hand the dossier to the ward's police).
COMMUNE_POLICE = "commune_police"


class ExchangeError(Exception):
    """A refused answer; ``message`` is Vietnamese, for the officer."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def route_of(definition: ProcedureDefinition) -> tuple[RouteStep, ...]:
    """The procedure's routing: its workflow steps, or the default plan."""
    if definition.workflow:
        return route((s.name, s.role, s.share, s.agency, s.parallel, s.kind)
                     for s in definition.workflow)
    return route((name, role, share, None) for name, role, share in DEFAULT_STEPS)


def route_for(dossier: Dossier) -> tuple[RouteStep, ...]:
    """The dossier's routing, each step's agency a real agency's code (``commune_police``:
    the police of the commune of the dossier's agency)."""
    steps = route_of(dossier.procedure_version.parsed())
    if not any(step.agency == COMMUNE_POLICE for step in steps):
        return steps
    police = Agency.objects.filter(
        kind=Agency.Kind.COMMUNE_POLICE, administrative_unit__isnull=False,
        administrative_unit_id=dossier.agency.administrative_unit_id,
    ).values_list("code", flat=True).first()
    return tuple(replace(step, agency=police or COMMUNE_POLICE)
                 if step.agency == COMMUNE_POLICE else step for step in steps)


def processing_minutes(dossier: Dossier, moment: datetime) -> int | None:
    """The dossier's processing time in working minutes (reception to the original due time,
    supplements excluded): what the steps' shares divide."""
    due = dossier.original_due_at or dossier.due_at
    if dossier.received_at is None or due is None:
        return None
    calendar = calendar_for(moment, dossier.agency_id)
    return max(calendar.working_minutes_between(dossier.received_at, due), 0)


def routed_agencies(dossier: Dossier) -> list[str]:
    """The codes of the agencies the routing hands the dossier to, in order."""
    return [step.agency for step in route_for(dossier) if step.agency]


def open_handovers(dossier: Dossier, to_agency: Agency, user: User | None, note: str,
                   now: datetime) -> list[Handover]:
    """The handovers written with a ``transfer`` event (call in its transaction): to
    ``to_agency`` and, when its routed step is parallel, to the other agencies of its group at
    the same time, each with its own step and deadline."""
    steps = route_for(dossier)
    group = [step for step in parallel_group(steps, to_agency.code) if step.agency]
    others = {a.code: a for a in Agency.objects.filter(
        code__in=[s.agency for s in group if s.agency != to_agency.code])}
    targets = [to_agency] + [others[s.agency] for s in group if s.agency in others]
    return [_open(dossier, steps, agency, user, note, now) for agency in targets]


def _open(dossier: Dossier, steps: tuple[RouteStep, ...], to_agency: Agency, user: User | None,
          note: str, now: datetime) -> Handover:
    step = step_for(steps, State.transferred.value, to_agency.code)
    total = processing_minutes(dossier, now)
    allowed = allowed_minutes(total, step.share) if total is not None else None
    if allowed is not None:
        due = calendar_for(now, to_agency.pk).add_working_minutes(now, allowed)
    else:  # a handover the routing does not state: the dossier's own due time binds it
        due = dossier.due_at
    return Handover.objects.create(
        dossier=dossier, from_agency_id=dossier.agency_id, to_agency=to_agency, step=step.name,
        role=step.role, allowed_minutes=allowed, request=note, sent_at=now, sent_by=user,
        due_at=due)


@dataclass(frozen=True)
class Shared:
    """What the receiving agency of a handover gets of the dossier (need to know): the form
    fields and documents its routing step declares (``WorkflowStep.handover_data``), or, for a
    step declaring none (and an ad hoc handover), the whole form and every document; always its
    own answer's files. The back office's «Liên thông đến», its downloads and the handovers API
    all read the dossier through it."""

    fields: frozenset[str] | None  # None: every field of the form
    documents: frozenset[str] | None  # None: every document
    own_answer: frozenset[str]  # what this handover's own answer files are attached as

    def form(self, dossier: Dossier) -> dict:
        return {k: v for k, v in (dossier.form_data or {}).items()
                if not k.startswith("_") and (self.fields is None or k in self.fields)}

    def attachments(self, dossier: Dossier) -> QuerySet[Attachment]:
        found = dossier.attachments.all()
        if self.documents is None:
            return found
        return found.filter(requirement__in=sorted(self.documents | self.own_answer))


def shared_with(handover: Handover) -> Shared:
    """What ``handover``'s agency gets: its step of the dossier's definition, by name (the
    handover keeps its step's name; the agency of a ``commune_police`` step is resolved)."""
    step = next((s for s in handover.dossier.procedure_version.parsed().workflow
                 if s.agency and s.name == handover.step), None)
    data = step.handover_data if step is not None else None
    own = frozenset({result_requirement(handover), result_requirement(handover) + ANNEX})
    if data is None:
        return Shared(None, None, own)
    return Shared(frozenset(data.fields), frozenset(data.documents), own)


def may_answer(user: User, handover: Handover) -> bool:
    return bool(handover_roles(user, handover.to_agency_id) & {handover.role, Role.LEADER})


def answer(handover_id: int, user: User | None, outcome: str, note: str, *,
           expected_revision: int | None, result_file: UploadedFile | None = None,
           signed_file: UploadedFile | None = None, now: datetime | None = None,
           system: tuple[int, str] | None = None) -> ActionOutcome:
    """The receiving agency's answer: the dossier goes back to the sending agency with the
    result (a note and maybe a file) or the refusal and its reason; of parallel handovers, with
    the last answer (``event`` is None before it). ``system``: (agency id, name) of the
    receiving agency's machine client answering through the API, with no user.
    ``signed_file``: the agency's signed result (``results/handovers.py``), the answer's result
    then, and ``result_file`` beside it as an annex. Raises
    ExchangeError, StaleDossier or lifecycle.TransitionError; nothing changes then."""
    now = now or timezone.now()
    note = (note or "").strip()
    if outcome not in (HandoverOutcome.RESULT, HandoverOutcome.REFUSAL):
        raise ExchangeError("Cần chọn trả kết quả hoặc từ chối.", "outcome")
    if outcome == HandoverOutcome.REFUSAL and not note:
        raise ExchangeError("Cần ghi lý do từ chối phối hợp.", "note")
    if outcome == HandoverOutcome.RESULT and not note and result_file is None \
            and signed_file is None:
        raise ExchangeError("Cần ghi nội dung kết quả hoặc đính kèm tệp kết quả.", "note")
    with transaction.atomic():
        dossier_id = Handover.objects.values_list("dossier_id", flat=True).get(pk=handover_id)
        # The dossier row first: of parallel handovers answered at once, one is the last.
        dossier = Dossier.objects.select_for_update().get(pk=dossier_id)
        handover = Handover.objects.select_for_update().select_related("to_agency").get(
            pk=handover_id)
        allowed = (system[0] == handover.to_agency_id if system is not None
                   else user is not None and may_answer(user, handover))
        if not allowed:
            raise ExchangeError("Bạn không có vai trò trả lời hồ sơ liên thông này.")
        if not handover.is_open:
            raise StaleDossier(StaleDossier.message)
        if Handover.objects.filter(dossier_id=dossier_id, answered_at__isnull=True).exclude(
                pk=handover.pk).exists():
            # Another agency still holds its part: this answer waits beside the dossier, which
            # goes back to the sender with the last one.
            if expected_revision is not None and dossier.revision != expected_revision:
                raise StaleDossier(StaleDossier.message)
            _record_answer(handover, dossier, user, outcome, note, result_file, signed_file,
                           now)
            return ActionOutcome(dossier=dossier, event=None)
        done = actions.perform(
            handover.dossier_id, Action.take_back, user, LifecycleRole.system, note,
            expected_revision=expected_revision, now=now,
            data={"handover": handover.pk, "outcome": outcome,
                  "from_agency": handover.to_agency_id,
                  "from_agency_name": handover.to_agency.name,
                  **({"system": system[1]} if system is not None else {})})
        stored = _record_answer(handover, done.dossier, user, outcome, note, result_file,
                                signed_file, now)
        if stored is not None:
            done.event.data = {**done.event.data, "attachment": stored.pk,
                               "file_name": stored.original_name}
            done.event.save(update_fields=["data"])
    return done


def _record_answer(handover: Handover, dossier: Dossier, user: User | None, outcome: str,
                   note: str, result_file: UploadedFile | None,
                   signed_file: UploadedFile | None, now: datetime):
    stored = None
    if signed_file is not None:
        stored = attach(dossier, result_requirement(handover), signed_file, user)
        if result_file is not None:
            attach(dossier, result_requirement(handover) + ANNEX, result_file, user)
    elif result_file is not None:
        stored = attach(dossier, result_requirement(handover), result_file, user)
    if stored is not None:
        handover.result = stored
    handover.answered_at, handover.answered_by = now, user
    handover.outcome, handover.answer = outcome, note
    handover.save()
    return stored


# --- the clock ledger --------------------------------------------------------------------------

_STOPPED = {State.processing_supplement.value, State.paused.value}


def ledger_of(dossier: Dossier, events: list[DossierEvent], handovers: list[Handover],
              now: datetime) -> Ledger | None:
    """Who held the dossier, how long, against which share (``workflow/ledger.py``), from its
    events: each change of state from reception on is a mark; a transfer is held by the agency
    it went to. None before reception."""
    if dossier.received_at is None:
        return None
    steps = route_for(dossier)
    home = dossier.agency.code
    sent_to = _holders(handovers)  # in the order of the transfers
    marks: list[Mark] = []
    for event in events:
        if not marks and event.to_state != State.received.value:
            continue  # before reception no clock runs
        if not event.to_state or event.from_state == event.to_state:
            continue  # an apology, a fee: no change of holder
        if event.to_state not in lifecycle.PROCESSING_STATES \
                and event.to_state != State.paused.value:
            break  # the end of processing
        holder = home
        if event.to_state == State.transferred.value:
            holder = sent_to.pop(0) if sent_to else str(event.data.get("to_agency_code", ""))
        marks.append(Mark(max(event.created_at, dossier.received_at), holder,
                          step_for(steps, event.to_state, holder).name,
                          running=event.to_state not in _STOPPED))
    end = now if dossier.state in lifecycle.PROCESSING_STATES or dossier.finished_at is None \
        else dossier.finished_at
    if marks and marks[-1].at > end:
        # Received outside working hours, its clock starts at the next working moment: until
        # then each agency that held it is listed with no time yet.
        end = marks[-1].at
    total = processing_minutes(dossier, now) or 0
    allowed: dict[tuple[str, str], int | None] = {}
    for step in steps:
        allowed[(step.agency or home, step.name)] = allowed_minutes(total, step.share)
    for handover in handovers:
        allowed.setdefault((handover.to_agency.code, handover.step), handover.allowed_minutes)
    return ledger(calendar_for(now, dossier.agency_id), marks, end, allowed)


def result_requirement(handover: Handover) -> str:
    """What a handover's answer files are attached to the dossier as."""
    return f"{RESULT_REQUIREMENT}: {handover.step}"


def _holders(handovers: list[Handover]) -> list[str]:
    """Per transfer, the agency that held the dossier (``workflow/ledger.py:
    transfer_holders``: of parallel handovers, the last to answer)."""
    return transfer_holders(Part(h.sent_at, h.to_agency.code, h.answered_at, h.due_at, h.pk)
                            for h in handovers)
