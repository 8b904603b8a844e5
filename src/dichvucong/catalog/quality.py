"""The catalogue quality check: contradictions and implausible values in procedure definitions.

Each check reads one ``ProcedureDefinition`` (with its channel options) and returns findings; no
HTTP, no database. ``dichvucong check_catalog`` and the designer's «Chất lượng danh mục» page
list them. The fee and time-limit rules are the ones the public page already applies
(``definition.mentions_money``, ``TimeUnit.UNSTATED``), so a finding names exactly what the page
shows as «Xem ghi chú» or «Chưa công bố đơn vị thời hạn».
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from decimal import Decimal
from enum import StrEnum

from django.utils.translation import gettext_lazy

from dichvucong.catalog.definition import (
    Channel,
    ChannelFee,
    OnlineMode,
    ProcedureDefinition,
    TimeLimit,
    TimeUnit,
    mentions_money,
)
from dichvucong.core.text import fold

# A procedure name is shown in search results, breadcrumbs, reception slips and SMS. The catalogue's
# median name is 80 characters; beyond 250 (three times that, three lines on a phone) the
# "name" carries lists of beneficiaries or conditions that belong in «Điều kiện thực hiện».
MAX_NAME_LENGTH = 250
# More than 10 copies of one document is not asked by any procedure we know of; the national
# data's 182 or 20241 "copies" are a year or a form number read as a count.
MAX_COPIES = 10
# Fees are set in đồng by the fee circulars, in thousands at least (the smallest lệ phí is a few
# thousand đồng): an amount under 1.000 is almost surely written in thousands.
MIN_PLAUSIBLE_AMOUNT = 1000


class Kind(StrEnum):
    FREE_WITH_AMOUNT = "free_with_amount"
    UNSTATED_UNIT = "unstated_unit"
    COPIES = "copies"
    LONG_NAME = "long_name"
    ONLINE_FLAG = "online_flag"
    ONLINE_SLOWER = "online_slower"
    ONLINE_DEARER = "online_dearer"
    AMOUNT_IN_THOUSANDS = "amount_in_thousands"
    DUPLICATE_DOCUMENT = "duplicate_document"
    ONLINE_WITHOUT_DOCUMENTS = "online_without_documents"
    UNCOUNTED_QUANTITY = "uncounted_quantity"
    UNKNOWN_AMOUNT = "unknown_amount"


KIND_LABELS = {
    Kind.FREE_WITH_AMOUNT: gettext_lazy("Ghi «Miễn phí» nhưng có mức thu"),
    Kind.UNSTATED_UNIT: gettext_lazy("Thời hạn thiếu đơn vị"),
    Kind.COPIES: gettext_lazy("Số bản không hợp lý"),
    Kind.LONG_NAME: gettext_lazy("Tên quá dài"),
    Kind.ONLINE_FLAG: gettext_lazy("Mức độ trực tuyến trái với hình thức nộp"),
    Kind.ONLINE_SLOWER: gettext_lazy("Thời hạn trực tuyến dài hơn trực tiếp"),
    Kind.ONLINE_DEARER: gettext_lazy("Phí trực tuyến cao hơn trực tiếp"),
    Kind.AMOUNT_IN_THOUSANDS: gettext_lazy("Mức thu dưới 1.000 đồng"),
    Kind.DUPLICATE_DOCUMENT: gettext_lazy("Giấy tờ trùng tên"),
    Kind.ONLINE_WITHOUT_DOCUMENTS: gettext_lazy("Trực tuyến nhưng không có thành phần hồ sơ"),
    Kind.UNCOUNTED_QUANTITY: gettext_lazy("Phí theo bản, theo trang nhưng tờ khai không hỏi số "
                                          "bản, số trang"),
    Kind.UNKNOWN_AMOUNT: gettext_lazy("Mức thu chưa công bố"),
}


class Severity(StrEnum):
    ERROR = "error"  # the public page tells the citizen something false or contradictory
    WARNING = "warning"  # implausible: worth checking against the source


@dataclass(frozen=True)
class Finding:
    kind: Kind
    severity: Severity
    code: str
    path: str  # where in the definition, e.g. "channels.0.fee.label"
    message: str  # Vietnamese
    value: str  # the offending value, as text

    def as_dict(self) -> dict[str, str]:
        return {key: str(value) for key, value in asdict(self).items()}


def _amount(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đ"


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _is_free_label(label: str) -> bool:
    return fold(label).startswith("mien")


def _vnd(fee: ChannelFee | None) -> int | None:
    return fee.amount if fee is not None and fee.currency == "VND" else None


# --- the checks ----------------------------------------------------------------------------------

def free_with_amount(d: ProcedureDefinition) -> Iterator[Finding]:
    for i, option in enumerate(d.channels):
        fee = option.fee
        if fee is None or not _is_free_label(fee.label):
            continue
        if fee.amount:
            yield Finding(Kind.FREE_WITH_AMOUNT, Severity.ERROR, d.code, f"channels.{i}.fee",
                          f"Nhãn «{fee.label}» nhưng mức thu là {_amount(fee.amount)}.",
                          f"{fee.label} / {fee.amount}")
        elif mentions_money(fee.note):
            yield Finding(Kind.FREE_WITH_AMOUNT, Severity.ERROR, d.code, f"channels.{i}.fee",
                          f"Nhãn «{fee.label}» nhưng ghi chú nêu mức thu.",
                          f"{fee.label} / {fee.note}")


def _limits(d: ProcedureDefinition) -> Iterator[tuple[str, TimeLimit]]:
    if d.processing.time_limit:
        yield "processing.time_limit", d.processing.time_limit
    if d.processing.online_time_limit:
        yield "processing.online_time_limit", d.processing.online_time_limit
    for i, option in enumerate(d.channels):
        if option.time_limit:
            yield f"channels.{i}.time_limit", option.time_limit


def unstated_unit(d: ProcedureDefinition) -> Iterator[Finding]:
    for path, limit in _limits(d):
        if limit.value is not None and limit.unit == TimeUnit.UNSTATED:
            yield Finding(Kind.UNSTATED_UNIT, Severity.ERROR, d.code, path,
                          "Thời hạn có số nhưng chưa công bố đơn vị (giờ, ngày hay ngày làm "
                          "việc); trang công khai ghi «Chưa công bố đơn vị thời hạn».",
                          limit.text or str(limit.value))


def copies(d: ProcedureDefinition) -> Iterator[Finding]:
    for i, doc in enumerate(d.documents):
        if doc.copies == 0 or doc.copies > MAX_COPIES:
            yield Finding(Kind.COPIES, Severity.WARNING, d.code, f"documents.{i}.copies",
                          f"«{_short(doc.name)}»: {doc.copies} bản (hợp lý là 1 đến {MAX_COPIES}).",
                          doc.quantity_text or str(doc.copies))


def long_name(d: ProcedureDefinition) -> Iterator[Finding]:
    if len(d.name) > MAX_NAME_LENGTH:
        yield Finding(Kind.LONG_NAME, Severity.WARNING, d.code, "name",
                      f"Tên thủ tục dài {len(d.name)} ký tự (quá {MAX_NAME_LENGTH}).",
                      d.name)


def online_flag(d: ProcedureDefinition) -> Iterator[Finding]:
    has_online = d.channel(Channel.ONLINE) is not None
    if d.online_mode != OnlineMode.NONE and not has_online:
        yield Finding(Kind.ONLINE_FLAG, Severity.ERROR, d.code, "online_mode",
                      "Ghi là dịch vụ trực tuyến nhưng không có hình thức nộp trực tuyến.",
                      d.online_mode.value)
    elif d.online_mode == OnlineMode.NONE and has_online:
        yield Finding(Kind.ONLINE_FLAG, Severity.ERROR, d.code, "online_mode",
                      "Có hình thức nộp trực tuyến nhưng ghi là không trực tuyến.",
                      d.online_mode.value)


def _longer(online: TimeLimit | None, counter: TimeLimit | None) -> bool:
    # Only limits in the same unit compare: 10 days against 8 working days is not clear-cut.
    return (online is not None and counter is not None and online.value is not None
            and counter.value is not None and online.unit == counter.unit
            and online.unit != TimeUnit.UNSTATED and online.value > counter.value)


def _limit_text(limit: TimeLimit) -> str:
    value = limit.value if limit.value is not None else Decimal(0)
    return limit.text or f"{value.normalize():f} {limit.unit.value}"


def online_slower(d: ProcedureDefinition) -> Iterator[Finding]:
    processing = d.processing
    if _longer(processing.online_time_limit, processing.time_limit):
        assert processing.online_time_limit and processing.time_limit
        yield Finding(Kind.ONLINE_SLOWER, Severity.ERROR, d.code, "processing.online_time_limit",
                      "Thời hạn trực tuyến dài hơn thời hạn chung.",
                      f"{_limit_text(processing.online_time_limit)} > "
                      f"{_limit_text(processing.time_limit)}")
    online, counter = d.channel(Channel.ONLINE), d.channel(Channel.IN_PERSON)
    if online and counter and _longer(online.time_limit, counter.time_limit):
        assert online.time_limit and counter.time_limit
        yield Finding(Kind.ONLINE_SLOWER, Severity.ERROR, d.code,
                      f"channels.{d.channels.index(online)}.time_limit",
                      "Thời hạn nộp trực tuyến dài hơn nộp trực tiếp.",
                      f"{_limit_text(online.time_limit)} > {_limit_text(counter.time_limit)}")


def online_dearer(d: ProcedureDefinition) -> Iterator[Finding]:
    for i, fee in enumerate(d.fees):
        if fee.online_amount is not None and fee.online_amount > fee.amount:
            yield Finding(Kind.ONLINE_DEARER, Severity.ERROR, d.code, f"fees.{i}.online_amount",
                          f"Mức thu trực tuyến cao hơn mức thu trực tiếp ({fee.name or 'phí'}).",
                          f"{_amount(fee.online_amount)} > {_amount(fee.amount)}")
    online, counter = d.channel(Channel.ONLINE), d.channel(Channel.IN_PERSON)
    if online and counter:
        online_fee, counter_fee = _vnd(online.fee), _vnd(counter.fee)
        if online_fee is not None and counter_fee is not None and online_fee > counter_fee:
            yield Finding(Kind.ONLINE_DEARER, Severity.ERROR, d.code,
                          f"channels.{d.channels.index(online)}.fee.amount",
                          "Phí nộp trực tuyến cao hơn nộp trực tiếp.",
                          f"{_amount(online_fee)} > {_amount(counter_fee)}")


def amount_in_thousands(d: ProcedureDefinition) -> Iterator[Finding]:
    amounts: list[tuple[str, int | None]] = []
    for i, fee in enumerate(d.fees):
        amounts += [(f"fees.{i}.amount", fee.amount), (f"fees.{i}.online_amount",
                                                       fee.online_amount)]
    for i, option in enumerate(d.channels):
        amounts.append((f"channels.{i}.fee.amount", _vnd(option.fee)))
    for path, amount in amounts:
        if amount is not None and 0 < amount < MIN_PLAUSIBLE_AMOUNT:
            yield Finding(Kind.AMOUNT_IN_THOUSANDS, Severity.WARNING, d.code, path,
                          f"Mức thu {amount} đồng: có thể đang ghi theo nghìn đồng.",
                          str(amount))


def duplicate_document(d: ProcedureDefinition) -> Iterator[Finding]:
    seen: set[tuple[str, str]] = set()
    for i, doc in enumerate(d.documents):
        # The same document asked twice under different conditions is two documents.
        key = (" ".join(fold(doc.name).split()), " ".join(fold(doc.condition).split()))
        if key in seen:
            yield Finding(Kind.DUPLICATE_DOCUMENT, Severity.WARNING, d.code, f"documents.{i}.name",
                          "Thành phần hồ sơ trùng tên với một giấy tờ trước đó.", doc.name)
        seen.add(key)


def online_without_documents(d: ProcedureDefinition) -> Iterator[Finding]:
    if d.online_mode != OnlineMode.NONE and not d.documents:
        yield Finding(Kind.ONLINE_WITHOUT_DOCUMENTS, Severity.WARNING, d.code, "documents",
                      "Thủ tục trực tuyến nhưng chưa có thành phần hồ sơ: người dân không biết "
                      "cần tải lên giấy tờ gì.", d.online_mode.value)


def uncounted_quantity(d: ProcedureDefinition) -> Iterator[Finding]:
    # Only where the procedure has an e-form: without one the quantity comes from the counter.
    keys = {f.key for f in d.form}
    if not keys:
        return
    for i, fee in enumerate(d.fees):
        for what, fields in (("số bản", fee.copies_fields()), ("số trang", fee.pages_fields())):
            if fields and not keys & set(fields):
                yield Finding(Kind.UNCOUNTED_QUANTITY, Severity.WARNING, d.code,
                              f"fees.{i}.unit",
                              f"Phí «{fee.name or 'Phí, lệ phí'}» tính theo {fee.unit} nhưng tờ "
                              f"khai không có trường {what} ({', '.join(fields)}): luôn tính "
                              "một.", fee.unit)


def unknown_amount(d: ProcedureDefinition) -> Iterator[Finding]:
    for i, fee in enumerate(d.fees):
        if fee.amount_unknown:
            yield Finding(Kind.UNKNOWN_AMOUNT, Severity.WARNING, d.code,
                          f"fees.{i}.amount_unknown",
                          f"Mức thu «{fee.name or 'Phí, lệ phí'}» chưa công bố: không thu cho "
                          "đến khi cán bộ xác định; cần bổ sung khi tìm được văn bản.",
                          fee.set_by)


CHECKS: dict[Kind, Callable[[ProcedureDefinition], Iterable[Finding]]] = {
    Kind.FREE_WITH_AMOUNT: free_with_amount,
    Kind.UNSTATED_UNIT: unstated_unit,
    Kind.COPIES: copies,
    Kind.LONG_NAME: long_name,
    Kind.ONLINE_FLAG: online_flag,
    Kind.ONLINE_SLOWER: online_slower,
    Kind.ONLINE_DEARER: online_dearer,
    Kind.AMOUNT_IN_THOUSANDS: amount_in_thousands,
    Kind.DUPLICATE_DOCUMENT: duplicate_document,
    Kind.ONLINE_WITHOUT_DOCUMENTS: online_without_documents,
    Kind.UNCOUNTED_QUANTITY: uncounted_quantity,
    Kind.UNKNOWN_AMOUNT: unknown_amount,
}


def check(definition: ProcedureDefinition, kinds: Iterable[Kind] | None = None) -> list[Finding]:
    """The findings of one definition, of ``kinds`` (all when None), in check order."""
    wanted = set(kinds) if kinds is not None else set(Kind)
    return [finding for kind, run in CHECKS.items() if kind in wanted
            for finding in run(definition)]


def check_all(definitions: Iterable[ProcedureDefinition],
              kinds: Iterable[Kind] | None = None) -> list[Finding]:
    wanted = list(kinds) if kinds is not None else None
    return [finding for definition in definitions for finding in check(definition, wanted)]


def counts(findings: Iterable[Finding]) -> dict[Kind, int]:
    """Findings per kind, every kind listed (zero included), in check order."""
    found = Counter(finding.kind for finding in findings)
    return {kind: found[kind] for kind in Kind}
