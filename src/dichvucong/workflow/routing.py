"""A procedure's routing: the steps of its workflow, who acts in each (the agency and the role),
and each step's share of the legal time limit. Plain typed Python, no Django.

The steps come from the procedure definition (``catalog/definition.py:WorkflowStep``: name, role,
share, and ``agency``, another agency's code when the step is done there), or the default plan
(``DEFAULT_STEPS``) when the procedure states none. A step with an agency is a handover
(liên thông): the dossier, or the part of it that step needs, is passed to that agency, which
acts on it with its own roles within its share of the time and hands back a result or a
refusal (docs/architecture.md «Inter-agency exchange»).

Which step a dossier is in follows from its state: the lifecycle's states are the home agency's
steps (``STATE_ROLES``: examining is the specialist's step, awaiting approval the leader's …),
and ``transferred`` is the handover step of the agency holding it.

The agency's internal path (``AgencyPath``): which role assigns, processes, reviews (the second
approval level, e.g. the head of division) and approves (e.g. the agency leader). A step names
its kind (``StepKind``); a definition naming none follows ``DEFAULT_PATH``, the lifecycle's own
table (the leader assigns and approves, the specialist processes, one approval level). The
lifecycle (``dossiers/lifecycle.py:check``) takes the path: only the step's role acts in the
state that is its step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Protocol

from dichvucong.catalog.definition import StepKind

__all__ = ["DEFAULT_PATH", "STATE_KINDS", "STATE_ROLES", "TRANSFERRED", "UNROUTED_HANDOVER",
           "AgencyPath", "RouteStep", "StepKind", "agency_path", "allowed_minutes",
           "handover_steps", "parallel_group", "route", "step_for", "step_plan"]

TRANSFERRED = "transferred"

# The role whose step a dossier in this state is in, at its home agency. Waiting for a
# supplement or stopped, the clock does not run (the ledger counts nothing against the step).
STATE_ROLES: Mapping[str, str] = MappingProxyType({
    "received": "leader",  # waiting to be assigned
    "examining": "specialist",
    "processing_supplement": "specialist",
    "awaiting_approval": "leader",
    "awaiting_review": "leader",
    "paused": "leader",
    "approved": "reception_officer",  # issuing and handing over the result
})


# The state in which a step of each kind holds the dossier.
STATE_KINDS: Mapping[str, StepKind] = MappingProxyType({
    "received": StepKind.assign,
    "examining": StepKind.process,
    "processing_supplement": StepKind.process,
    "awaiting_review": StepKind.review,
    "awaiting_approval": StepKind.approve,
    "approved": StepKind.issue,
})

@dataclass(frozen=True)
class AgencyPath:
    """Who acts in each step of the agency's internal path; ``review`` None: one approval
    level."""

    assign: str = "leader"
    process: str = "specialist"
    review: str | None = None
    approve: str = "leader"

    @property
    def approval_levels(self) -> int:
        return 1 if self.review is None else 2

    def role_for(self, state: str) -> str | None:
        """The role whose step a dossier in ``state`` is in; None for a state the path does not
        route (reception, issue, the ends, …: the lifecycle's table decides)."""
        kind = STATE_KINDS.get(state)
        return {StepKind.assign: self.assign, StepKind.process: self.process,
                StepKind.review: self.review, StepKind.approve: self.approve}.get(kind)


DEFAULT_PATH = AgencyPath()


class _Step(Protocol):
    role: str
    agency: str | None
    kind: str | None


def agency_path(steps: Iterable[_Step]) -> AgencyPath:
    """The internal path the steps state (the first step of each kind at the home agency);
    kinds they do not name keep ``DEFAULT_PATH``'s role (``catalog/definition.py:
    path_problems`` checks them)."""
    roles: dict[str, str] = {}
    for step in steps:
        if step.agency is None and step.kind and step.kind != StepKind.issue:
            roles.setdefault(str(step.kind), step.role)
    return replace(DEFAULT_PATH, **roles)


@dataclass(frozen=True)
class RouteStep:
    name: str
    role: str  # the account role that acts in the step (specialist, leader, reception_officer)
    share: Decimal | None  # of the processing time; None for a step the routing does not state
    agency: str | None = None  # another agency's code: the step is done there (liên thông)
    parallel: bool = False  # done at the same time as the adjacent parallel handover steps
    kind: str | None = None  # a StepKind of the home agency's path; None: known by its role

    @property
    def handover(self) -> bool:
        return self.agency is not None


def route(steps: Iterable[tuple]) -> tuple[RouteStep, ...]:
    """The route from (name, role, share, agency code or None[, parallel[, kind]]) rows, in
    the definition's order."""
    return tuple(RouteStep(name=row[0], role=row[1], share=Decimal(row[2]),
                           agency=row[3] or None,
                           parallel=bool(row[4]) if len(row) > 4 and row[3] else False,
                           kind=str(row[5]) if len(row) > 5 and row[5] else None)
                 for row in steps)


def parallel_group(steps: Iterable[RouteStep], agency: str) -> tuple[RouteStep, ...]:
    """The handover steps a transfer to ``agency`` opens: its step and, when that step is
    parallel, the adjacent parallel handover steps (a decree's linked procedures handled by
    several agencies at once). Empty when the routing does not name ``agency``."""
    steps = tuple(steps)
    index = next((i for i, s in enumerate(steps) if s.handover and s.agency == agency), None)
    if index is None:
        return ()
    if not steps[index].parallel:
        return (steps[index],)
    start, end = index, index
    while start > 0 and steps[start - 1].handover and steps[start - 1].parallel:
        start -= 1
    while end + 1 < len(steps) and steps[end + 1].handover and steps[end + 1].parallel:
        end += 1
    return steps[start:end + 1]


def handover_steps(steps: Iterable[RouteStep]) -> tuple[RouteStep, ...]:
    """The steps done at another agency, in order."""
    return tuple(step for step in steps if step.handover)


# Names of the steps the routing does not state: the home agency's work in a state no step of
# its role covers, and a handover to an agency the routing does not name (an ad hoc liên thông).
_UNROUTED = MappingProxyType({
    "leader": "Lãnh đạo xem xét",
    "specialist": "Thẩm định, xử lý hồ sơ",
    "reception_officer": "Ban hành, trả kết quả",
})
UNROUTED_HANDOVER = "Phối hợp giải quyết (liên thông)"


def step_for(steps: Iterable[RouteStep], state: str, holder: str | None = None) -> RouteStep:
    """The step a dossier in ``state`` is in. ``holder``: the code of the agency holding a
    transferred dossier."""
    steps = tuple(steps)
    if state == TRANSFERRED:
        found = next((s for s in steps if s.agency is not None and s.agency == holder), None)
        return found or RouteStep(UNROUTED_HANDOVER, "specialist", None, holder or "")
    kind = STATE_KINDS.get(state)
    # A step naming its kind is the step of its state; else the state's role finds it.
    found = next((s for s in steps if s.agency is None and kind and s.kind == kind), None)
    if found is not None:
        return found
    role = STATE_ROLES.get(state, "specialist")
    found = next((s for s in steps if s.agency is None and s.role == role), None)
    return found or RouteStep(_UNROUTED.get(role, role), role, None)


def allowed_minutes(total_minutes: int, share: Decimal | None) -> int | None:
    """A step's share of the processing time, in whole working minutes (half up, as
    ``deadlines.step_deadlines`` rounds)."""
    if share is None:
        return None
    return int((Decimal(total_minutes) * share).to_integral_value(rounding=ROUND_HALF_UP))


def step_plan(steps: Iterable[RouteStep]) -> list[tuple[str, str, Decimal, str | None]]:
    """(name, role, share, kind) of the steps one after another, for the step deadlines: a group
    of parallel handover steps is one step (its names joined, its largest share, no kind), so
    the shares still add up to the whole time limit."""
    plan: list[tuple[str, str, Decimal, str | None]] = []
    group: list[RouteStep] = []
    for step in [*steps, None]:
        if step is not None and step.handover and step.parallel:
            group.append(step)
            continue
        if group:
            plan.append((" · ".join(s.name for s in group), group[0].role,
                         max(s.share or Decimal(0) for s in group), None))
            group = []
        if step is not None:
            plan.append((step.name, step.role, step.share or Decimal(0), step.kind))
    return plan
