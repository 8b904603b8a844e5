"""The clock ledger of a dossier: how much working time each agency and each step held it,
against its share of the time limit. Plain typed Python, no Django; the dossier core turns a
dossier's events into marks (``dossiers/exchange.py:ledger_of``), the IOC drill-down shows it
and the control slip (Mẫu 06) can list it.

A dossier is held from one mark to the next: a mark says who holds it from that moment (the
agency's code), in which step, and whether the processing clock runs. While it waits for the
applicant's supplement, or is stopped, the clock does not run and no one's time is counted
(docs/architecture.md «Domain rules and their sources», "Supplements and lateness"). Time is
working time on one calendar, the dossier's own agency's (its due time is reckoned on it), in
microseconds so that the holds add up exactly to the dossier's total.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from dichvucong.workflow.deadlines import WorkingCalendar

__all__ = ["Hold", "Ledger", "Mark", "Part", "US_PER_MINUTE", "ledger", "transfer_holders"]

US_PER_MINUTE = 60_000_000


@dataclass(frozen=True)
class Mark:
    at: datetime
    agency: str  # the code of the agency holding the dossier from ``at``
    step: str  # the step it is in
    running: bool = True  # False: waiting for a supplement, or stopped


@dataclass(frozen=True)
class Hold:
    """What one agency, or one agency's step, held: working time while the clock ran."""

    agency: str
    step: str  # "" on an agency's line
    held_us: int
    allowed_minutes: int | None  # its share of the limit; None when the routing states none

    @property
    def minutes(self) -> int:
        return self.held_us // US_PER_MINUTE

    @property
    def over(self) -> bool:
        return self.allowed_minutes is not None and self.held_us > \
            self.allowed_minutes * US_PER_MINUTE


@dataclass(frozen=True)
class Ledger:
    steps: tuple[Hold, ...]  # per (agency, step), in the order first held
    agencies: tuple[Hold, ...]  # per agency, in the order first held
    total_us: int  # working time the clock ran, from the first mark to the end
    stopped_us: int  # working time the clock did not run (supplements, stops)

    @property
    def total_minutes(self) -> int:
        return self.total_us // US_PER_MINUTE


@dataclass(frozen=True)
class Part:
    """One agency's part of a transfer (a handover). The parts of parallel handovers are opened
    by one transfer, at one instant."""

    sent_at: datetime
    agency: str
    answered_at: datetime | None  # None: still open
    due_at: datetime | None
    order: int  # the handover's number: of answers at one instant, the first opened waits less


def transfer_holders(parts: Iterable[Part]) -> list[str]:
    """Per transfer, in the order sent, the agency that held the dossier: the one it went to or,
    of parallel parts, the one the dossier waited for, the last to answer (or one still open,
    its deadline the latest). So each working minute counts for one agency and the holds still
    add up to the dossier's total."""
    groups: dict[datetime, list[Part]] = {}
    for part in parts:
        groups.setdefault(part.sent_at, []).append(part)

    def waited_for(p: Part) -> tuple:
        return (p.answered_at is None, p.answered_at or p.due_at or p.sent_at, -p.order)

    return [max(group, key=waited_for).agency
            for _, group in sorted(groups.items(), key=lambda item: item[0])]


def ledger(calendar: WorkingCalendar, marks: Sequence[Mark], end: datetime,
           allowed: Mapping[tuple[str, str], int | None] | None = None) -> Ledger:
    """The ledger of ``marks`` (in time order) up to ``end``. ``allowed[(agency, step)]``: the
    step's share of the limit in working minutes. Marks after ``end`` are ignored."""
    allowed = allowed or {}
    held: dict[tuple[str, str], int] = {}
    by_agency: dict[str, int] = {}
    stopped = 0
    ordered = [m for m in marks if m.at <= end]
    if not ordered:
        # Nothing held yet: a dossier received outside working hours is counted from the next
        # working moment, which may still be ahead (the ledger page crashed at lunchtime).
        return Ledger(steps=(), agencies=(), total_us=0, stopped_us=0)
    if any(b.at < a.at for a, b in zip(ordered, ordered[1:], strict=False)):
        raise ValueError("marks must be in time order")
    for mark, following in zip(ordered, [*ordered[1:], None], strict=True):
        until = following.at if following is not None else end
        spent = calendar.working_us_between(mark.at, until)
        key = (mark.agency, mark.step)
        held.setdefault(key, 0)
        by_agency.setdefault(mark.agency, 0)
        if mark.running:
            held[key] += spent
            by_agency[mark.agency] += spent
        else:
            stopped += spent
    steps = tuple(Hold(agency, step, us, allowed.get((agency, step)))
                  for (agency, step), us in held.items())
    agencies = tuple(Hold(agency, "", us, _sum_allowed(allowed, agency, held))
                     for agency, us in by_agency.items())
    return Ledger(steps=steps, agencies=agencies, total_us=sum(by_agency.values()),
                  stopped_us=stopped)


def _sum_allowed(allowed: Mapping[tuple[str, str], int | None], agency: str,
                 held: Iterable[tuple[str, str]]) -> int | None:
    """An agency's share: the shares of its steps that have one (None when none has)."""
    shares = [allowed[key] for key in held if key[0] == agency and allowed.get(key) is not None]
    return sum(shares) if shares else None
