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
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType

__all__ = ["STATE_ROLES", "TRANSFERRED", "UNROUTED_HANDOVER", "RouteStep", "allowed_minutes",
           "handover_steps", "parallel_group", "route", "step_for", "step_plan"]

TRANSFERRED = "transferred"

# The role whose step a dossier in this state is in, at its home agency. Waiting for a
# supplement or stopped, the clock does not run (the ledger counts nothing against the step).
STATE_ROLES: Mapping[str, str] = MappingProxyType({
    "received": "leader",  # waiting to be assigned
    "examining": "specialist",
    "processing_supplement": "specialist",
    "awaiting_approval": "leader",
    "paused": "leader",
    "approved": "reception_officer",  # issuing and handing over the result
})


@dataclass(frozen=True)
class RouteStep:
    name: str
    role: str  # the account role that acts in the step (specialist, leader, reception_officer)
    share: Decimal | None  # of the processing time; None for a step the routing does not state
    agency: str | None = None  # another agency's code: the step is done there (liên thông)
    parallel: bool = False  # done at the same time as the adjacent parallel handover steps

    @property
    def handover(self) -> bool:
        return self.agency is not None


def route(steps: Iterable[tuple]) -> tuple[RouteStep, ...]:
    """The route from (name, role, share, agency code or None[, parallel]) rows, in the
    definition's order."""
    return tuple(RouteStep(name=row[0], role=row[1], share=Decimal(row[2]),
                           agency=row[3] or None,
                           parallel=bool(row[4]) if len(row) > 4 and row[3] else False)
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
    role = STATE_ROLES.get(state, "specialist")
    found = next((s for s in steps if s.agency is None and s.role == role), None)
    return found or RouteStep(_UNROUTED.get(role, role), role, None)


def allowed_minutes(total_minutes: int, share: Decimal | None) -> int | None:
    """A step's share of the processing time, in whole working minutes (half up, as
    ``deadlines.step_deadlines`` rounds)."""
    if share is None:
        return None
    return int((Decimal(total_minutes) * share).to_integral_value(rounding=ROUND_HALF_UP))


def step_plan(steps: Iterable[RouteStep]) -> list[tuple[str, str, Decimal]]:
    """(name, role, share) of the steps one after another, for the step deadlines: a group of
    parallel handover steps is one step (its names joined, its largest share), so the shares
    still add up to the whole time limit."""
    plan: list[tuple[str, str, Decimal]] = []
    group: list[RouteStep] = []
    for step in [*steps, None]:
        if step is not None and step.handover and step.parallel:
            group.append(step)
            continue
        if group:
            plan.append((" · ".join(s.name for s in group), group[0].role,
                         max(s.share or Decimal(0) for s in group)))
            group = []
        if step is not None:
            plan.append((step.name, step.role, step.share or Decimal(0)))
    return plan
