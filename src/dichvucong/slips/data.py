"""What each slip of the one-stop mechanism says (Circular 03/2025/TT-VPCP, Annex I), gathered
from a dossier, its events and the procedure version it was received under.

The layout (``render.py``) only places these values; everything that needs the database or a rule
is here. Times are kept as aware datetimes in the local time zone, texts in NFC.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone, translation

from dichvucong.adminunits.models import AdministrativeUnit
from dichvucong.agencies.models import Agency
from dichvucong.backoffice.timing import HoldLine, hold_lines, minutes_per_day
from dichvucong.catalog.definition import CopyType, FieldType, ProcedureDefinition
from dichvucong.catalog.presenters import format_time_limit, format_vnd
from dichvucong.core.idnumber import mask
from dichvucong.core.text import NAME_MAX
from dichvucong.dossiers import clock
from dichvucong.dossiers.exchange import ledger_of
from dichvucong.dossiers.lifecycle import Action, LifecycleRole, State
from dichvucong.dossiers.models import (
    ApplicantType,
    Delivery,
    Dossier,
    DossierChannel,
    DossierEvent,
)

SLIP_TITLES: dict[str, str] = {
    "01": "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
    "02": "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
    "03": "Phiếu từ chối tiếp nhận giải quyết hồ sơ",
    "04": "Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết",
    "05": "Thông báo dừng giải quyết hồ sơ",
    "06": "Phiếu kiểm soát quá trình giải quyết hồ sơ",
    "07": "Sổ theo dõi hồ sơ",
}
DOSSIER_KINDS = ("01", "02", "03", "04", "05", "06")  # the slips of one dossier; 07 is a register

RECEIVE_ACTIONS = {Action.receive.value, Action.enter_walk_in.value}
PAYMENT_EVENTS = {"fee_requested", "payment_confirmed"}
NEW_DUE_KEY = "new_due_at"
ON_TIME, LATE = "Đúng hạn", "Trễ hạn"
END_OF_WORKING_DAY = time(17, 0)  # a new appointment given as a bare date: the end of that day
COPY_TYPES = {
    CopyType.ORIGINAL: "bản chính",
    CopyType.COPY: "bản sao",
    CopyType.CERTIFIED_COPY: "bản sao có chứng thực",
    CopyType.ELECTRONIC: "bản điện tử",
    CopyType.ELECTRONIC_OR_ORIGINAL: "bản chính hoặc bản điện tử",
    CopyType.ELECTRONIC_OR_COPY: "bản sao hoặc bản điện tử",
    CopyType.CERTIFIED_COPY_OR_ELECTRONIC: "bản sao có chứng thực hoặc bản điện tử",
    CopyType.UNSPECIFIED: "bản",
}
REGISTER_LIMIT = 5000  # rows in one register; the view also limits the date range
ITEM_PREFIX = re.compile(r"^(?:[-–•*+·]\s*|\d{1,3}[.)]\s+|[a-zđ]\)\s+)")  # before an item


class SlipNotAvailable(LookupError):
    """The dossier has no such slip (e.g. no rejection to write Mẫu 03 about)."""


def nfc(text: str | None) -> str:
    return unicodedata.normalize("NFC", text or "").strip()


def local(moment: datetime | None) -> datetime | None:
    return timezone.localtime(moment) if moment is not None else None


# --- the parts every slip shares ----------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    """The document heading: the agency on the left (under its parent), the place and date on
    the right under the national motto."""

    parent: str
    agency: str
    place: str
    day: date


@dataclass(frozen=True)
class Applicant:
    name: str
    id_number: str  # masked: only the last three digits show
    phone: str
    email: str
    address: str
    kind: str  # Công dân, Doanh nghiệp, Hộ kinh doanh
    is_citizen: bool


@dataclass(frozen=True)
class Common:
    heading: Heading
    form_no: str
    title: str
    code: str
    agency_name: str
    agency_phone: str
    agency_address: str
    applicant: Applicant
    procedure_code: str
    procedure_name: str
    channel: str
    submitted_at: datetime | None
    received_at: datetime | None

    @property
    def addressee(self) -> str:
        """How the slip addresses the applicant: «Ông/Bà …» for a person."""
        return f"Ông/Bà {self.applicant.name}" if self.applicant.is_citizen else self.applicant.name

    @property
    def you(self) -> str:
        return "Ông/Bà" if self.applicant.is_citizen else "Quý tổ chức"


@dataclass(frozen=True)
class DocumentLine:
    name: str
    quantity: str


@dataclass(frozen=True)
class ReceptionSlip:  # Mẫu 01
    common: Common
    documents: list[DocumentLine]
    time_limit: str
    received_at: datetime
    due_at: datetime | None
    delivery: str
    fee: str
    tracking_url: str
    officer: str


@dataclass(frozen=True)
class SupplementRequest:  # Mẫu 02
    common: Common
    items: list[str]
    requested_at: datetime
    during_processing: bool
    officer: str


@dataclass(frozen=True)
class Rejection:  # Mẫu 03
    common: Common
    reason: list[str]
    rejected_at: datetime
    officer: str


@dataclass(frozen=True)
class Apology:  # Mẫu 04
    common: Common
    reason: list[str]
    original_due_at: datetime | None
    new_due_at: datetime
    written_at: datetime
    signer: str


@dataclass(frozen=True)
class StopNotice:  # Mẫu 05
    common: Common
    reason: list[str]
    stopped_at: datetime
    signer: str


@dataclass(frozen=True)
class HandOff:
    number: int
    action: str
    from_state: str
    to_state: str
    actor: str
    at: datetime
    on_time: str  # ON_TIME, LATE, or "" without an appointment
    note: str


@dataclass(frozen=True)
class ControlSlip:  # Mẫu 06
    common: Common
    due_at: datetime | None
    original_due_at: datetime | None
    rows: list[HandOff]
    # The clock ledger per agency (``dossiers/exchange.py:ledger_of``): who held it how long.
    holds: list[HoldLine] = field(default_factory=list)


@dataclass(frozen=True)
class RegisterRow:
    number: int
    code: str
    applicant: str
    procedure: str
    received_at: datetime | None
    due_at: datetime | None
    returned_at: datetime | None
    status: str


@dataclass(frozen=True)
class Register:  # Mẫu 07
    heading: Heading
    agency_name: str
    start: date
    end: date
    rows: list[RegisterRow] = field(default_factory=list)
    truncated: bool = False


# --- helpers ------------------------------------------------------------------------------------


def place_name(agency: Agency) -> str:
    """The place written before the date: the commune for a commune agency, else the province
    (``Thành phố Đà Nẵng`` → ``Đà Nẵng``)."""
    unit = agency.administrative_unit
    if unit is None:
        unit = AdministrativeUnit.objects.filter(
            level=AdministrativeUnit.Level.PROVINCE, code=str(settings.PROVINCE_CODE)
        ).first()
    if unit is None:
        return ""
    name = nfc(unit.name)
    for prefix in (unit.division_type, "Thành phố", "Tỉnh", "Phường", "Xã", "Đặc khu"):
        if prefix and name.lower().startswith(prefix.lower() + " "):
            return name[len(prefix) + 1:].strip()
    return name


def heading(agency: Agency, day: date) -> Heading:
    parent = nfc(agency.parent.name) if agency.parent_id else ""
    return Heading(parent=parent, agency=nfc(agency.name), place=place_name(agency), day=day)


def person(event: DossierEvent | None) -> str:
    """Who acted: the account's full name, or the role when no account is recorded."""
    if event is None:
        return ""
    if event.actor is not None:
        return nfc(str(event.actor))
    try:
        return LifecycleRole(event.actor_role).label
    except ValueError:
        return nfc(event.actor_role)


def lines(note: str) -> list[str]:
    """A note's non-empty lines, without the bullet or number people type before an item
    ("- ", "• ", "1. ", "2) ", "a) ")."""
    items = []
    for raw in nfc(note).splitlines():
        text = ITEM_PREFIX.sub("", raw.strip(), count=1).strip()
        if text:
            items.append(text)
    return items


def paragraphs(note: str) -> list[str]:
    return [nfc(line) for line in nfc(note).splitlines() if line.strip()]


def parse_moment(value: object) -> datetime | None:
    """An ISO 8601 date or date and time; a naive one is local time, a bare date the end of
    that working day."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            moment = datetime.combine(date.fromisoformat(text), END_OF_WORKING_DAY)
        else:
            moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return timezone.localtime(moment)


def _unit_names(codes: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    if not codes:
        return {}
    found: dict[tuple[str, str], str] = {}
    for level in {level for level, _ in codes}:
        wanted = [code for lvl, code in codes if lvl == level]
        for unit in AdministrativeUnit.objects.filter(level=level, code__in=wanted):
            found[(level, unit.code)] = nfc(unit.name)
    return found


def format_address(value: object) -> str:
    """An address as the form engine keeps it ({province, commune, street} with unit codes), or
    free text."""
    if isinstance(value, str):
        return nfc(value)
    if not isinstance(value, dict):
        return ""
    street = nfc(str(value.get("street", "")))
    commune, province = str(value.get("commune", "")), str(value.get("province", ""))
    names = _unit_names({(lvl, code) for lvl, code in (("commune", commune),
                                                         ("province", province)) if code})
    parts = [street, names.get(("commune", commune), commune),
             names.get(("province", province), province)]
    return ", ".join(p for p in parts if p)


def applicant_address(dossier: Dossier, definition: ProcedureDefinition) -> str:
    """The applicant's address from the form (its first address field that is filled, or a
    ``dia_chi`` text field), else the delivery address."""
    data = dossier.form_data or {}
    for form_field in definition.form:
        if form_field.type == FieldType.ADDRESS and data.get(form_field.key):
            text = format_address(data[form_field.key])
            if text:
                return text
    for key in ("dia_chi", "dia_chi_thuong_tru", "dia_chi_lien_he", "address"):
        if isinstance(data.get(key), str | dict) and data.get(key):
            text = format_address(data[key])
            if text:
                return text
    return format_address(dossier.delivery_address) if dossier.delivery_address else ""


def _label(choices, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def common(dossier: Dossier, form_no: str, day: date,
           definition: ProcedureDefinition | None = None) -> Common:
    definition = definition or dossier.procedure_version.parsed()
    agency = dossier.agency
    with translation.override("vi"):
        applicant = Applicant(
            name=nfc(dossier.applicant_name),
            id_number=mask(dossier.applicant_id_number) if dossier.applicant_id_number else "",
            phone=nfc(dossier.applicant_phone),
            email=nfc(dossier.applicant_email),
            address=applicant_address(dossier, definition),
            kind=_label(ApplicantType, dossier.applicant_type),
            is_citizen=dossier.applicant_type == ApplicantType.CITIZEN,
        )
        channel = _label(DossierChannel, dossier.channel)
    return Common(
        heading=heading(agency, day),
        form_no=form_no,
        title=SLIP_TITLES[form_no],
        code=dossier.code or f"#{dossier.pk}",
        agency_name=nfc(agency.name),
        agency_phone=nfc(agency.phone),
        agency_address=nfc(agency.address),
        applicant=applicant,
        procedure_code=definition.code,
        procedure_name=nfc(definition.name),
        channel=channel,
        submitted_at=local(dossier.submitted_at),
        received_at=local(dossier.received_at),
    )


def _events(dossier: Dossier) -> list[DossierEvent]:
    """The dossier's events in order; a prefetch (``prefetch_related("events__actor")``) is
    used when the caller made one."""
    if "events" in getattr(dossier, "_prefetched_objects_cache", {}):
        return list(dossier.events.all())
    return list(dossier.events.select_related("actor"))


def _last(events: list[DossierEvent], actions: set[str]) -> DossierEvent | None:
    return next((e for e in reversed(events) if e.action in actions), None)


def _last_apology(events: list[DossierEvent]) -> DossierEvent | None:
    return next((e for e in reversed(events)
                 if isinstance(e.data, dict) and e.data.get(NEW_DUE_KEY)), None)


def _time_limit_text(definition: ProcedureDefinition, channel: str) -> str:
    processing = definition.processing
    with translation.override("vi"):
        if processing.same_day:
            text = "Trong ngày"
            if processing.cutoff:
                text += (f" (hồ sơ nhận sau {processing.cutoff} trả kết quả trong ngày làm việc "
                         "tiếp theo)")
            return text
        # The same rule as the due time (an agent's dossier counts as online).
        limit = clock.time_limit(definition, channel)
        return nfc(format_time_limit(limit)) if limit is not None else ""


def documents_received(dossier: Dossier, definition: ProcedureDefinition) -> list[DocumentLine]:
    """The documents received: the attachments grouped by the required document they answer, in
    the definition's order; with no attachments (a walk-in dossier entered without scans), the
    mandatory documents of the definition with their published quantity."""
    order = {doc.name[:NAME_MAX]: index for index, doc in enumerate(definition.documents)}
    counts = Counter(nfc(a.requirement) for a in dossier.attachments.all())
    if counts:
        names = sorted(counts, key=lambda name: (order.get(name, len(order)), name))
        return [DocumentLine(name, f"Bản điện tử, {counts[name]} tệp") for name in names]
    return [
        DocumentLine(nfc(doc.name),
                     nfc(doc.quantity_text) or f"{doc.copies} {COPY_TYPES[doc.copy_type]}")
        for doc in definition.documents if doc.mandatory
    ]


def tracking_url(code: str) -> str:
    """The public tracking page of a dossier, which the QR code of Mẫu 01 opens."""
    return f"{settings.SITE_URL}/tra-cuu/?{urlencode({'ma': code})}"


# --- the slips ----------------------------------------------------------------------------------


def reception_slip(dossier: Dossier) -> ReceptionSlip:
    events = _events(dossier)
    event = _last(events, RECEIVE_ACTIONS)
    received_at = local(dossier.received_at) or (local(event.created_at) if event else None)
    if received_at is None:
        raise SlipNotAvailable("Hồ sơ chưa được tiếp nhận.")
    definition = dossier.procedure_version.parsed()
    with translation.override("vi"):
        delivery = _label(Delivery, dossier.delivery)
    if dossier.delivery == Delivery.POST and dossier.delivery_address:
        address = format_address(dossier.delivery_address)
        if address:
            delivery = f"{delivery}: {address}"
    return ReceptionSlip(
        common=common(dossier, "01", received_at.date(), definition),
        documents=documents_received(dossier, definition),
        time_limit=_time_limit_text(definition, dossier.channel),
        received_at=received_at,
        due_at=local(dossier.due_at),
        delivery=delivery,
        fee=format_vnd(dossier.fee_amount) if dossier.fee_amount else "",
        tracking_url=tracking_url(dossier.code or ""),
        officer=person(event),
    )


def supplement_request(dossier: Dossier) -> SupplementRequest:
    event = _last(_events(dossier), {Action.request_supplement.value})
    if event is None:
        raise SlipNotAvailable("Hồ sơ không có yêu cầu bổ sung.")
    at = local(event.created_at)
    return SupplementRequest(
        common=common(dossier, "02", at.date()),
        items=lines(event.note),
        requested_at=at,
        during_processing=event.from_state != State.submitted.value,
        officer=person(event),
    )


def rejection(dossier: Dossier) -> Rejection:
    event = _last(_events(dossier), {Action.reject.value})
    if event is None:
        raise SlipNotAvailable("Hồ sơ không bị từ chối tiếp nhận.")
    at = local(event.created_at)
    return Rejection(common=common(dossier, "03", at.date()), reason=paragraphs(event.note),
                     rejected_at=at, officer=person(event))


def apology(dossier: Dossier) -> Apology:
    event = _last_apology(_events(dossier))
    new_due = parse_moment(event.data.get(NEW_DUE_KEY)) if event is not None else None
    if event is None or new_due is None:
        raise SlipNotAvailable("Hồ sơ không có đề nghị gia hạn.")
    at = local(event.created_at)
    original = (parse_moment(event.data.get("old_due_at")) or local(dossier.original_due_at)
                or local(dossier.due_at))
    if original == new_due:
        original = None
    return Apology(common=common(dossier, "04", at.date()), reason=paragraphs(event.note),
                   original_due_at=original, new_due_at=new_due, written_at=at,
                   signer=person(event))


def stop_notice(dossier: Dossier) -> StopNotice:
    event = _last(_events(dossier), {Action.pause.value})
    if event is None:
        raise SlipNotAvailable("Hồ sơ không bị dừng giải quyết.")
    at = local(event.created_at)
    return StopNotice(common=common(dossier, "05", at.date()), reason=paragraphs(event.note),
                      stopped_at=at, signer=person(event))


def _state_label(value: str) -> str:
    try:
        return State(value).label
    except ValueError:
        return value


def _action_label(event: DossierEvent) -> str:
    if isinstance(event.data, dict) and event.data.get(NEW_DUE_KEY) and event.action not in {
        a.value for a in Action
    }:
        return "Xin lỗi, gia hạn"
    return event.get_action_label()


def control_slip(dossier: Dossier) -> ControlSlip:
    # Fee requests and payments are not hand-offs of the dossier: they have their receipts.
    events = [e for e in _events(dossier) if e.action not in PAYMENT_EVENTS]
    if dossier.received_at is None and _last(events, RECEIVE_ACTIONS) is None:
        raise SlipNotAvailable("Hồ sơ chưa được tiếp nhận.")
    due = local(dossier.due_at)
    rows = []
    for number, event in enumerate(events, start=1):
        at = local(event.created_at)
        on_time = "" if due is None else (ON_TIME if at <= due else LATE)
        rows.append(HandOff(
            number=number, action=_action_label(event),
            from_state=_state_label(event.from_state) if event.from_state else "",
            to_state=_state_label(event.to_state), actor=person(event), at=at,
            on_time=on_time, note=nfc(event.note),
        ))
    now = timezone.now()
    book = ledger_of(dossier, events, list(dossier.handovers.select_related("to_agency")), now)
    holds = []
    if book is not None:
        names = dict(Agency.objects.filter(code__in={h.agency for h in book.agencies})
                     .values_list("code", "name"))
        holds = hold_lines(book.agencies, minutes_per_day(clock.calendar_for(
            now, dossier.agency_id)), names)
    return ControlSlip(common=common(dossier, "06", timezone.localdate()), due_at=due,
                       original_due_at=local(dossier.original_due_at), rows=rows, holds=holds)


def register(agency: Agency, start: date, end: date) -> Register:
    """Mẫu 07: the dossiers the agency received from ``start`` to ``end`` (both included)."""
    begin = timezone.make_aware(datetime.combine(start, time.min))
    stop = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min))
    returned = (DossierEvent.objects.filter(dossier=OuterRef("pk"),
                                            action=Action.return_result.value)
                .order_by("created_at").values("created_at")[:1])
    dossiers = list(
        Dossier.objects.filter(agency=agency, received_at__gte=begin, received_at__lt=stop)
        .select_related("procedure")
        .annotate(returned_at=Subquery(returned))
        .order_by("received_at", "code")[: REGISTER_LIMIT + 1]
    )
    rows = [
        RegisterRow(
            number=number, code=d.code or f"#{d.pk}", applicant=nfc(d.applicant_name),
            procedure=nfc(d.procedure.name), received_at=local(d.received_at),
            due_at=local(d.due_at), returned_at=local(d.returned_at),
            status=_state_label(d.state),
        )
        for number, d in enumerate(dossiers[:REGISTER_LIMIT], start=1)
    ]
    return Register(heading=heading(agency, timezone.localdate()), agency_name=nfc(agency.name),
                    start=start, end=end, rows=rows, truncated=len(dossiers) > REGISTER_LIMIT)


def available_slips(dossier: Dossier,
                    events: list[DossierEvent] | None = None) -> list[tuple[str, str]]:
    """The slips this dossier has, as (kind, title), for pages that link to them. ``events``: the
    dossier's events in order when the page has read them; else its prefetched events, if any,
    else read here."""
    events = _events(dossier) if events is None else events
    actions = {e.action for e in events}
    received = dossier.received_at is not None or bool(actions & RECEIVE_ACTIONS)
    has = {
        "01": received,
        "02": Action.request_supplement.value in actions,
        "03": Action.reject.value in actions,
        "04": _last_apology(events) is not None,
        "05": Action.pause.value in actions,
        "06": received,
    }
    return [(kind, SLIP_TITLES[kind]) for kind in DOSSIER_KINDS if has[kind]]


BUILDERS = {
    "01": reception_slip,
    "02": supplement_request,
    "03": rejection,
    "04": apology,
    "05": stop_notice,
    "06": control_slip,
}
