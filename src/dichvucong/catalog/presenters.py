"""What a procedure page shows, derived from its definition. No HTTP, no database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from dichvucong.catalog.definition import (
    Channel,
    ChannelOption,
    CopyType,
    Fee,
    ProcedureDefinition,
    Processing,
    TimeLimit,
    TimeUnit,
)


def format_vnd(amount: int) -> str:
    """135000 → '135.000 đ' (Vietnamese groups thousands with dots)."""
    return f"{amount:,}".replace(",", ".") + " đ"


def format_number(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return text.replace(".", ",")


def format_time_limit(limit: TimeLimit | None) -> str:
    if limit is None or limit.value is None:
        return limit.text if limit else ""
    # English needs the plural; a fractional value (0,5 ngày) reads as plural too.
    count = int(limit.value) if limit.value == limit.value.to_integral_value() else 2
    number = format_number(limit.value)
    if limit.unit == TimeUnit.WORKING_DAYS:
        text = ngettext("%(n)s ngày làm việc", "%(n)s ngày làm việc", count)
    elif limit.unit == TimeUnit.DAYS:
        text = ngettext("%(n)s ngày", "%(n)s ngày", count)
    elif limit.unit == TimeUnit.HOURS:
        text = ngettext("%(n)s giờ làm việc", "%(n)s giờ làm việc", count)
    elif limit.unit == TimeUnit.MONTHS:
        text = ngettext("%(n)s tháng", "%(n)s tháng", count)
    else:
        # The national portal gives a bare number: a number without its unit tells a citizen
        # nothing true (1 hour? 1 working day?), so say what is missing and who knows.
        return _("Chưa công bố đơn vị thời hạn — liên hệ cơ quan thực hiện")
    return text % {"n": number}


def reduction_percent(base: TimeLimit | None, online: TimeLimit | None) -> int | None:
    if (base is None or online is None or base.value is None or online.value is None
            or base.unit != online.unit or not base.value or online.value >= base.value):
        return None
    return round((1 - online.value / base.value) * 100)


# gettext_noop: extracted for translation, translated when shown.
CHANNEL_LABELS = {
    Channel.ONLINE: gettext_noop("Trực tuyến"),
    Channel.IN_PERSON: gettext_noop("Trực tiếp"),
    Channel.POST: gettext_noop("Qua dịch vụ bưu chính"),
}
COPY_TYPE_LABELS = {
    CopyType.ORIGINAL: gettext_noop("Bản chính"),
    CopyType.COPY: gettext_noop("Bản sao"),
    CopyType.CERTIFIED_COPY: gettext_noop("Bản sao có chứng thực"),
    CopyType.ELECTRONIC: gettext_noop("Bản điện tử"),
    CopyType.ELECTRONIC_OR_ORIGINAL: gettext_noop("Bản điện tử hoặc bản chính"),
    CopyType.ELECTRONIC_OR_COPY: gettext_noop("Bản điện tử hoặc bản sao"),
    CopyType.CERTIFIED_COPY_OR_ELECTRONIC: gettext_noop("Bản sao có chứng thực hoặc bản điện tử"),
    CopyType.UNSPECIFIED: "",
}


@dataclass
class ChannelView:
    label: str
    time_limit: str
    fee_label: str


@dataclass
class FeeView:
    name: str
    amount: str
    online_amount: str | None
    note: str
    legal_basis: str = ""
    online_until: str | None = None  # the last day of a dated online reduction
    exemptions: list[str] = field(default_factory=list)


UNIT_SUFFIXES = {
    "per_copy": gettext_noop("/bản"),
    "per_page": gettext_noop("/trang"),
    "per_case": gettext_noop("/trường hợp"),
}


def _money(amount: int, unit: str = "per_dossier") -> str:
    if not amount:
        return _("Miễn phí")
    suffix = UNIT_SUFFIXES.get(unit)
    return format_vnd(amount) + (_(suffix) if suffix else "")


def unknown_fee_text(set_by: str = "") -> str:
    """An amount not known yet («chưa công bố»), never «Miễn phí»."""
    if set_by:
        return _("Chưa công bố (theo quy định của %(authority)s)") % {"authority": set_by}
    return _("Chưa công bố")


def fee_amount_text(fee: Fee, amount: int) -> str:
    """One fee row's rate at ``amount`` per unit, as the quote computes it: the tiers (from the
    n-th page or copy) and the cap per copy included."""
    if fee.amount_unknown:
        return unknown_fee_text(fee.set_by)
    if not fee.tiers:
        text = _money(amount, fee.unit)
    else:
        per_page = fee.unit == "per_page"
        parts = [_money(amount, fee.unit)] if amount else []
        for tier in fee.tiers:
            start = (_("từ trang thứ %(n)s") if per_page else _("từ bản thứ %(n)s")) % {
                "n": tier.from_}
            parts.append(f"{start}: {_money(tier.amount, fee.unit)}")
        text = "; ".join(parts)
    if fee.cap_per_copy is not None and (amount or fee.tiers):
        text += "; " + _("tối đa %(amount)s/bản") % {"amount": format_vnd(fee.cap_per_copy)}
    return text


def _channel_fee(fees: list[Fee], channel: Channel, day: date) -> str:
    """What the fee rows in force on ``day`` charge through ``channel`` (before any applicant's
    exemption, which the fee section lists): the amounts the fee rule quotes."""
    priced = []
    for fee in fees:
        online = fee.online_amount_on(day) if channel == Channel.ONLINE else None
        amount = online if online is not None else fee.amount
        if amount or fee.tiers or fee.amount_unknown:
            priced.append(fee_amount_text(fee, amount))
    return " + ".join(priced) if priced else _("Miễn phí")


@dataclass
class ProcedurePage:
    processing_time: str
    online_processing_time: str | None
    online_reduction_percent: int | None
    cutoff_note: str | None
    channels: list[ChannelView] = field(default_factory=list)
    fees: list[FeeView] = field(default_factory=list)
    free: bool = False
    documents: list[dict] = field(default_factory=list)


def _channel_view(option: ChannelOption, processing: Processing, fees: list[Fee],
                  day: date) -> ChannelView:
    """One row of «Cách thực hiện»: the limit and fee the designer edits (``processing`` and
    the fee rows), which the deadline clock and the fee quote also read, never the per-channel
    limit and fee label of the national import (``option.time_limit``, ``option.fee``), which
    the designer cannot edit and which can disagree with them."""
    if processing.same_day:
        time_limit = _("Trong ngày")
    elif option.channel == Channel.ONLINE and processing.online_time_limit is not None:
        time_limit = format_time_limit(processing.online_time_limit)
    else:
        time_limit = format_time_limit(processing.time_limit)
    # No fee rows: the quote charges nothing, and neither «Miễn phí» nor an amount is stated.
    return ChannelView(label=_(CHANNEL_LABELS[option.channel]), time_limit=time_limit,
                       fee_label=_channel_fee(fees, option.channel, day) if fees else "")


def _fee_view(fee: Fee, day: date) -> FeeView:
    online = fee.online_amount_on(day)
    until = fee.online_valid_until if online is not None and online != fee.amount else None
    return FeeView(
        name=fee.name,
        amount=fee_amount_text(fee, fee.amount),
        online_amount=fee_amount_text(fee, online) if online is not None and online != fee.amount
        else None,
        note=fee.note,
        legal_basis=fee.legal_basis,
        online_until=until.strftime("%d/%m/%Y") if until else None,
        exemptions=[rule.reason for rule in fee.exempt_when] + list(fee.exemptions),
    )


def present_procedure(definition: ProcedureDefinition, day: date) -> ProcedurePage:
    """The page of ``definition`` on ``day``: the fee rows and reductions in force that day."""
    processing = definition.processing
    cutoff_note = None
    if processing.same_day:
        processing_time = _("Trong ngày")
        if processing.cutoff:
            cutoff_note = _("Hồ sơ tiếp nhận sau %(cutoff)s được trả kết quả trong ngày làm "
                            "việc tiếp theo.") % {"cutoff": processing.cutoff}
    else:
        processing_time = format_time_limit(processing.time_limit)
        if processing.cutoff:
            cutoff_note = _("Hồ sơ tiếp nhận sau %(cutoff)s được tính thời hạn từ ngày làm việc "
                            "tiếp theo.") % {"cutoff": processing.cutoff}
    online_time = (format_time_limit(processing.online_time_limit)
                   if processing.online_time_limit else None)
    in_force = definition.fees_on(day)
    fees = [_fee_view(fee, day) for fee in in_force]
    documents = [
        {
            "name": doc.name,
            "mandatory": doc.mandatory,
            "condition": doc.condition,
            "copies": doc.copies,
            "copy_type": _(COPY_TYPE_LABELS[doc.copy_type]) if COPY_TYPE_LABELS[doc.copy_type]
            else doc.quantity_text,
            "template": doc.template,
            "note": doc.note,
        }
        for doc in definition.documents
    ]
    return ProcedurePage(
        processing_time=processing_time,
        online_processing_time=online_time,
        online_reduction_percent=reduction_percent(processing.time_limit,
                                                   processing.online_time_limit),
        cutoff_note=cutoff_note,
        channels=[_channel_view(c, processing, in_force, day) for c in definition.channels],
        fees=fees,
        free=bool(in_force) and all(f.amount == 0 and not f.online_amount_on(day)
                                    and not f.tiers and not f.amount_unknown
                                    for f in in_force),
        documents=documents,
    )
