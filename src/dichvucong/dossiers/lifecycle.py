"""The dossier lifecycle: states, actions, roles and the transitions between them, as data.

Plain Python with no Django: models and views call :func:`check` before they write a state change
(and record it as an event: who, when, from, to, note), and :func:`allowed_actions` to decide which
buttons to show. Rules: docs/architecture.md «Domain rules and their sources» ("Dossier
lifecycle", "External status codes", "Supplements and lateness"); the shape of the table follows
DIGIT's workflow (action → source states, next state, roles), «Design decisions».

The state model, and why:

* Processing is three states, ``examining`` → ``awaiting_approval`` → ``approved``, not one
  ``in_processing`` state with a step field. The back office's queues ("to examine", "to approve",
  "to issue") are then one indexed condition on the state, and "only a leader approves, and only
  what a specialist forwarded" is a row of the table instead of a rule about step data. A
  procedure's own finer steps (their share of the processing time) stay workflow data on top.
  ``approved`` exists because signing and issuing the PDF runs as a background task
  («Design decisions»): the leader approves, then the system (or a specialist acting as the clerk)
  issues the result.
* Who acts in the agency's own steps is the procedure's (``workflow/routing.py:AgencyPath``,
  passed to ``check`` and ``allowed_actions``): the table's roles are the default path's; a path
  may give a step to another role (the agency's head approving, say) and add a first approval
  level, ``awaiting_review`` (``review``), which ``examine`` then leads to. A state of its own,
  for the same reason as above: "to review" is a queue, and its reviewer is a row.
* A supplement request is two states. At reception (``reception_supplement``) the dossier has not
  been received, no clock runs and the answer goes back to the reception officer
  (``submitted``); during processing (``processing_supplement``) the clock is paused and the answer
  goes back to the specialist (``examining``, the only state it can be requested from). Every row
  then has a fixed target and clock effect, with no hidden "phase" or "return_to" field.
* ``paused`` (dừng giải quyết, national code 8, Mẫu 05) ends the clock («Domain rules and their
  sources», "Supplements and lateness"), but a leader may ``resume`` it by a recorded decision (a
  stop is final unless a decision lifts it): it goes back to ``examining`` and the clock resumes,
  the stopped time excluded like a supplement wait. Without a resume decision it stays stopped
  for good.
* ``refused`` (không giải quyết), ``rejected``, ``withdrawn`` and ``done`` are final.

Lateness is deliberately absent: being overdue never blocks an action, in particular returning
the result («Domain rules and their sources», "Dossier lifecycle").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from dichvucong.workflow.routing import DEFAULT_PATH, AgencyPath

__all__ = [
    "ROUTED_ACTIONS",
    "ACCOUNT_ROLES",
    "PROCESSING",
    "PROCESSING_STATES",
    "RECEPTION",
    "SUPPLEMENT",
    "SUPPLEMENT_STATES",
    "TRANSITIONS",
    "Action",
    "ClockEffect",
    "LifecycleRole",
    "State",
    "Transition",
    "TransitionError",
    "TransitionResult",
    "allowed_actions",
    "check",
    "national_status",
]


class State(StrEnum):
    draft = "draft"
    submitted = "submitted"
    reception_supplement = "reception_supplement"
    received = "received"
    rejected = "rejected"
    examining = "examining"
    awaiting_review = "awaiting_review"
    awaiting_approval = "awaiting_approval"
    approved = "approved"
    transferred = "transferred"
    processing_supplement = "processing_supplement"
    refused = "refused"
    result_ready = "result_ready"
    returned = "returned"
    done = "done"
    withdrawn = "withdrawn"
    paused = "paused"

    @property
    def label(self) -> str:
        return _STATE_LABELS[self]


class Action(StrEnum):
    submit = "submit"
    enter_walk_in = "enter_walk_in"
    receive = "receive"
    reject = "reject"
    request_supplement = "request_supplement"
    provide_supplement = "provide_supplement"
    assign = "assign"
    examine = "examine"
    review = "review"
    send_back = "send_back"
    approve = "approve"
    refuse = "refuse"
    transfer = "transfer"
    take_back = "take_back"
    pause = "pause"
    resume = "resume"
    issue_result = "issue_result"
    return_result = "return_result"
    close = "close"
    withdraw = "withdraw"

    @property
    def label(self) -> str:
        return _ACTION_LABELS[self]


class LifecycleRole(StrEnum):
    applicant = "applicant"  # the citizen or business, or whoever acts for them
    reception_officer = "reception_officer"
    specialist = "specialist"
    leader = "leader"
    agency_head = "agency_head"  # thủ trưởng cơ quan: acts only where a procedure routes a step
    system = "system"  # background jobs and integrations (National Portal sync, liên thông)

    @property
    def label(self) -> str:
        return _ROLE_LABELS[self]


class ClockEffect(StrEnum):
    """What a transition does to the dossier's processing clock; the deadlines module acts on it."""

    none = "none"
    start = "start"  # due time set on reception
    pause = "pause"  # the applicant's supplement time is excluded
    resume = "resume"  # after a supplement or a resumed stop; the waiting time is excluded
    end = "end"  # end time recorded, no more deadline alerts


# Labels as the one-stop forms and the National Portal word them. Action labels are verbs, so that
# messages read "Không thể «Phê duyệt» hồ sơ …".
_STATE_LABELS: Mapping[State, str] = {
    State.draft: "Bản nháp",
    State.submitted: "Chờ tiếp nhận",
    State.reception_supplement: "Chờ bổ sung (chưa tiếp nhận)",
    State.received: "Đã tiếp nhận",
    State.rejected: "Từ chối tiếp nhận",
    State.examining: "Đang thẩm định",
    State.awaiting_review: "Chờ xem xét, trình lãnh đạo",
    State.awaiting_approval: "Chờ phê duyệt",
    State.approved: "Đã phê duyệt, chờ ban hành kết quả",
    State.transferred: "Đang xử lý liên thông",
    State.processing_supplement: "Chờ bổ sung (đang giải quyết)",
    State.refused: "Không giải quyết",
    State.result_ready: "Chờ trả kết quả",
    State.returned: "Đã trả kết quả",
    State.done: "Hoàn thành",
    State.withdrawn: "Đã rút hồ sơ",
    State.paused: "Dừng giải quyết",
}

_ACTION_LABELS: Mapping[Action, str] = {
    Action.submit: "Nộp",
    Action.enter_walk_in: "Tiếp nhận tại quầy",
    Action.receive: "Tiếp nhận",
    Action.reject: "Từ chối tiếp nhận",
    Action.request_supplement: "Yêu cầu bổ sung",
    Action.provide_supplement: "Bổ sung",
    Action.assign: "Phân công",
    Action.examine: "Trình phê duyệt",
    Action.review: "Xem xét, trình lãnh đạo phê duyệt",
    Action.send_back: "Trả lại chuyên viên",
    Action.approve: "Phê duyệt",
    Action.refuse: "Từ chối giải quyết",
    Action.transfer: "Chuyển liên thông",
    Action.take_back: "Nhận lại từ liên thông",
    Action.pause: "Dừng giải quyết",
    Action.resume: "Tiếp tục giải quyết",
    Action.issue_result: "Ban hành kết quả",
    Action.return_result: "Trả kết quả",
    Action.close: "Kết thúc",
    Action.withdraw: "Rút",
}

_ROLE_LABELS: Mapping[LifecycleRole, str] = {
    LifecycleRole.applicant: "Người nộp hồ sơ",
    LifecycleRole.reception_officer: "Cán bộ một cửa",
    LifecycleRole.specialist: "Chuyên viên",
    LifecycleRole.leader: "Lãnh đạo",
    LifecycleRole.agency_head: "Thủ trưởng cơ quan",
    LifecycleRole.system: "Hệ thống",
}

# Account roles (accounts.models.Role) → lifecycle roles. Agents and digital teams act for the
# citizen, with recorded consent; the watching roles (controller, IOC, inspector …) act on none.
ACCOUNT_ROLES: Mapping[str, LifecycleRole] = MappingProxyType(
    {
        "service_agent": LifecycleRole.applicant,
        "digital_team": LifecycleRole.applicant,
        "reception_officer": LifecycleRole.reception_officer,
        "specialist": LifecycleRole.specialist,
        "leader": LifecycleRole.leader,
        "agency_head": LifecycleRole.agency_head,
    }
)

# Not yet received: the applicant may still withdraw, nothing counts against the agency.
RECEPTION: frozenset[State] = frozenset({State.submitted, State.reception_supplement})
# Received and not finished: the processing clock is running (or paused for a supplement).
PROCESSING: frozenset[State] = frozenset(
    {
        State.received,
        State.examining,
        State.awaiting_review,
        State.awaiting_approval,
        State.approved,
        State.transferred,
        State.processing_supplement,
    }
)
# Waiting for the applicant's supplement, at reception or during processing.
SUPPLEMENT: frozenset[State] = frozenset({State.reception_supplement, State.processing_supplement})
# The same sets as the values stored in ``Dossier.state``, in the states' order (queries and the
# alert scan's partial indexes are written with them).
PROCESSING_STATES: tuple[str, ...] = tuple(s.value for s in State if s in PROCESSING)
SUPPLEMENT_STATES: tuple[str, ...] = tuple(s.value for s in State if s in SUPPLEMENT)


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[State]
    target: State
    roles: frozenset[LifecycleRole]
    requires_note: bool = False
    note_label: str = ""  # what the note must state (form field label, error message)
    starts_clock: bool = False
    pauses_clock: bool = False
    resumes_clock: bool = False
    ends_clock: bool = False

    @property
    def clock(self) -> ClockEffect:
        if self.starts_clock:
            return ClockEffect.start
        if self.pauses_clock:
            return ClockEffect.pause
        if self.resumes_clock:
            return ClockEffect.resume
        if self.ends_clock:
            return ClockEffect.end
        return ClockEffect.none


def _t(
    action: Action,
    sources: Iterable[State],
    target: State,
    roles: Iterable[LifecycleRole],
    *,
    note: str = "",
    clock: ClockEffect = ClockEffect.none,
) -> Transition:
    return Transition(
        action=action,
        sources=frozenset(sources),
        target=target,
        roles=frozenset(roles),
        requires_note=bool(note),
        note_label=note,
        starts_clock=clock is ClockEffect.start,
        pauses_clock=clock is ClockEffect.pause,
        resumes_clock=clock is ClockEffect.resume,
        ends_clock=clock is ClockEffect.end,
    )


S, A, R, C = State, Action, LifecycleRole, ClockEffect  # short names keep the table readable

# fmt: off
_ROWS: tuple[Transition, ...] = (
    # Reception. `system` submits and answers for dossiers filed on the National Portal (API).
    _t(A.submit, {S.draft}, S.submitted, {R.applicant, R.system}),
    _t(A.enter_walk_in, {S.draft}, S.received, {R.reception_officer}, clock=C.start),
    _t(A.receive, {S.submitted}, S.received, {R.reception_officer}, clock=C.start),
    # Stop (8), rejection (3) and withdrawal (7) end the clock (docs/architecture.md, "Supplements
    # and lateness").
    _t(A.reject, {S.submitted}, S.rejected, {R.reception_officer},
       note="lý do từ chối tiếp nhận", clock=C.end),
    # Mẫu 02 lists everything missing at once; no clock runs before reception.
    _t(A.request_supplement, {S.submitted}, S.reception_supplement, {R.reception_officer},
       note="các giấy tờ cần bổ sung, hoàn thiện"),
    # The reception officer records papers a citizen hands in at the counter (walk-in dossiers
    # have no account to answer from).
    _t(A.provide_supplement, {S.reception_supplement}, S.submitted,
       {R.applicant, R.system, R.reception_officer}),
    # Processing.
    _t(A.assign, {S.received}, S.examining, {R.leader}),
    _t(A.examine, {S.examining}, S.awaiting_approval, {R.specialist}),
    # The first of two approval levels (a procedure whose routing has a review step: examine
    # leads here instead, see ``check``); its reviewer may send back too.
    _t(A.review, {S.awaiting_review}, S.awaiting_approval, {R.leader}),
    _t(A.send_back, {S.awaiting_review, S.awaiting_approval}, S.examining, {R.leader},
       note="ý kiến trả lại"),
    _t(A.approve, {S.awaiting_approval}, S.approved, {R.leader}),
    _t(A.refuse, {S.awaiting_approval}, S.refused, {R.leader},
       note="căn cứ pháp lý và lý do không giải quyết", clock=C.end),
    # The result is ready (national 9) once issued: that is the end of processing time.
    _t(A.issue_result, {S.approved}, S.result_ready, {R.specialist, R.system}, clock=C.end),
    # The applicant's waiting time is excluded from the processing time.
    _t(A.request_supplement, {S.examining}, S.processing_supplement, {R.specialist},
       note="các giấy tờ cần bổ sung, hoàn thiện", clock=C.pause),
    _t(A.provide_supplement, {S.processing_supplement}, S.examining,
       {R.applicant, R.system, R.reception_officer},
       clock=C.resume),
    # Liên thông: the other agency's answer comes back by hand or through the exchange (system).
    _t(A.transfer, {S.examining}, S.transferred, {R.specialist}),
    _t(A.take_back, {S.transferred}, S.examining, {R.specialist, R.system}),
    # Dừng giải quyết needs a signed notice (Mẫu 05) with its reason; lifting it needs a decision.
    _t(A.pause, PROCESSING, S.paused, {R.leader}, note="lý do dừng giải quyết", clock=C.end),
    _t(A.resume, {S.paused}, S.examining, {R.leader}, note="căn cứ tiếp tục giải quyết",
       clock=C.resume),
    # Return. Never blocked by lateness.
    _t(A.return_result, {S.result_ready}, S.returned, {R.reception_officer, R.system}),
    _t(A.close, {S.returned}, S.done, {R.reception_officer, R.system}),
    # The applicant may withdraw until the result is ready.
    _t(A.withdraw, RECEPTION | PROCESSING, S.withdrawn, {R.applicant, R.system}, clock=C.end),
)
# fmt: on

del S, A, R, C


def _group(rows: Iterable[Transition]) -> Mapping[Action, tuple[Transition, ...]]:
    grouped: dict[Action, tuple[Transition, ...]] = {action: () for action in Action}
    for row in rows:
        for other in grouped[row.action]:
            # One action must never lead to two places from the same state.
            if other.sources & row.sources:
                raise ValueError(f"{row.action}: overlapping sources {other.sources & row.sources}")
        grouped[row.action] += (row,)
    return MappingProxyType(grouped)


# For each action, its rows; an action's rows have disjoint sources, so (state, action) picks one.
TRANSITIONS: Mapping[Action, tuple[Transition, ...]] = _group(_ROWS)


# The actions of the agency's internal path. In a state that is a step of the procedure's path
# (``workflow/routing.py:AgencyPath.role_for``) only the step's role takes them, whatever the
# row says: the table's roles are the default path's (``DEFAULT_PATH``).
ROUTED_ACTIONS: Mapping[State, frozenset[Action]] = MappingProxyType({
    State.received: frozenset({Action.assign}),
    State.examining: frozenset({Action.examine, Action.request_supplement, Action.transfer}),
    State.awaiting_review: frozenset({Action.review, Action.send_back}),
    State.awaiting_approval: frozenset({Action.approve, Action.send_back, Action.refuse}),
})


def _roles(row: Transition, state: State, path: AgencyPath) -> frozenset[LifecycleRole]:
    if row.action in ROUTED_ACTIONS.get(state, ()):
        role = path.role_for(state.value)
        if role is not None:
            return frozenset({LifecycleRole(role)})
    return row.roles


def _target(row: Transition, path: AgencyPath) -> State:
    # Two approval levels: what the specialist forwards goes to the reviewer first.
    if row.action == Action.examine and path.review is not None:
        return State.awaiting_review
    return row.target


_NATIONAL: Mapping[State, int | None] = {
    State.draft: None,  # not sent to the National Portal
    State.submitted: 1,
    State.reception_supplement: 5,
    State.received: 2,
    State.rejected: 3,
    State.examining: 4,
    State.awaiting_review: 4,
    State.awaiting_approval: 4,
    State.approved: 4,
    State.transferred: 4,
    State.processing_supplement: 5,
    # No national code for a refusal after examination: S1 maps OpenCPS's "unresolved" (không
    # giải quyết) to 8, and the 766 index treats it, like a stop, as an end of processing.
    State.refused: 8,
    State.result_ready: 9,
    State.returned: 10,
    State.done: 10,
    State.withdrawn: 7,
    State.paused: 8,
}

# Code 6 (financial obligation requested) is not a state: the fees module knows whether a payment
# is awaited, and waiting for it changes neither who holds the dossier nor what they may do.
_PAYMENT_CAN_BE_AWAITED = frozenset(
    {State.received, State.examining, State.awaiting_review, State.awaiting_approval,
     State.approved, State.transferred}
)


def national_status(state: State | str, *, awaiting_payment: bool = False) -> int | None:
    """The National Public Service Portal's ``TrangThaiHoSo`` (1–10) for ``state``; one-way."""
    state = _state(state)
    if awaiting_payment and state in _PAYMENT_CAN_BE_AWAITED:
        return 6
    return _NATIONAL[state]


class TransitionError(Exception):
    """A refused transition; ``code`` is for programs, ``message`` (Vietnamese) for people."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        state: State | None = None,
        action: Action | None = None,
        role: LifecycleRole | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.state = state
        self.action = action
        self.role = role


@dataclass(frozen=True)
class TransitionResult:
    source: State
    action: Action
    role: LifecycleRole
    target: State
    clock: ClockEffect
    transition: Transition


def _state(value: State | str) -> State:
    try:
        return State(value)
    except ValueError:
        raise TransitionError("unknown_state", f"Không có trạng thái hồ sơ «{value}».") from None


def _action(value: Action | str) -> Action:
    try:
        return Action(value)
    except ValueError:
        raise TransitionError("unknown_action", f"Không có thao tác «{value}».") from None


def _role(value: LifecycleRole | str) -> LifecycleRole:
    try:
        return LifecycleRole(value)
    except ValueError:
        raise TransitionError("unknown_role", f"Không có vai trò «{value}».") from None


def _row(state: State, action: Action) -> Transition | None:
    for row in TRANSITIONS[action]:
        if state in row.sources:
            return row
    return None


def check(
    state: State | str, action: Action | str, role: LifecycleRole | str, note: str = "",
    path: AgencyPath = DEFAULT_PATH,
) -> TransitionResult:
    """Whether ``role`` may take ``action`` on a dossier in ``state`` of a procedure whose
    internal path is ``path``; raises TransitionError.

    Pure: it decides, the caller writes the new state and the event.
    """
    action = _action(action)
    state = _state(state)
    role = _role(role)
    where = f"hồ sơ đang ở trạng thái «{state.label}»"
    row = _row(state, action)
    if row is None:
        raise TransitionError(
            "not_allowed_from_state",
            f"Không thể «{action.label}» {where}.",
            state=state,
            action=action,
            role=role,
        )
    if role not in _roles(row, state, path):
        raise TransitionError(
            "role_not_allowed",
            f"{role.label} không được «{action.label}» {where}.",
            state=state,
            action=action,
            role=role,
        )
    if row.requires_note and not note.strip():
        raise TransitionError(
            "note_required",
            f"Cần ghi {row.note_label} để «{action.label}» {where}.",
            state=state,
            action=action,
            role=role,
        )
    return TransitionResult(
        source=state, action=action, role=role, target=_target(row, path), clock=row.clock,
        transition=row,
    )


def allowed_actions(state: State | str, roles: Iterable[LifecycleRole | str],
                    path: AgencyPath = DEFAULT_PATH) -> list[Action]:
    """The actions any of ``roles`` may take on a dossier in ``state`` (of a procedure whose
    internal path is ``path``), in a stable order."""
    state = _state(state)
    if isinstance(roles, str):  # a single role, not an iterable of its letters
        roles = (roles,)
    held = {_role(role) for role in roles}
    return [
        action for action in Action
        if (row := _row(state, action)) is not None and _roles(row, state, path) & held
    ]
