"""The periodic alert scan: raise the alerts whose cause holds now, clear those whose cause is
gone, and tell the people concerned through the notification outbox.

It scales with the dossiers near a deadline, not with the history: every rule is one query on
a partial index over open dossiers (migration 0002: ``due_at`` of dossiers in processing,
``submitted_at`` of dossiers waiting for reception, supplement requests), set-based, with the
instants the rules compare with computed once per working calendar (``rules.window``). Only the
step rule needs the running dossiers' rows, narrow ones, to split their time by the steps'
shares; those splits are stored (``StepSplit``), so a repeated scan, in this process or in a new
one, only computes what changed.

Raising is idempotent and safe against a concurrent scan: ``Alert.cause`` is unique, rows are
inserted with ON CONFLICT DO NOTHING, and only the rows this scan inserted (its ``raised_at``)
are notified.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import BooleanField, F, OuterRef, Q, Subquery, TextField
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils import timezone

from dichvucong.accounts.models import Membership, Role, User
from dichvucong.agencies.models import Agency
from dichvucong.alerts import rules
from dichvucong.alerts.models import Alert, StepSplit
from dichvucong.alerts.rules import Kind, Rules
from dichvucong.catalog.definition import DEFAULT_STEPS
from dichvucong.catalog.models import ProcedureVersion
from dichvucong.core import bulk
from dichvucong.dossiers.clock import calendar_for
from dichvucong.dossiers.lifecycle import PROCESSING_STATES, Action, State
from dichvucong.dossiers.models import Dossier, DossierChannel, DossierEvent, Handover
from dichvucong.feedback import services as feedback
from dichvucong.notify import outbox
from dichvucong.workflow.deadlines import WorkingCalendar
from dichvucong.workflow.models import CalendarOverride
from dichvucong.workflow.routing import route, step_plan

log = logging.getLogger(__name__)

APOLOGY = "apology"  # backoffice.services.APOLOGY: the Mẫu 04 event
CHUNK = 2000


@dataclass(frozen=True)
class Found:
    """A cause that holds now."""

    cause: str
    kind: Kind
    dossier_id: int
    agency_id: int
    assignee_id: int | None
    due_at: datetime | None
    at: datetime | None = None  # the submission or supplement request the alert is about
    step: str = ""


@dataclass
class ScanResult:
    found: int = 0
    raised: int = 0
    cleared: int = 0
    notified: int = 0
    seconds: float = 0.0
    by_kind: dict[str, int] = field(default_factory=dict)
    feedback_notified: int = 0  # messages about feedback near its answer's due time


def calendar_groups(now: datetime, field: str = "agency_id") -> list[tuple[WorkingCalendar, Q]]:
    """The working calendars in force and the agencies each applies to: the city's for every
    agency without days of its own, and each agency's own. ``field``: the agency's column."""
    own = sorted(set(CalendarOverride.objects.filter(agency__isnull=False)
                     .values_list("agency_id", flat=True)))
    groups = [(calendar_for(now), ~Q(**{f"{field}__in": own}) if own else Q())]
    groups += [(calendar_for(now, agency_id), Q(**{field: agency_id})) for agency_id in own]
    return groups


# --- finding the causes ---------------------------------------------------------------------

_ROW = ("id", "agency_id", "assignee_id")

# The partial indexes' conditions (migration 0002), repeated word for word in the queries as
# literals: SQLite uses a partial index only when the query's WHERE contains the index's
# condition term for term, which a condition with bound parameters never does (without them the
# scan read the whole dossier table: 1.06 s at a million dossiers instead of 0.15 s).
# PostgreSQL proves the implication from the parameters' values; the repetition costs it nothing.
PROCESSING_INDEX = ("state IN ('received', 'examining', 'awaiting_review', "
                    "'awaiting_approval', 'approved', 'transferred', 'processing_supplement')")
SUBMITTED_INDEX = "state = 'submitted'"
SUPPLEMENT_INDEX = "state IN ('reception_supplement', 'processing_supplement')"


def _on_index(condition: str) -> RawSQL:
    table = Dossier._meta.db_table
    # Only this module's constant conditions: nothing from outside goes into the SQL.
    return RawSQL(condition.replace("state", f'"{table}"."state"', 1), [],  # noqa: S611
                  output_field=BooleanField())


def _found(kind: Kind, rows: Iterable[tuple], *, due: bool = False,
           at: bool = False) -> Iterator[Found]:
    """Causes from rows (id, agency, assignee[, due time or the instant the alert is about])."""
    for row in rows:
        pk, agency_id, assignee_id = row[:3]
        moment = row[3] if due or at else None
        yield Found(rules.cause(kind, pk, moment), kind, pk, agency_id, assignee_id,
                    due_at=moment if due else None, at=moment if at else None)


def find(now: datetime, config: Rules | None = None,
         groups: list[tuple[WorkingCalendar, Q]] | None = None) -> dict[str, Found]:
    """Every cause that holds at ``now``, keyed by its cause key (``groups``: the calendars
    in force, if already read)."""
    config = config or Rules.from_settings()
    found: dict[str, Found] = {}
    splits = _Splits()

    def add(items: Iterable[Found]) -> None:
        for item in items:
            found[item.cause] = item

    for calendar, scope in groups or calendar_groups(now):
        window = rules.window(calendar, now, config)
        dossiers = Dossier.objects.filter(scope)
        add(_found(Kind.not_received, dossiers.filter(
            _on_index(SUBMITTED_INDEX), state=State.submitted.value, channel=DossierChannel.ONLINE,
            submitted_at__lt=window.submitted_before).values_list(*_ROW, "submitted_at"),
            at=True))
        # Dossiers whose clock runs: in processing and not paused for a supplement.
        running = dossiers.filter(_on_index(PROCESSING_INDEX), state__in=PROCESSING_STATES,
                                  paused_at__isnull=True)
        add(_found(Kind.near_due, running.filter(
            due_at__gt=now, due_at__lte=window.near_until).values_list(*_ROW, "due_at"),
            due=True))
        late = list(running.filter(due_at__lte=now).values_list(*_ROW, "due_at"))
        # Waiting for a supplement while already overdue at the pause: still overdue.
        late += list(dossiers.filter(_on_index(SUPPLEMENT_INDEX),
                                     state=State.processing_supplement.value,
                                     due_at__lt=F("paused_at")).values_list(*_ROW, "due_at"))
        add(_found(Kind.overdue, late, due=True))
        # Which of them had their apology (Mẫu 04): a lookup of those few in a small index.
        apologised: set[int] = set()
        for chunk in _chunks([row[0] for row in late]):
            apologised.update(DossierEvent.objects.filter(dossier_id__in=chunk, action=APOLOGY)
                              .values_list("dossier_id", flat=True))
        add(_found(Kind.no_apology, (row for row in late if row[0] not in apologised)))
        add(_found(Kind.supplement_unanswered, dossiers.filter(
            _on_index(SUPPLEMENT_INDEX), state=State.processing_supplement.value,
            paused_at__lt=window.supplement_before).values_list(*_ROW, "paused_at"), at=True))
        requested = Subquery(DossierEvent.objects.filter(
            dossier=OuterRef("pk"), action=Action.request_supplement.value)
            .order_by("-created_at").values("created_at")[:1])
        add(_found(Kind.supplement_unanswered, dossiers.filter(
            _on_index(SUPPLEMENT_INDEX), state=State.reception_supplement.value)
            .annotate(requested=requested).filter(requested__lt=window.supplement_before)
            .values_list(*_ROW, "requested"), at=True))
        add(_steps(calendar, now, running, config, splits))
    # Handovers (liên thông) near or past their own deadline, on the receiving agency's
    # calendar, raised on that agency: open ones only, in the (to_agency, answered_at, due_at)
    # index.
    for calendar, scope in calendar_groups(now, "to_agency_id"):
        near_until = rules.window(calendar, now, config).near_until
        rows = Handover.objects.filter(scope, answered_at__isnull=True,
                                       due_at__lte=near_until).values_list(
            "pk", "dossier_id", "to_agency_id", "due_at", "step")
        add(Found(rules.cause(Kind.handover_due, dossier_id, due, step=pk), Kind.handover_due,
                  dossier_id, agency_id, None, due_at=due, step=step[:300])
            for pk, dossier_id, agency_id, due, step in rows)
    splits.save()
    return found


# A running step as split: (index, name, due time, the instant it becomes near), or None.
Split = tuple[int, str, datetime, datetime] | None


class _Splits:
    """The stored step splits (``StepSplit``), read once per scan; what the scan computed anew is
    written back and the rows of dossiers no longer running are deleted, at the end."""

    def __init__(self) -> None:
        self.stored: dict[int, tuple[str, Split]] = {}
        for pk, key, step, name, due, near in StepSplit.objects.values_list(
                "dossier_id", "key", "step", "name", "due_at", "near_from").iterator(CHUNK):
            self.stored[pk] = (key, None if step is None else (step, name, due, near))
        self.seen: set[int] = set()
        self.fresh: dict[int, tuple[str, Split]] = {}

    def get(self, pk: int, key: str) -> Split | bool:
        """The split stored for this key, or False when it must be computed."""
        self.seen.add(pk)
        stored = self.stored.get(pk)
        return stored[1] if stored is not None and stored[0] == key else False

    def put(self, pk: int, key: str, split: Split) -> None:
        self.fresh[pk] = (key, split)

    def save(self) -> None:
        gone = [pk for pk in self.stored if pk not in self.seen]
        for chunk in _chunks(gone):
            StepSplit.objects.filter(dossier_id__in=chunk).delete()
        # A first scan stores a split per running dossier (17,000 at a million dossiers):
        # bulk_create's per-instance preparation, or a statement of thousands of placeholders
        # for the driver to parse, took seconds, and arrays as parameters 0.9 s, the driver
        # quoting each element. PostgreSQL: one statement, a text array per column
        # (``core/bulk.py``); SQLite: executemany, in process.
        postgresql = connection.vendor == "postgresql"
        adapt = (lambda v: v) if postgresql else connection.ops.adapt_datetimefield_value
        rows = [(pk, key, None, "", None, None) if split is None else
                (pk, key, split[0], split[1], adapt(split[2]), adapt(split[3]))
                for pk, (key, split) in self.fresh.items()]
        if not rows:
            return
        columns = "(dossier_id, key, step, name, due_at, near_from)"
        upsert = ("ON CONFLICT (dossier_id) DO UPDATE SET key = excluded.key, "
                  "step = excluded.step, name = excluded.name, due_at = excluded.due_at, "
                  "near_from = excluded.near_from")
        table = StepSplit._meta.db_table
        with connection.cursor() as cursor:
            if postgresql:
                select = bulk.unnest_select(
                    ("bigint", "text", "smallint", "text", "timestamptz", "timestamptz"))
                cursor.execute(f"INSERT INTO {table} {columns} {select} {upsert}",  # noqa: S608
                               [bulk.array_literal(c) for c in zip(*rows, strict=True)])
            else:
                cursor.executemany(f"INSERT INTO {table} {columns} "  # noqa: S608
                                   f"VALUES (%s, %s, %s, %s, %s, %s) {upsert}", rows)


def _plans(version_ids: set[int]) -> dict[int, tuple[list[str], list[str], list[Decimal],
                                                     list[str | None]]]:
    plans = {}
    rows = ProcedureVersion.objects.filter(pk__in=version_ids).values_list(
        "pk", "definition__workflow")
    for pk, workflow in rows:
        steps = step_plan(route(
            (s.get("name", ""), s.get("role", ""), Decimal(str(s.get("share", 0))),
             s.get("agency"), s.get("parallel", False), s.get("kind"))
            for s in (workflow or []) if isinstance(s, dict))) or [
                (*step, None) for step in DEFAULT_STEPS]
        plans[pk] = ([n for n, _r, _s, _k in steps], [r for _n, r, _s, _k in steps],
                     [s for _n, _r, s, _k in steps], [k for _n, _r, _s, k in steps])
    return plans


def _aware(value: str | datetime) -> datetime:
    # Timestamps cast to text: SQLite's are UTC without an offset, PostgreSQL's carry one.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _steps(calendar: WorkingCalendar, now: datetime, running, config: Rules,
           splits: _Splits) -> Iterator[Found]:
    """The running steps near their deadline. Every running dossier's row is read (narrow, raw:
    no conversion), but its split is computed only when the stored one was made from other
    values (a new dossier, a new state or due time, another calendar or threshold), so a
    repeated scan compares instants only."""
    # As text: parsing thousands of timestamps costs more than the query; a row already split
    # is recognised by its text.
    received, due = Cast("received_at", TextField()), Cast("due_at", TextField())
    query = running.filter(state__in=list(rules.RUNNING_STEP_ROLES), received_at__isnull=False,
                           due_at__isnull=False).values_list(
        *_ROW, "state", received, due, "procedure_version_id")
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    threshold = config.step_threshold
    context = f"{calendar.fingerprint}|{threshold.unit}:{threshold.value}"
    plans: dict[int, tuple[list[str], list[str], list[Decimal], list[str | None]]] | None = None
    for pk, agency_id, assignee_id, state, received_raw, due_raw, version_id in rows:
        key = f"{state}|{received_raw}|{due_raw}|{version_id}|{context}"
        known = splits.get(pk, key)
        if known is False:
            if plans is None:  # read the workflows only when some split is not known yet
                plans = _plans({row[-1] for row in rows})
            names, roles, shares, kinds = plans.get(version_id, ([], [], [], []))
            index = rules.running_step(state, roles, kinds)
            split = None if index is None else rules.step_split(
                calendar, _aware(received_raw), _aware(due_raw), shares, index,
                config.step_threshold)
            known = None if split is None else (index, names[index][:300], *split)
            splits.put(pk, key, known)
        if known is None:
            continue
        index, name, step_due, near_from = known
        if now >= near_from:
            yield Found(rules.cause(Kind.step_near_due, pk, step_due, index),
                        Kind.step_near_due, pk, agency_id, assignee_id, step_due,
                        step=name[:300])


# --- raising and clearing -------------------------------------------------------------------


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def apply(found: dict[str, Found], now: datetime) -> ScanResult:
    """Clear the open alerts whose cause is gone, raise the causes never raised, notify."""
    result = ScanResult(found=len(found))
    for item in found.values():
        result.by_kind[item.kind.value] = result.by_kind.get(item.kind.value, 0) + 1
    with transaction.atomic():
        open_alerts = dict(Alert.objects.filter(cleared_at__isnull=True)
                           .values_list("cause", "pk"))
        gone = [pk for cause, pk in open_alerts.items() if cause not in found]
        for chunk in _chunks(gone):
            result.cleared += Alert.objects.filter(pk__in=chunk, cleared_at__isnull=True
                                                   ).update(cleared_at=now)
        fresh = [cause for cause in found if cause not in open_alerts]
        known: set[str] = set()
        for chunk in _chunks(fresh):
            known.update(Alert.objects.filter(cause__in=chunk).values_list("cause", flat=True))
        new = [found[cause] for cause in fresh if cause not in known]
        created = _insert(new, now)
        result.raised = len(created)
        result.notified = notify(created, {item.cause: item for item in new})
    return result


def _insert(new: list[Found], now: datetime) -> list[Alert]:
    """Insert the alerts of ``new``, skipping a cause a concurrent scan raised meanwhile;
    the alerts this scan inserted. PostgreSQL: one statement returning their ids (a first
    scan raises thousands: ``bulk_create`` prepared each instance and the inserted rows were
    read back by cause, a second of the first scan at a million dossiers); SQLite:
    ``bulk_create`` and the rows read back by this scan's ``raised_at``."""
    if not new:
        return []
    if connection.vendor != "postgresql":
        Alert.objects.bulk_create(
            [Alert(kind=item.kind.value, cause=item.cause, dossier_id=item.dossier_id,
                   agency_id=item.agency_id, step=item.step, due_at=item.due_at,
                   raised_at=now) for item in new],
            batch_size=500, ignore_conflicts=True)
        created: list[Alert] = []
        for chunk in _chunks([item.cause for item in new]):
            created += Alert.objects.filter(cause__in=chunk, raised_at=now)
        return created
    columns = ("kind", "cause", "dossier_id", "agency_id", "step", "due_at", "raised_at")
    rows = [(item.kind.value, item.cause, item.dossier_id, item.agency_id, item.step,
             item.due_at, now) for item in new]
    select = bulk.unnest_select(("text", "text", "bigint", "bigint", "text", "timestamptz",
                                 "timestamptz"))
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {Alert._meta.db_table} ({', '.join(columns)}) "  # noqa: S608
                       f"{select} ON CONFLICT (cause) DO NOTHING RETURNING id, cause",
                       [bulk.array_literal(c) for c in zip(*rows, strict=True)])
        ids = dict((cause, pk) for pk, cause in cursor.fetchall())
    return [Alert(pk=ids[item.cause], kind=item.kind.value, cause=item.cause,
                  dossier_id=item.dossier_id, agency_id=item.agency_id, step=item.step,
                  due_at=item.due_at, raised_at=now)
            for item in new if item.cause in ids]


def scan(now: datetime | None = None, config: Rules | None = None) -> ScanResult:
    started = time.perf_counter()
    now = now or timezone.now()
    groups = calendar_groups(now)
    result = apply(find(now, config, groups), now)
    result.feedback_notified = escalate_feedback(now, config, groups)
    result.seconds = time.perf_counter() - started
    log.info("alert scan: %s causes, %s raised, %s cleared, %s notifications in %.2f s",
             result.found, result.raised, result.cleared, result.notified, result.seconds)
    return result


def escalate_feedback(now: datetime, config: Rules | None = None,
                      groups: list[tuple[WorkingCalendar, Q]] | None = None) -> int:
    """Feedback not answered and due within the dossiers' near-due window (or past due) goes to
    the agency head and the procedure controllers, once (``feedback/services.py:escalate``)."""
    config = config or Rules.from_settings()
    sent = 0
    for calendar, scope in groups or calendar_groups(now):
        sent += feedback.escalate(now, rules.window(calendar, now, config).near_until, scope)
    return sent


# --- recipients -----------------------------------------------------------------------------

RECEPTION_KINDS = frozenset({Kind.not_received})
# Raised on the agency a dossier was handed to: its specialists answer for the step too.
HANDOVER_KINDS = frozenset({Kind.handover_due})


def recipients(alerts: list[Alert], assignees: dict[int, int | None]) -> dict[int, set[int]]:
    """User ids to tell about each alert: the dossier's assignee, the leaders of its agency,
    the procedure controllers of the agency or of the agency above it (the city's controllers
    watch every agency), for a dossier not yet received, the agency's reception officers, and
    for a handover near its deadline, the receiving agency's specialists."""
    agency_ids = {alert.agency_id for alert in alerts}
    parents = dict(Agency.objects.filter(pk__in=agency_ids).values_list("pk", "parent_id"))
    roles = (Role.LEADER, Role.PROCEDURE_CONTROLLER, Role.RECEPTION_OFFICER, Role.SPECIALIST)
    held: dict[tuple[int, str], set[int]] = defaultdict(set)
    rows = Membership.objects.filter(
        agency_id__in=agency_ids | {p for p in parents.values() if p}, role__in=roles,
        user__is_active=True).values_list("agency_id", "role", "user_id")
    for agency_id, role, user_id in rows:
        held[(agency_id, role)].add(user_id)
    result: dict[int, set[int]] = {}
    for alert in alerts:
        users: set[int] = set()
        if assignees.get(alert.pk):
            users.add(assignees[alert.pk])
        users |= held[(alert.agency_id, Role.LEADER)]
        users |= held[(alert.agency_id, Role.PROCEDURE_CONTROLLER)]
        parent = parents.get(alert.agency_id)
        if parent:
            users |= held[(parent, Role.PROCEDURE_CONTROLLER)]
        if Kind(alert.kind) in RECEPTION_KINDS:
            users |= held[(alert.agency_id, Role.RECEPTION_OFFICER)]
        if Kind(alert.kind) in HANDOVER_KINDS:
            users |= held[(alert.agency_id, Role.SPECIALIST)]
        result[alert.pk] = users
    return result


def event_for(kind: Kind) -> str:
    """The outbox event of an alert kind (``notify.texts.EVENTS`` has a text for each)."""
    return f"alert.{kind.value}"


def notify(alerts: list[Alert], found: dict[str, Found]) -> int:
    """One message per alert and recipient, through the outbox, in the scan's transaction (so
    the messages exist exactly when the alerts do). The dedupe key is the alert's and the
    recipient's: a message is never sent twice for one alert."""
    if not alerts:
        return 0
    assignees = {alert.pk: found[alert.cause].assignee_id for alert in alerts}
    who = recipients(alerts, assignees)
    users = User.objects.in_bulk({pk for ids in who.values() for pk in ids})
    # Only what the messages show (notify/outbox.py: _with_dossier, _dossier_link): a
    # procedure's row carries its whole definition.
    dossiers = Dossier.objects.select_related("procedure", "agency").only(
        "code", "applicant_name", "due_at", "procedure__name", "agency__name").in_bulk(
        {alert.dossier_id for alert in alerts})
    messages = []
    for alert in alerts:
        dossier = dossiers[alert.dossier_id]
        item = found[alert.cause]
        context = {"alert": alert.pk, "step": alert.step, "at": item.at or ""}
        if alert.due_at:
            context["due"] = alert.due_at
        event = event_for(Kind(alert.kind))
        messages += [{"event": event, "context": context, "user": users[user_id],
                      "dedupe_key": f"alert:{alert.pk}:{user_id}", "dossier": dossier}
                     for user_id in sorted(who[alert.pk])]
    # In batches: one message at a time was most of a first scan's time (1,104 messages took
    # 4 queries each).
    outbox.enqueue_many(messages)
    return len(messages)
