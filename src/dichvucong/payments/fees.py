"""The fee (phí, lệ phí) a dossier owes: plain typed rules, no Django, no HTTP.

Inputs are the procedure version's fee definitions (``catalog.definition.Fee``), the channel, the
applicant type, the form data and the submission date; the output is an itemised
:class:`FeeQuote` whose ``total`` is what the citizen pays.

Rules, in order, for each fee of the procedure:

0. **Effective dates.** Only the fee rows in force on the submission date count (a row's
   ``valid_from``/``valid_until``); a dossier keeps the quote of the day it was submitted.
1. **Quantity.** ``per_dossier`` and ``per_case`` fees count once. ``per_copy`` counts the
   copies asked for; ``per_page`` the pages of one copy, priced through the fee's ``tiers`` (a
   lower rate from page 3 …), capped at ``cap_per_copy``, then times the copies (Thông tư
   226/2016/TT-BTC: 2.000 đ/page for pages 1–2, 1.000 đ/page from page 3, at most 200.000 đ a
   copy). ``per_copy`` tiers price copies the same way (5.000 đ a Phiếu from the third). The
   counts come from the ``quantities`` given or from the form fields the fee declares
   (``copies_field``, ``pages_field``); a fee declaring none reads ``so_ban`` then ``so_luong``
   for copies and ``so_trang`` for pages. At least one, at most :data:`MAX_QUANTITY`.
   A fee whose amount is unknown (``amount_unknown``: set by the city council and not found)
   quotes nothing and says so (:attr:`FeeLine.unknown`): it is never charged by the rules.
2. **Exemption.** A fee whose ``exempt_when`` rule holds (every test of one rule: applicant type,
   a form value, a date within N days of submission — timely birth registration is "date of
   birth at most 60 days before") costs nothing; the reason is kept on the line.
3. **Online reduction.** An online dossier pays the fee's ``online_amount`` where the procedure
   states one in force on the submission date (``online_valid_from``/``online_valid_until``: a
   reduction "đến hết ngày 31/12/2025" applies on 31/12/2025, not on 1/1/2026). (Đà Nẵng
   Resolution 89/2023/NQ-HĐND exempts or reduces fees for online dossiers, and the catalogue
   records the resulting per-channel amount.) Where it states none, the province's
   effective-dated reduction policy (:data:`ONLINE_REDUCTIONS`, a share off) applies.
   A reduction never raises a fee: the online amount is at most the counter amount.
4. **VND rounding.** Amounts are whole đồng (VND has no minor unit in use). Shares are computed
   exactly with ``Decimal`` and each line is rounded once, after multiplying by its quantity, to
   the whole đồng, half up (0.5 đồng → 1 đồng), as the State Treasury's receipts show integers.
   The total is the sum of the rounded lines, so the receipt's lines always add up to it.

When the fee is due follows the procedure: on submitting, on reception (the default) or before
the result is returned; a procedure's fees are requested together, at the earliest moment any of
them names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from dichvucong.catalog.definition import COUNTED_UNITS, Fee, FeeExemption, FeeTier


class Due(StrEnum):
    submission = "submission"
    reception = "reception"
    return_ = "return"


DUE_ORDER = (Due.submission, Due.reception, Due.return_)
DUE_LABELS = {
    Due.submission: "Nộp khi nộp hồ sơ",
    Due.reception: "Nộp khi hồ sơ được tiếp nhận",
    Due.return_: "Nộp trước khi nhận kết quả",
}
MAX_QUANTITY = 10_000  # a typo in a form must not make a fee of billions


@dataclass(frozen=True)
class OnlineReduction:
    """A province's rule reducing fees for online dossiers, in force from ``starts`` to
    ``ends`` (inclusive), for fees whose procedure states no online amount of its own."""

    legal_basis: str
    share_off: Decimal  # 0 = no reduction, 1 = exempt
    starts: date
    ends: date | None = None

    def in_force(self, day: date) -> bool:
        return self.starts <= day and (self.ends is None or day <= self.ends)


# Đà Nẵng's policy. The resolution's own text could not be verified from a published source:
# the catalogue carries each procedure's online amount, and for the rest no share is assumed.
RESOLUTION_89 = "Nghị quyết số 89/2023/NQ-HĐND của HĐND thành phố Đà Nẵng"
ONLINE_AMOUNT_BASIS = "Mức thu khi nộp trực tuyến của thủ tục"
ONLINE_REDUCTIONS: tuple[OnlineReduction, ...] = (
    OnlineReduction(legal_basis=RESOLUTION_89, share_off=Decimal(0), starts=date(2024, 1, 1)),
)


@dataclass(frozen=True)
class FeeLine:
    name: str
    unit_amount: int  # the counter amount per unit, VND
    quantity: int
    amount: int  # what is owed for this line, VND, after exemption and reduction
    exempt_reason: str = ""
    reduction: int = 0  # VND taken off for the online channel
    reduction_basis: str = ""
    pages: int = 0  # per_page: the pages of one copy (unit_amount is then one copy's amount)
    gross: int | None = None  # before exemption and reduction; None: unit_amount × quantity
    unknown: bool = False  # the amount is not known yet: «chưa công bố»
    set_by: str = ""  # who sets an unknown amount

    @property
    def full(self) -> int:
        return self.unit_amount * self.quantity if self.gross is None else self.gross


@dataclass(frozen=True)
class FeeQuote:
    lines: tuple[FeeLine, ...] = ()
    due: Due = Due.reception

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def gross(self) -> int:
        return sum(line.full for line in self.lines)

    @property
    def unknown(self) -> tuple[FeeLine, ...]:
        """The lines whose amount is not known yet: the total leaves them out, and no payment is
        asked for them until an official sets the fee."""
        return tuple(line for line in self.lines if line.unknown)

    @property
    def due_label(self) -> str:
        return DUE_LABELS[self.due]

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total, "gross": self.gross, "due": self.due.value,
            "lines": [line.__dict__ for line in self.lines],
        }


@dataclass(frozen=True)
class Applicant:
    """What the rules read about the dossier."""

    online: bool
    applicant_type: str = "citizen"
    form_data: Mapping[str, Any] = field(default_factory=dict)
    submitted_on: date | None = None
    quantities: Mapping[str, int] = field(default_factory=dict)


def round_vnd(value: Decimal | int) -> int:
    """Whole đồng, half up; never negative."""
    rounded = int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return max(rounded, 0)


def _count(keys: Iterable[str], given: Any, form_data: Mapping[str, Any]) -> int:
    for raw in (given, *(form_data.get(key) for key in keys)):
        if raw in (None, ""):
            continue
        try:
            number = int(Decimal(str(raw)))
        except (ArithmeticError, ValueError):
            continue
        return min(max(number, 1), MAX_QUANTITY)
    return 1


def copies_for(fee: Fee, who: Applicant) -> int:
    """The copies a ``per_copy`` or ``per_page`` fee is charged for (1 for other units)."""
    if fee.unit not in COUNTED_UNITS:
        return 1
    return _count(fee.copies_fields(), who.quantities.get("per_copy"), who.form_data)


def pages_for(fee: Fee, who: Applicant) -> int:
    """The pages of one copy a ``per_page`` fee is charged for (1 for other units)."""
    if fee.unit != "per_page":
        return 1
    return _count(fee.pages_fields(), who.quantities.get("per_page"), who.form_data)


def quantity_for(fee: Fee, who: Applicant) -> int:
    """How many times the line's unit amount is charged: the copies for ``per_copy`` and
    ``per_page`` fees (the pages make a copy's amount), once otherwise."""
    return copies_for(fee, who)


def tiered(base: int, tiers: Iterable[FeeTier], count: int) -> int:
    """``count`` units at ``base`` each, and from each tier's first unit on at its rate."""
    total, rate, start = 0, base, 1
    for tier in tiers:
        if tier.from_ > count:
            break
        total += rate * (tier.from_ - start)
        rate, start = tier.amount, tier.from_
    return total + rate * (count - start + 1)


def gross_for(fee: Fee, base: int, copies: int, pages: int) -> tuple[int, int]:
    """(one copy's amount, the line's amount) at ``base`` per unit, before any exemption or
    reduction."""
    if fee.unit == "per_page":
        one = tiered(base, fee.tiers, pages)
        if fee.cap_per_copy is not None:
            one = min(one, fee.cap_per_copy)
        return one, one * copies
    if fee.unit == "per_copy":
        return base, tiered(base, fee.tiers, copies)
    return base, base


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def exemption_holds(rule: FeeExemption, who: Applicant) -> bool:
    if rule.applicant_types and who.applicant_type not in rule.applicant_types:
        return False
    if not rule.field:
        return True
    value = who.form_data.get(rule.field)
    if rule.equals is not None:
        if isinstance(rule.equals, bool):
            return bool(value) is rule.equals and value not in (None, "")
        return str(value if value is not None else "") == rule.equals
    if rule.in_ is not None:
        values = value if isinstance(value, list) else [value]
        return any(str(v) in rule.in_ for v in values if v is not None)
    if rule.within_days is not None:
        day = _as_date(value)
        if day is None or who.submitted_on is None:
            return False
        return 0 <= (who.submitted_on - day).days <= rule.within_days
    return False


def online_reduction(day: date | None,
                     policies: Iterable[OnlineReduction] = ONLINE_REDUCTIONS
                     ) -> OnlineReduction | None:
    if day is None:
        return None
    in_force = [p for p in policies if p.in_force(day)]
    return max(in_force, key=lambda p: p.starts) if in_force else None


def line_for(fee: Fee, who: Applicant,
             policies: Iterable[OnlineReduction] = ONLINE_REDUCTIONS) -> FeeLine:
    copies, pages = copies_for(fee, who), pages_for(fee, who)
    unit_amount, full = gross_for(fee, fee.amount, copies, pages)
    shape = {"name": fee.name or "Phí, lệ phí", "unit_amount": unit_amount, "quantity": copies,
             "pages": pages if fee.unit == "per_page" else 0, "gross": full}
    for rule in fee.exempt_when:
        if exemption_holds(rule, who):
            return FeeLine(**shape, amount=0, exempt_reason=rule.reason)
    if fee.amount_unknown:
        return FeeLine(**shape, amount=0, unknown=True, set_by=fee.set_by)
    gross = Decimal(full)
    amount = gross
    basis = ""
    online_amount = fee.online_amount_on(who.submitted_on)
    if who.online:
        if online_amount is not None:
            amount = min(Decimal(gross_for(fee, online_amount, copies, pages)[1]), gross)
            basis = (fee.legal_basis or ONLINE_AMOUNT_BASIS) if amount < gross else ""
        else:
            policy = online_reduction(who.submitted_on, policies)
            if policy is not None and policy.share_off > 0:
                share = min(max(policy.share_off, Decimal(0)), Decimal(1))
                amount = gross * (1 - share)
                basis = policy.legal_basis
    owed = round_vnd(amount)
    return FeeLine(**shape, amount=owed, reduction=full - owed, reduction_basis=basis)


def in_force(fees: Iterable[Fee], day: date | None) -> list[Fee]:
    """The fee rows that apply on ``day`` (all when the day is unknown)."""
    return [fee for fee in fees if day is None or fee.in_force(day)]


def quote(fees: Iterable[Fee], who: Applicant,
          policies: Iterable[OnlineReduction] = ONLINE_REDUCTIONS) -> FeeQuote:
    fees = in_force(fees, who.submitted_on)
    policies = tuple(policies)
    lines = tuple(line_for(fee, who, policies) for fee in fees)
    stages = {Due(fee.collect_at) for fee in fees}
    due = next((stage for stage in DUE_ORDER if stage in stages), Due.reception)
    return FeeQuote(lines=lines, due=due)
