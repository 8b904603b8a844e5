"""Deadline alert rules: which dossiers deserve an alert now, as plain typed Python.

The scan (``scan.py``) turns each rule into one indexed query over the open dossiers near a
deadline; this module decides the thresholds and instants those queries compare with, in the
working calendar of the receiving agency (``workflow.deadlines``), and the cause key that makes
an alert unique: an alert is never raised twice for the same cause, and it is cleared when its
cause is gone.

The rules (docs/architecture.md «Domain rules and their sources», "Monitoring and alerts"; the
thresholds of Đà Nẵng's operations centre and of OpenCPS):

* ``not_received`` — an online dossier not received within 4 working hours of submission
  (Đà Nẵng's IOC rule). Cleared on reception, rejection, a supplement request or withdrawal.
* ``near_due`` — a dossier being processed whose due time is within 24 hours. The 24 hours are
  counted on the agency's calendar, one working day per 24 hours: on an ordinary weekday this is
  S1's ``due − 24 h ≤ now``; before a weekend or Tết the warning comes on the last working day
  before, when someone is there to act on it. Configurable (``ALERTS_NEAR_DUE_HOURS``).
* ``step_near_due`` — the running step of the procedure's workflow near its own deadline (each
  step has its share of the processing time, ``workflow.deadlines.step_deadlines``). The
  threshold is OpenCPS's ``dueDateNotify``: in working days (``"1d"``) or as a share of the
  step's time (``"25%"``) (``ALERTS_STEP_THRESHOLD``). A step past its deadline stays alerted.
* ``overdue`` — past the due time and not finished (while waiting for a supplement: overdue at
  the pause). Cleared when the result is issued, the dossier refused, stopped or withdrawn, or
  a new appointment (apology, Mẫu 04) moves the due time later.
* ``no_apology`` — an overdue dossier with no apology and new appointment (Mẫu 04). Cleared when
  the apology is recorded or processing ends.
* ``supplement_unanswered`` — a supplement request the applicant has not answered within
  ``ALERTS_SUPPLEMENT_WORKING_DAYS`` working days (S1's ``ThoiHanBoSung``; no national default
  was found, 10 is configuration). Cleared by the answer, a rejection or a withdrawal.
* ``handover_due`` — a handover to another agency (liên thông) near its own deadline (the same
  window as ``near_due``, on the receiving agency's calendar) or past it, raised on the
  receiving agency. Cleared when that agency hands it back (or the sender takes it back).

Cause keys carry the deadline they are about, so a new deadline (after a supplement or an
apology) is a new cause, and a cleared alert never comes back for the old one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum
from typing import Literal

from django.conf import settings
from django.utils.translation import gettext_lazy as _

# PROCESSING_STATES is lifecycle's, named here too: the scan's rules are read with it.
from dichvucong.dossiers.lifecycle import PROCESSING_STATES, State
from dichvucong.workflow.deadlines import WorkingCalendar, step_bounds
from dichvucong.workflow.routing import STATE_KINDS

__all__ = [
    "PROCESSING_STATES",
    "RUNNING_STEP_ROLES",
    "Kind",
    "Rules",
    "StepThreshold",
    "Window",
    "cause",
    "running_step",
    "step_check",
    "step_split",
    "window",
]


class Kind(StrEnum):
    not_received = "not_received"
    near_due = "near_due"
    step_near_due = "step_near_due"
    overdue = "overdue"
    no_apology = "no_apology"
    supplement_unanswered = "supplement_unanswered"
    handover_due = "handover_due"

    @property
    def label(self) -> str:
        return str(LABELS[self])


LABELS = {
    Kind.not_received: _("Chưa tiếp nhận sau 4 giờ làm việc"),
    Kind.near_due: _("Sắp đến hạn trả kết quả"),
    Kind.step_near_due: _("Bước xử lý sắp đến hạn"),
    Kind.overdue: _("Quá hạn"),
    Kind.no_apology: _("Trễ hạn chưa có văn bản xin lỗi (Mẫu 04)"),
    Kind.supplement_unanswered: _("Quá hạn bổ sung hồ sơ"),
    Kind.handover_due: _("Hồ sơ liên thông sắp đến hạn hoặc quá hạn"),
}

# The workflow role whose step is running in each state (the roles of backoffice.services'
# default steps and of the procedures' own workflows).
RUNNING_STEP_ROLES: dict[str, tuple[str, ...]] = {
    State.received.value: ("specialist",),
    State.examining.value: ("specialist",),
    State.transferred.value: ("specialist",),
    State.awaiting_review.value: ("leader",),
    State.awaiting_approval.value: ("leader",),
    State.approved.value: ("reception_officer", "clerk", "specialist"),
}


@dataclass(frozen=True)
class StepThreshold:
    """OpenCPS's ``dueDateNotify``: ``working_days`` before the step's deadline, or a ``share``
    of the step's own time."""

    unit: Literal["working_days", "share"]
    value: Decimal

    _TEXT = re.compile(r"^\s*(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>d|%)\s*$")

    @classmethod
    def parse(cls, text: str) -> StepThreshold:
        """``"1d"`` (working days) or ``"25%"`` (of the step's time)."""
        match = cls._TEXT.match(str(text))
        if not match:
            raise ValueError(f"step threshold {text!r}: write e.g. '1d' or '25%'")
        n = Decimal(match["n"])
        if match["unit"] == "%":
            if n > 100:
                raise ValueError("a share above 100% of the step's time")
            return cls("share", n / 100)
        return cls("working_days", n)

    def minutes(self, step_minutes: int, minutes_per_day: int) -> int:
        """The threshold in working minutes for a step of ``step_minutes``."""
        base = step_minutes if self.unit == "share" else minutes_per_day
        amount = self.value * base
        return int(amount.to_integral_value(rounding=ROUND_CEILING))


@dataclass(frozen=True)
class Rules:
    reception_minutes: int = 240
    near_due_hours: Decimal = Decimal(24)
    step_threshold: StepThreshold = StepThreshold("share", Decimal("0.25"))
    supplement_working_days: int = 10

    @classmethod
    def from_settings(cls) -> Rules:
        default = cls()
        step = getattr(settings, "ALERTS_STEP_THRESHOLD", None)
        return cls(
            reception_minutes=int(getattr(settings, "ALERTS_RECEPTION_HOURS",
                                          default.reception_minutes / 60) * 60),
            near_due_hours=Decimal(str(getattr(settings, "ALERTS_NEAR_DUE_HOURS",
                                               default.near_due_hours))),
            step_threshold=StepThreshold.parse(step) if step else default.step_threshold,
            supplement_working_days=int(getattr(settings, "ALERTS_SUPPLEMENT_WORKING_DAYS",
                                                default.supplement_working_days)),
        )


@dataclass(frozen=True)
class Window:
    """The instants a scan at ``now`` compares with, for one working calendar."""

    now: datetime
    submitted_before: datetime  # an online dossier submitted before: not received in time
    near_until: datetime  # due at or before (and after now): near its due time
    supplement_before: datetime  # a supplement requested before: not answered in time


def _minutes_per_day(calendar: WorkingCalendar) -> int:
    return int(calendar.hours.minutes_per_day)


def near_due_minutes(calendar: WorkingCalendar, hours: Decimal) -> int:
    """``hours`` counted one working day per 24 hours, in working minutes."""
    return int((Decimal(hours) / 24 * _minutes_per_day(calendar))
               .to_integral_value(rounding=ROUND_CEILING))


def window(calendar: WorkingCalendar, now: datetime, rules: Rules) -> Window:
    per_day = _minutes_per_day(calendar)
    return Window(
        now=now,
        submitted_before=calendar.add_working_minutes(now, -rules.reception_minutes),
        near_until=calendar.add_working_minutes(now, near_due_minutes(calendar,
                                                                      rules.near_due_hours)),
        supplement_before=calendar.add_working_minutes(
            now, -rules.supplement_working_days * per_day),
    )


def running_step(state: str, roles: Sequence[str],
                 kinds: Sequence[str | None] = ()) -> int | None:
    """Index of the step running while a dossier is in ``state``, given its steps' roles and
    kinds: the step whose kind is the state's (``workflow/routing.py:STATE_KINDS``, the path the
    dossier is routed on) when the definition names it; else the first step of the role that
    works the state (for ``approved``, the last step after the leader's). None when the
    workflow has no such step."""
    kind = STATE_KINDS.get(state)
    if kind is not None and kind in kinds:
        # By role, a two-level path's approval (a leader's, after a leader's review) was
        # measured against the first leader's step.
        return list(kinds).index(kind)
    wanted = RUNNING_STEP_ROLES.get(state)
    if not wanted:
        return None
    start = 0
    if state == State.approved.value and "leader" in roles:
        start = len(roles) - 1 - list(reversed(roles)).index("leader") + 1
    for index in range(start, len(roles)):
        if roles[index] in wanted:
            return index
    return None


@dataclass(frozen=True)
class StepCheck:
    index: int
    due_at: datetime
    remaining_minutes: int
    threshold_minutes: int

    @property
    def near(self) -> bool:
        return self.remaining_minutes <= self.threshold_minutes


def step_check(calendar: WorkingCalendar, now: datetime, received_at: datetime,
               due_at: datetime, shares: Sequence[Decimal], index: int,
               threshold: StepThreshold) -> StepCheck | None:
    """The running step's deadline and whether it is near (or past)."""
    try:
        step_start, step_due = step_bounds(calendar, received_at, due_at, shares, index)
    except ValueError:
        return None
    step_minutes = max(calendar.working_minutes_between(step_start, step_due), 0)
    return StepCheck(
        index=index, due_at=step_due,
        remaining_minutes=calendar.working_minutes_between(now, step_due),
        threshold_minutes=threshold.minutes(step_minutes, _minutes_per_day(calendar)),
    )


def step_split(calendar: WorkingCalendar, received_at: datetime, due_at: datetime,
               shares: Sequence[Decimal], index: int,
               threshold: StepThreshold) -> tuple[datetime, datetime] | None:
    """The running step's due time and the instant from which it is near: what the scan
    stores (``StepSplit``), so that a later scan only compares them with its now
    (``step_check``'s answer at any now: near when now is at or after the second)."""
    try:
        step_start, step_due = step_bounds(calendar, received_at, due_at, shares, index)
    except ValueError:
        return None
    step_minutes = max(calendar.working_minutes_between(step_start, step_due), 0)
    minutes = threshold.minutes(step_minutes, _minutes_per_day(calendar))
    return step_due, (calendar.add_working_minutes(step_due, -minutes) if minutes > 0
                      else step_due)


def _stamp(moment: datetime | None) -> str:
    return "-" if moment is None else str(int(moment.timestamp()))


def cause(kind: Kind, dossier_id: int, moment: datetime | None = None,
          step: int | None = None) -> str:
    """The unique key of an alert's cause: kind, dossier, and the deadline (or request) it is
    about."""
    parts = [kind.value, str(dossier_id)]
    if step is not None:
        parts.append(f"s{step}")
    if kind in (Kind.near_due, Kind.step_near_due, Kind.overdue, Kind.supplement_unanswered,
                Kind.handover_due):
        parts.append(_stamp(moment))
    return ":".join(parts)
