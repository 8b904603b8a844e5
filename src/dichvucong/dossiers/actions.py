"""The only place that changes a dossier's state: each action checks the lifecycle rules, moves
the clock, writes the dossier and its event in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from dichvucong.accounts.models import User
from dichvucong.dossiers import lifecycle
from dichvucong.dossiers.clock import calendar_for, time_limit
from dichvucong.dossiers.codes import next_code, number_inserted
from dichvucong.dossiers.lifecycle import Action, ClockEffect, State
from dichvucong.dossiers.models import Dossier, DossierEvent, Handover, HandoverOutcome
from dichvucong.workflow.deadlines import compute_due, resume_due
from dichvucong.workflow.routing import agency_path


class StaleDossier(Exception):
    """Someone else changed the dossier since the page was shown."""

    message = "Hồ sơ vừa được người khác xử lý. Hãy xem lại trạng thái mới rồi thao tác lại."


@dataclass
class ActionOutcome:
    dossier: Dossier
    event: DossierEvent


def perform(dossier_id: int, action: Action | str, actor: User | None,
            role: lifecycle.LifecycleRole | str,
            note: str = "", *, expected_revision: int | None = None,
            data: dict[str, Any] | None = None, now=None) -> ActionOutcome:
    """Take ``action`` on the dossier as ``role``. Raises lifecycle.TransitionError when the
    rules refuse, StaleDossier when ``expected_revision`` is no longer current; nothing changes
    then. Two officers acting at the same moment: the row lock (PostgreSQL) or the write lock
    (SQLite) orders them, and the second finds the state or revision moved on."""
    now = now or timezone.now()
    with transaction.atomic():
        # of=("self",): lock the dossier only. Locking the joined agency and procedure version
        # too (PostgreSQL's default) serialises, and with the sequence's foreign-key checks
        # deadlocks, every submission to the same agency.
        dossier = (Dossier.objects.select_for_update(of=("self",))
                   .select_related("procedure_version", "agency").get(pk=dossier_id))
        if expected_revision is not None and dossier.revision != expected_revision:
            raise StaleDossier(StaleDossier.message)
        path = agency_path(dossier.procedure_version.parsed().workflow)
        result = lifecycle.check(dossier.state, action, role, note, path)
        source = dossier.state
        _move_clock(dossier, result.clock, now)
        if result.target == State.submitted and dossier.code is None:
            dossier.code = next_code(dossier.agency, timezone.localdate(now))
        if result.action == Action.submit and dossier.submitted_at is None:
            dossier.submitted_at = now
        dossier.state = result.target.value
        dossier.step_role = path.role_for(dossier.state) or ""
        dossier.national_status = lifecycle.national_status(result.target)
        dossier.revision += 1
        dossier.save()
        event = DossierEvent.objects.create(
            dossier=dossier, action=result.action.value, from_state=source,
            to_state=result.target.value, actor=actor, actor_role=str(result.role),
            note=note.strip(), data=data or {}, created_at=now,
        )
        if source == State.transferred.value:
            # Whatever takes the dossier out of liên thông (taken back by hand, withdrawn,
            # stopped) ends its open handover; an answer then writes its own outcome over it.
            Handover.objects.filter(dossier=dossier, answered_at__isnull=True).update(
                answered_at=now, answered_by=actor, outcome=HandoverOutcome.RECALLED)
    return ActionOutcome(dossier=dossier, event=event)


def submit_new(dossier: Dossier, actor: User | None, role: lifecycle.LifecycleRole | str,
               store_attachments=None, *, data: dict[str, Any] | None = None,
               now=None) -> ActionOutcome:
    """File a dossier that is not in the database yet straight into ``submitted``: the same
    rules, code and event as ``perform(…, Action.submit, …)`` on a draft, in fewer statements
    (the API's all-or-nothing submission keeps no draft). Call inside a transaction.

    ``store_attachments(dossier)`` writes the files once the dossier has its id. The code is
    taken last: the sequence row stays locked from there to the commit, so concurrent
    submissions to one agency wait for one UPDATE only, not for the whole filing."""
    now = now or timezone.now()
    result = lifecycle.check(State.draft, Action.submit, role)
    _move_clock(dossier, result.clock, now)
    dossier.state = result.target.value
    dossier.national_status = lifecycle.national_status(result.target)
    dossier.submitted_at = now
    dossier.revision = 1
    dossier.save(force_insert=True)
    if store_attachments is not None:
        store_attachments(dossier)
    event = DossierEvent.objects.create(
        dossier=dossier, action=result.action.value, from_state=State.draft.value,
        to_state=result.target.value, actor=actor, actor_role=str(result.role),
        data=data or {}, created_at=now)
    if not dossier.code:  # one taken in from the national portal keeps the portal's code
        dossier.code = number_inserted(dossier.pk, dossier.agency, timezone.localdate(now))
    return ActionOutcome(dossier=dossier, event=event)


def _move_clock(dossier: Dossier, effect: ClockEffect, now) -> None:
    if effect == ClockEffect.none:
        return
    calendar = calendar_for(now, dossier.agency_id)
    if effect == ClockEffect.start:
        if dossier.code is None:  # walk-in dossiers are numbered on reception
            dossier.code = next_code(dossier.agency, timezone.localdate(now))
        dossier.received_at = calendar.next_working_moment(now)
        limit = time_limit(dossier.procedure_version.parsed(), dossier.channel)
        if limit is not None:
            dossier.due_at = dossier.original_due_at = compute_due(calendar, now, limit)
    elif effect == ClockEffect.pause:
        dossier.paused_at = now
    elif effect == ClockEffect.resume:
        if dossier.paused_at is not None and dossier.due_at is not None:
            dossier.due_at = resume_due(calendar, dossier.due_at, dossier.paused_at, now, "pause")
            if dossier.original_due_at is not None:
                # The citizen's waiting time is excluded from the original deadline too: only an
                # apology's new appointment leaves it behind (on-time statistics use it).
                dossier.original_due_at = resume_due(calendar, dossier.original_due_at,
                                                     dossier.paused_at, now, "pause")
        dossier.paused_at = None
    elif effect == ClockEffect.end:
        dossier.finished_at = now
