"""The back office's work queues: which dossiers wait for whom, read with one indexed condition.

Every queue is a set of states (the lifecycle's states are the queues, see lifecycle.py) worked
by some account roles. An official sees the queues of the roles they hold, scoped to the agencies
where they hold them; a procedure controller or agency head watches them all. The counts of all
queues come from the counts the database keeps per (agency, state, step role)
(``dossiers/queuecounts.py``): one query whatever the number of dossiers waiting; a filtered
page's counts (search, overdue, channel) from one grouped query over the dossiers. The rows of
the open queue are paginated by key, never by OFFSET or a COUNT(*) of the table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from dichvucong.accounts.models import Role, User
from dichvucong.agencies.models import Agency
from dichvucong.catalog import queries as catalog_queries
from dichvucong.catalog.definition import StepKind
from dichvucong.catalog.models import Procedure
from dichvucong.core import pagecache
from dichvucong.dossiers import access, queuecounts
from dichvucong.dossiers.codes import CODE as DOSSIER_CODE
from dichvucong.dossiers.lifecycle import SUPPLEMENT_STATES, State
from dichvucong.dossiers.models import Dossier, DossierChannel, Handover
from dichvucong.dossiers.submission import receiving_agencies
from dichvucong.workflow.deadlines import WorkingCalendar

from .timing import RECEPTION_LIMIT_MINUTES, DueStatus, ReceptionClock, due_status, reception_clock

PAGE_SIZE = 20
# What a row shows and its clocks and cursor use (backoffice/presenters.py:queue_rows): the
# ORM's cost grows with the columns it reads, and three whole tables' worth was most of the
# page's query time. The dossiers' table alone: the procedure's name comes from the catalogue
# this process holds, the assignee's from one query of the page's few (``page``).
# Read as named tuples, not model instances: building twenty instances of a 30-field model with
# most fields deferred cost more than the query.
ROW_COLUMNS = ("id", "code", "state", "channel", "applicant_name", "submitted_at",
               "received_at", "due_at", "paused_at", "procedure_id", "assignee_id")
RECEPTION = Role.RECEPTION_OFFICER.value
SPECIALIST = Role.SPECIALIST.value
LEADER = Role.LEADER.value
WATCHING = frozenset({Role.PROCEDURE_CONTROLLER.value, Role.AGENCY_HEAD.value})
OFFICIAL = frozenset(str(role) for role in access.OFFICIAL_ROLES)


@dataclass(frozen=True)
class Queue:
    key: str  # in the address: ?hang-doi=<key>
    label: str
    states: tuple[State, ...]
    roles: frozenset[str]  # account roles that work this queue
    hint: str = ""
    by_submission: bool = False  # oldest submission first (reception), else earliest due first
    # A step of the procedure's internal path: the dossier is shown to the role whose step it is
    # (``Dossier.step_role``; empty: to ``roles``), and to the watching roles.
    routed: bool = False


QUEUES: tuple[Queue, ...] = (
    Queue("tiep-nhan", _("Chờ tiếp nhận"), (State.submitted,), frozenset({RECEPTION}),
          _("Hồ sơ trực tuyến, cũ nhất trước; cần tiếp nhận trong 4 giờ làm việc."),
          by_submission=True),
    Queue("phan-cong", _("Chờ phân công"), (State.received,), frozenset({LEADER}),
          _("Hồ sơ đã tiếp nhận, chờ lãnh đạo giao chuyên viên."), routed=True),
    Queue("tham-dinh", _("Đang thẩm định"), (State.examining,), frozenset({SPECIALIST, LEADER}),
          _("Hồ sơ giao cho bạn đứng trước.")),
    Queue("xem-xet", _("Chờ xem xét, trình lãnh đạo"), (State.awaiting_review,),
          frozenset({LEADER}), _("Thủ tục hai cấp phê duyệt: xem xét rồi trình lãnh đạo ký."),
          routed=True),
    Queue("phe-duyet", _("Chờ phê duyệt"), (State.awaiting_approval,), frozenset({LEADER}),
          routed=True),
    Queue("ban-hanh", _("Đã phê duyệt, chờ ban hành kết quả"), (State.approved,),
          frozenset({SPECIALIST})),
    Queue("lien-thong", _("Đang xử lý liên thông"), (State.transferred,),
          frozenset({SPECIALIST})),
    Queue("tra-ket-qua", _("Chờ trả kết quả"), (State.result_ready,), frozenset({RECEPTION})),
    Queue("cho-bo-sung", _("Chờ người nộp bổ sung"),
          tuple(State(value) for value in SUPPLEMENT_STATES),
          frozenset({RECEPTION, SPECIALIST, LEADER})),
    Queue("dung", _("Dừng giải quyết"), (State.paused,), frozenset({LEADER})),
)
BY_KEY = {queue.key: queue for queue in QUEUES}
REVIEW = "xem-xet"  # shown only where a procedure has two approval levels


@dataclass(frozen=True)
class Filters:
    query: str = ""
    overdue: bool = False
    channel: str = ""
    procedure_ids: tuple[int, ...] = ()  # the procedures the query finds, searched once

    @classmethod
    def from_params(cls, params) -> Filters:
        channel = params.get("kenh", "")
        query = " ".join(str(params.get("q", "")).split())[:100]
        # A dossier's code finds that dossier; anything else searches the procedures' names.
        searched = bool(query) and not DOSSIER_CODE.match(query)
        return cls(query=query, overdue=params.get("tre-han") == "1",
                   channel=channel if channel in DossierChannel.values else "",
                   procedure_ids=tuple(catalog_queries.search_ids(query)) if searched else ())

    @property
    def active(self) -> bool:
        return bool(self.query or self.overdue or self.channel)


def memberships(user: User) -> list[tuple[int, str]]:
    """(agency id, account role) of every role the user holds: one query per request, shared
    with the navigation and the other access checks (``User.held_roles``)."""
    return [(agency, role) for agency, role, *_ in user.held_roles()]


def is_official(held: Iterable[tuple[int, str]]) -> bool:
    return any(role in OFFICIAL for _agency, role in held)


def queue_agencies(queue: Queue, held: Iterable[tuple[int, str]]) -> set[int]:
    return {agency for agency, role in held if role in queue.roles or role in WATCHING}


def visible_queues(held: list[tuple[int, str]],
                   reviewing: set[int] | None = None) -> list[Queue]:
    """The queues of the roles held; «Chờ xem xét» only at the agencies of ``reviewing`` (see
    ``review_agencies``; None: not filtered)."""
    return [queue for queue in QUEUES if (agencies := queue_agencies(queue, held))
            and (queue.key != REVIEW or reviewing is None or agencies & reviewing)]


# What the catalogue gives every page of this process, read again after each change to it
# (``core.pagecache``'s catalogue generation, bumped by every procedure, version or agency saved).
_catalog: dict[str, tuple[int, object]] = {}


def _from_catalog(name: str, read):
    generation = pagecache.generation(pagecache.CATALOG)
    held = _catalog.get(name)
    if held is None or held[0] != generation:
        held = _catalog[name] = (generation, read())
    return held[1]


def forget() -> None:
    """Read the catalogue's data afresh (a test's rolled-back catalogue)."""
    _catalog.clear()


def _routing_review() -> frozenset[int]:
    """Every agency where a procedure in force that can be filed there routes a review step."""
    found: set[int] = set()
    # The text finds the few candidates (one query on both databases), the steps decide.
    candidates = Procedure.objects.filter(
        is_active=True, current_version__definition__workflow__icontains='"review"',
    ).select_related("current_version")
    for procedure in candidates:
        steps = procedure.current_version.definition.get("workflow") or []
        if any(isinstance(s, dict) and s.get("kind") == StepKind.review.value for s in steps):
            found.update(receiving_agencies(procedure).values_list("pk", flat=True))
    return frozenset(found)


def review_agencies(agency_ids: Iterable[int],
                    waiting: dict[queuecounts.Key, int] | None = None) -> set[int]:
    """Of ``agency_ids``, those with a second approval level: some procedure in force that can
    be filed there routes a review step (``StepKind.review``; read once per catalogue change),
    or a dossier waits for review there (still to be worked if the procedure changed since;
    from ``waiting``, the page's kept counts, when given)."""
    ids = set(agency_ids)
    if not ids:
        return set()
    review = State.awaiting_review.value
    if waiting is not None:
        found = {agency for (agency, state, _role), n in waiting.items() if state == review and n}
    else:
        found = set(Dossier.objects.filter(agency_id__in=ids, state=review)
                    .values_list("agency_id", flat=True).distinct())
    return (found | _from_catalog("review", _routing_review)) & ids


def registers(held: Iterable[tuple[int, str]]) -> list[tuple[str, str]]:
    """(code, name) of the agencies of ``held``, unordered: their tracking registers."""
    names = _from_catalog("agencies", lambda: dict(
        (pk, (code, name)) for pk, code, name in Agency.objects.values_list("pk", "code", "name")))
    return [names[agency] for agency in {agency for agency, _role in held} if agency in names]


def procedure_names(ids: Iterable[int]) -> dict[int, str]:
    """The names of the procedures ``ids``: from the catalogue this process holds (read once
    per catalogue change), any it does not hold yet (filed in between) read now."""
    names: dict[int, str] = _from_catalog("procedure names", lambda: dict(
        Procedure.objects.values_list("pk", "name")))
    missing = set(ids) - names.keys()
    if not missing:
        return names
    return {**names, **dict(Procedure.objects.filter(pk__in=missing).values_list("pk", "name"))}


# The account roles a procedure's routing may give a step (catalog/definition.py:KIND_ROLES).
ROUTABLE = frozenset({LEADER, SPECIALIST, Role.AGENCY_HEAD.value})


@dataclass(frozen=True)
class Scope:
    """Whose dossiers of a queue an official sees: every one of ``agencies``; of the others,
    those whose step role is in ``steps[agency]``."""

    agencies: frozenset[int]
    steps: dict[int, frozenset[str]]

    def sees(self, agency_id: int, step_role: str) -> bool:
        return agency_id in self.agencies or step_role in self.steps.get(agency_id, ())

    def condition(self) -> Q:
        found = Q(agency_id__in=sorted(self.agencies))
        for agency, roles in sorted(self.steps.items()):
            found |= Q(agency_id=agency, step_role__in=sorted(roles))
        return found


def scope(queue: Queue, held: Iterable[tuple[int, str]]) -> Scope:
    if not queue.routed:
        return Scope(frozenset(queue_agencies(queue, held)), {})
    watching = {agency for agency, role in held if role in WATCHING}
    steps: dict[int, set[str]] = {}
    for agency, role in held:
        if agency in watching or role not in ROUTABLE:
            continue
        # The step's role sees it; a dossier whose step role was never written is the queue's.
        steps.setdefault(agency, set()).update({role, ""} if role in queue.roles else {role})
    return Scope(frozenset(watching), {a: frozenset(r) for a, r in steps.items()})


def _filtered(qs: QuerySet[Dossier], filters: Filters, calendar: WorkingCalendar,
              now: datetime) -> QuerySet[Dossier]:
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.overdue:
        # Not received within 4 working hours, or past the due time (while waiting for a
        # supplement, the time left at the pause counts).
        waited_since = calendar.add_working_minutes(now, -RECEPTION_LIMIT_MINUTES)
        qs = qs.filter(
            Q(state=State.submitted.value, submitted_at__lt=waited_since)
            | Q(paused_at__isnull=True, due_at__lt=now)
            | Q(paused_at__isnull=False, due_at__lt=F("paused_at"))
        )
    if filters.query:
        condition = Q(code=filters.query)
        if filters.procedure_ids:
            condition |= Q(procedure_id__in=filters.procedure_ids)
        qs = qs.filter(condition)
    return qs


def _official_agencies(held: Iterable[tuple[int, str]]) -> list[int]:
    # ``access.agency_dossiers(user)`` from the roles already read: no subquery to build.
    return sorted({agency for agency, role in held if role in OFFICIAL})


def waiting(held: list[tuple[int, str]]) -> dict[queuecounts.Key, int]:
    """The dossiers of each (agency, state, step role) of the visible queues' states at the
    official's agencies, from the counts the database keeps: one query."""
    states = {state.value for queue in visible_queues(held) for state in queue.states}
    return queuecounts.counted(_official_agencies(held), states)


def counts(held: list[tuple[int, str]], filters: Filters, calendar: WorkingCalendar,
           now: datetime, kept: dict[queuecounts.Key, int] | None = None) -> dict[str, int]:
    """Dossiers in each visible queue: unfiltered, from the kept counts (``waiting``; ``kept``
    when already read); filtered, one grouped query over (agency, state, step role)."""
    queues = visible_queues(held)
    if filters.active:
        states = {state.value for queue in queues for state in queue.states}
        qs = _filtered(Dossier.objects.filter(agency_id__in=_official_agencies(held),
                                              state__in=states), filters, calendar, now)
        grouped = list(qs.values_list("agency_id", "state", "step_role").annotate(
            n=Count("id")).order_by())
    else:
        grouped = [(*key, n) for key, n in (waiting(held) if kept is None else kept).items()]
    found: dict[str, int] = {queue.key: 0 for queue in queues}
    scopes = {queue.key: scope(queue, held) for queue in queues}
    for agency_id, state, step_role, n in grouped:
        for queue in queues:
            if State(state) in queue.states and scopes[queue.key].sees(agency_id, step_role):
                found[queue.key] += n
    return found


@dataclass
class Row:
    dossier: tuple  # a named tuple of ROW_COLUMNS (and ``rank`` in a ranked queue)
    procedure: str  # its name
    assignee: str  # the specialist's name, "" when nobody is assigned
    due: DueStatus | None
    clock: ReceptionClock | None
    mine: bool
    handover: Handover | None = None  # where a transferred dossier is, and until when


@dataclass
class Page:
    queue: Queue
    rows: list[Row] = field(default_factory=list)
    next_cursor: str = ""
    first: bool = True


def _encode(rank: int, moment: datetime | None, pk: int) -> str:
    stamp = "-" if moment is None else str(
        (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1))
    return f"{rank}.{stamp}.{pk}"


def _decode(cursor: str) -> tuple[int, datetime | None, int] | None:
    try:
        rank, stamp, pk = cursor.split(".")
        moment = None if stamp == "-" else (
            datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(stamp)))
        return int(rank), moment, int(pk)
    except (ValueError, OverflowError):
        return None


def _after(column: str, moment: datetime | None, pk: int) -> Q:
    """Rows after (moment, pk) in the order (column ascending, nulls last; id)."""
    if moment is None:
        return Q(**{f"{column}__isnull": True, "id__gt": pk})
    return (Q(**{f"{column}__gt": moment}) | Q(**{column: moment, "id__gt": pk})
            | Q(**{f"{column}__isnull": True}))


def page(user: User, held: list[tuple[int, str]], queue: Queue, filters: Filters,
         calendar: WorkingCalendar, now: datetime, cursor: str = "") -> Page:
    """One page of ``queue``, from ``cursor`` on: (mine first,) earliest first, then by id."""
    qs = Dossier.objects.filter(scope(queue, held).condition(),
                                state__in=[state.value for state in queue.states])
    # No join: joined, PostgreSQL's planner may read every dossier waiting at the desk and sort
    # them (its statistics, taken before a desk's queue grew, counted one: 14 ms at 3,000
    # waiting), where the dossiers' table alone walks the index in the page's order (0.1 ms).
    qs = _filtered(qs, filters, calendar, now)
    column = "submitted_at" if queue.by_submission else "due_at"
    ranked = queue.key == "tham-dinh" and any(role == SPECIALIST for _a, role in held)
    if ranked:
        qs = qs.annotate(rank=Case(When(assignee_id=user.pk, then=Value(0)), default=Value(1),
                                   output_field=IntegerField()))
    position = _decode(cursor) if cursor else None
    if position is not None:
        rank, moment, pk = position
        after = _after(column, moment, pk)
        qs = qs.filter(Q(rank__gt=rank) | (Q(rank=rank) & after)) if ranked else qs.filter(after)
    order = [F(column).asc(nulls_last=True), "id"]
    qs = qs.order_by(*(["rank"] if ranked else []), *order)
    found = list(qs.values_list(*ROW_COLUMNS, *(["rank"] if ranked else []), named=True)
                 [: PAGE_SIZE + 1])
    result = Page(queue=queue, first=position is None)
    shown = found[:PAGE_SIZE]
    procedures = procedure_names({dossier.procedure_id for dossier in shown})
    assigned = {dossier.assignee_id for dossier in shown} - {None}
    assignees = {pk: full_name or username for pk, full_name, username in User.objects.filter(
        pk__in=assigned).values_list("pk", "full_name", "username")} if assigned else {}
    for dossier in shown:
        result.rows.append(Row(
            dossier=dossier,
            procedure=procedures.get(dossier.procedure_id, ""),
            assignee=assignees.get(dossier.assignee_id, ""),
            due=due_status(calendar, now, dossier.due_at, dossier.paused_at),
            clock=reception_clock(calendar, now, dossier.submitted_at)
            if dossier.state == State.submitted.value else None,
            mine=dossier.assignee_id == user.pk,
        ))
    if queue.key == "lien-thong" and result.rows:
        # Where each dossier is: one query for the page's open handovers.
        held = {h.dossier_id: h for h in Handover.objects.filter(
            dossier_id__in=[row.dossier.id for row in result.rows],
            answered_at__isnull=True).select_related("to_agency")}
        for row in result.rows:
            row.handover = held.get(row.dossier.id)
    if len(found) > PAGE_SIZE:
        last = found[PAGE_SIZE - 1]
        result.next_cursor = _encode(getattr(last, "rank", 0), getattr(last, column), last.id)
    return result
