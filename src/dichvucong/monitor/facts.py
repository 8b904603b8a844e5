"""Keeping the monitoring facts (``models.DossierFact``, ``models.DailyFact``) up to date.

Public API (stable; the history generator and the open-data export call it):

* :func:`refresh_dossier` ``(dossier_id)``: recompute one dossier's fact row and move its
  contributions in the daily facts by the difference. The ``facts`` step of the pipeline
  (``pipeline/steps.py``) for every ``DossierEvent`` and every ``Rating`` saved or deleted, run
  by its worker after the change commits, once per change;
  :func:`refresh_dossiers` ``(dossier_ids)`` the same for a batch of the worker's entries, in a
  fixed number of statements.
* :func:`rebuild` ``(start=None, end=None)``: recompute the facts from the dossiers, their events
  and ratings with set-based SQL (``INSERT … SELECT … GROUP BY``), for every dossier (no
  arguments) or for the dossiers received or finished in ``[start, end]`` (local dates,
  inclusive), the daily facts of those days and the monthly sums (per agency; per agency,
  field and ward) of their months and the yearly sums per agency of their years. Runs the
  same on SQLite and PostgreSQL. Command:
  ``dichvucong rebuild_facts [--start YYYY-MM-DD] [--end YYYY-MM-DD]``.
* :data:`MEASURES`: the one definition of every daily measure: the day it is anchored on, the
  condition on the dossier fact and what it adds. The rebuild's SQL, the incremental update and
  the drill-downs (``metrics.drilldown``) are all generated from it, so a figure and the dossiers
  behind it cannot drift apart.

What a dossier fact says, from the dossier row, its events and its rating (the rules:
docs/architecture.md «Domain rules and their sources»):

* ``channel``: ``online`` (filed by the citizen, here or on the national portal), ``agent``
  (filed online by a service agent or digital team member for the citizen: channel ``agent``,
  or an online dossier with ``submitted_by`` set), ``counter`` (in person), ``post``.
* ``received_on``: the local day of ``received_at``; ``finished_on``: the local day of
  ``finished_at`` once the dossier is in a final state (result ready, returned, done, refused,
  stopped, withdrawn, rejected).
* ``outcome``: waiting (not received yet), open (clock running), supplement (clock paused for the
  citizen), resolved (result ready / returned / done, or refused after examination), stopped,
  withdrawn, rejected.
* ``supplements``: supplement requests *during processing* (``request_supplement`` events from
  ``examining``); at reception no clock runs, so those do not count.
* ``on_time`` (resolved only): finished no later than the ORIGINAL due time
  (``Dossier.original_due_at``: an apology's new appointment never moves it), and at most one
  supplement request during processing: Decision 766's technical specification counts a dossier
  with more than one as late. A procedure without a time limit is on time.
* ``processing_days`` (resolved only): working days from the day of reception to the day
  processing ended, on the city calendar (``Workday``): 0 when resolved on the day received.
* ``has_fee``: ``fee_amount > 0``; ``paid_online``: a ``payment_confirmed`` event (payments app)
  whose ``data["provider"]`` is an online one (VNPay, a VietQR bank transfer); cash at the
  counter is not.
* ``has_result``: resolved with a result (not refused); ``digital_result``: an ``issue_result``
  event carrying the electronic result (``data["attachment"]`` from the back office's upload, or
  ``data["result"]`` / ``data["result_id"]`` from the results app).
* ``rateable``: in a state the citizen may rate (``ratings.services.RATEABLE_STATES``);
  ``rated``/``not_satisfied``: the rating exists / its overall level is "Không hài lòng".

The SQL is built from this module's own constants (table, column and state names); every value
from outside goes in as a query parameter (hence the ``noqa: S608`` marks).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Min, Q

from dichvucong.accounts.assurance import IdentitySource
from dichvucong.backoffice import services as backoffice
from dichvucong.datastore.models import Kind
from dichvucong.dossiers import exchange
from dichvucong.dossiers.lifecycle import PROCESSING, State
from dichvucong.dossiers.models import ApplicantType, Dossier
from dichvucong.monitor.models import (
    AgencyDailyFact,
    AgencyMonthlyFact,
    AgencyYearlyFact,
    DailyFact,
    DossierFact,
    FieldMonthlyFact,
    Workday,
)
from dichvucong.workflow.deadlines import WorkingCalendar
from dichvucong.workflow.models import CalendarOverride

__all__ = [
    "KEY_FIELDS",
    "MEASURES",
    "Measure",
    "contributions",
    "ensure_workdays",
    "measure",
    "rebuild",
    "refresh_dossier",
    "refresh_dossiers",
]

# --- measures ---------------------------------------------------------------------------------

RECEIVED = "received_on"
FINISHED = "finished_on"


@dataclass(frozen=True)
class Measure:
    """A daily measure: on the day ``anchor`` (a date column of the dossier fact), the dossier
    facts satisfying ``where`` (Django lookups: ``field`` for equality, ``field__isnull``) add
    1, or the value of ``value`` when given."""

    name: str
    anchor: str
    where: Mapping[str, Any] = field(default_factory=dict)
    value: str | None = None

    def q(self) -> Q:
        return Q(**{f"{self.anchor}__isnull": False}, **self.where)

    def holds(self, row: Mapping[str, Any]) -> bool:
        if row.get(self.anchor) is None:
            return False
        for lookup, wanted in self.where.items():
            if lookup.endswith("__isnull"):
                if (row.get(lookup[: -len("__isnull")]) is None) != wanted:
                    return False
            elif row.get(lookup) != wanted:
                return False
        return True

    def amount(self, row: Mapping[str, Any]) -> int:
        if self.value is None:
            return 1
        return int(row.get(self.value) or 0)


RESOLVED = {"outcome": "resolved"}
MEASURES: tuple[Measure, ...] = (
    Measure("received", RECEIVED),
    Measure("fee_bearing", RECEIVED, {"has_fee": True}),
    Measure("paid_online", RECEIVED, {"has_fee": True, "paid_online": True}),
    Measure("resolved", FINISHED, RESOLVED),
    Measure("on_time", FINISHED, {**RESOLVED, "on_time": True}),
    Measure("late", FINISHED, {**RESOLVED, "on_time": False}),
    Measure("processing_days", FINISHED, RESOLVED, value="processing_days"),
    Measure("with_result", FINISHED, {**RESOLVED, "has_result": True}),
    Measure("digital_result", FINISHED, {**RESOLVED, "has_result": True,
                                         "digital_result": True}),
    Measure("stopped", FINISHED, {"outcome": "stopped"}),
    Measure("withdrawn", FINISHED, {"outcome": "withdrawn", "received_on__isnull": False}),
    Measure("rateable", FINISHED, {"rateable": True}),
    Measure("rated", FINISHED, {"rateable": True, "rated": True}),
    Measure("not_satisfied", FINISHED, {"rateable": True, "not_satisfied": True}),
    # Digitisation and reuse (766 indicators 4.2 to 4.5), summed like the others: a month of
    # the wards' indicators tested every dossier fact's files at each reading (28,018 of them
    # at the city's pace: 1.8 to 2.4 s a page).
    Measure("digitised", FINISHED, {**RESOLVED, "has_result": True, "digital_result": True,
                                    "has_component": True}),
    Measure("reused", RECEIVED, {"from_store": True}),
    Measure("shared", RECEIVED, {"shares_data": True}),
    Measure("citizen_received", RECEIVED, {"citizen": True}),
    Measure("population_data", RECEIVED, {"population_data": True}),
)
_BY_NAME = {m.name: m for m in MEASURES}
KEY_FIELDS = ("agency_id", "procedure_id", "field_id", "ward_id", "channel")
FACT_COLUMNS = ("dossier_id", "agency_id", "procedure_id", "field_id", "ward_id", "channel",
                "state", "outcome", "received_on", "finished_on", "due_at", "supplements",
                "on_time", "processing_days", "has_fee", "paid_online", "has_result",
                "digital_result", "rateable", "rated", "not_satisfied", "has_component",
                "from_store", "shares_data", "citizen", "population_data")


def measure(name: str) -> Measure:
    return _BY_NAME[name]


Key = tuple  # (day, agency_id, procedure_id, field_id, ward_id, channel)


def contributions(row: Mapping[str, Any] | None) -> dict[Key, dict[str, int]]:
    """What one dossier fact adds to the daily facts, by daily key."""
    out: dict[Key, dict[str, int]] = {}
    if row is None:
        return out
    for m in MEASURES:
        if m.holds(row):
            amount = m.amount(row)
            if amount:
                key = (row[m.anchor], *(row[k] for k in KEY_FIELDS))
                sums = out.setdefault(key, {})
                sums[m.name] = sums.get(m.name, 0) + amount
    return out


# --- the dossier fact as SQL --------------------------------------------------------------------

OPEN_STATES = tuple(s.value for s in sorted(PROCESSING - {State.processing_supplement}))
RESOLVED_STATES = ("result_ready", "returned", "done", "refused")
RESULT_STATES = ("result_ready", "returned", "done")
ENDED_STATES = (*RESOLVED_STATES, "paused", "withdrawn", "rejected")
RATEABLE_STATES = ("returned", "done", "refused", "rejected")  # ratings.services.RATEABLE_STATES
ONLINE_PAYMENT_PROVIDERS = ("vnpay", "vietqr")  # payments.models.Provider, less cash
RESULT_KEYS = ("attachment", "result", "result_id")
# The files officials attach as the result (``backoffice.services``, ``dossiers.exchange``) are
# not the dossier's components.
RESULT_FILE_PREFIXES = (backoffice.RESULT_REQUIREMENT, exchange.RESULT_REQUIREMENT)
VNEID_SOURCES = (IdentitySource.VNEID_1.value, IdentitySource.VNEID_2.value)


def _in(values: Iterable[str]) -> str:
    # Only our own constant state names are inlined; nothing here comes from a request.
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def _local_date(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"(({column}) AT TIME ZONE '{settings.TIME_ZONE}')::date"
    # SQLite keeps UTC text; the city's zone has had a fixed offset since 1975.
    offset = dt.datetime.now(ZoneInfo(settings.TIME_ZONE)).utcoffset() or dt.timedelta()
    return f"date({column}, '{int(offset.total_seconds() // 60):+d} minutes')"


def _json_text(column: str, key: str) -> str:
    if connection.vendor == "postgresql":
        return f"({column} ->> '{key}')"
    return f"json_extract({column}, '$.{key}')"


def _dossier_fact_select(where: str) -> str:
    """``SELECT`` of the dossier-fact columns (in ``FACT_COLUMNS`` order) for the dossiers
    matching ``where`` (SQL on ``d``, the dossier table)."""
    received = _local_date("d.received_at")
    finished = f"CASE WHEN d.state IN {_in(ENDED_STATES)} THEN {_local_date('d.finished_at')} END"
    provider = _json_text("data", "provider")
    result_present = " OR ".join(f"{_json_text('data', k)} IS NOT NULL" for k in RESULT_KEYS)
    events = f"""
        SELECT dossier_id,
               SUM(CASE WHEN action = 'request_supplement' AND from_state = 'examining'
                        THEN 1 ELSE 0 END) AS supplements,
               MAX(CASE WHEN action = 'payment_confirmed'
                         AND {provider} IN {_in(ONLINE_PAYMENT_PROVIDERS)}
                        THEN 1 ELSE 0 END) AS paid_online,
               MAX(CASE WHEN action = 'issue_result' AND ({result_present})
                        THEN 1 ELSE 0 END) AS digital_result
        FROM dossiers_dossierevent
        WHERE action IN ('request_supplement', 'payment_confirmed', 'issue_result')
          AND dossier_id IN (SELECT d.id FROM dossiers_dossier d WHERE {where})
        GROUP BY dossier_id"""  # noqa: S608
    supplements = "COALESCE(e.supplements, 0)"
    resolved = f"d.state IN {_in(RESOLVED_STATES)}"
    # Digitisation and reuse (``metrics.digital_counts``): a component is a file that is not
    # a result; a file taken from the citizen's store has its origin recorded; a result put
    # into its holder's store names the dossier it came from.
    not_result = " AND ".join(
        f"substr(c.requirement, 1, {len(prefix)}) <> '{prefix}'" for prefix in RESULT_FILE_PREFIXES)
    component = (f"EXISTS (SELECT 1 FROM dossiers_attachment c "  # noqa: S608
                 f"WHERE c.dossier_id = d.id AND {not_result})")
    from_store = ("EXISTS (SELECT 1 FROM datastore_attachmentorigin o "
                  "JOIN dossiers_attachment oa ON oa.id = o.attachment_id "
                  "WHERE oa.dossier_id = d.id)")
    result_in_store = (f"EXISTS (SELECT 1 FROM datastore_storeddocument s "  # noqa: S608
                       f"WHERE s.source_dossier_id = d.id AND s.kind = '{Kind.RESULT.value}')")
    citizen = f"d.applicant_type = '{ApplicantType.CITIZEN.value}'"
    vneid = f"COALESCE(u.identity_source IN {_in(VNEID_SOURCES)}, FALSE)"
    return f"""
        SELECT d.id, d.agency_id, d.procedure_id, p.field_id,
               CASE WHEN a.level = 'commune' THEN COALESCE(a.administrative_unit_id, 0)
                    ELSE 0 END,
               CASE WHEN d.channel = 'agent' THEN 'agent'
                    WHEN d.channel = 'online' AND d.submitted_by_id IS NOT NULL THEN 'agent'
                    WHEN d.channel IN ('online', 'national') THEN 'online'
                    WHEN d.channel = 'post' THEN 'post'
                    ELSE 'counter' END,
               d.state,
               CASE WHEN d.state IN {_in(OPEN_STATES)} THEN 'open'
                    WHEN d.state = 'processing_supplement' THEN 'supplement'
                    WHEN {resolved} THEN 'resolved'
                    WHEN d.state = 'paused' THEN 'stopped'
                    WHEN d.state = 'withdrawn' THEN 'withdrawn'
                    WHEN d.state = 'rejected' THEN 'rejected'
                    ELSE 'waiting' END,
               {received},
               {finished},
               d.original_due_at,
               {supplements},
               CASE WHEN NOT ({resolved}) THEN NULL
                    WHEN {supplements} <= 1
                         AND (d.original_due_at IS NULL OR d.finished_at <= d.original_due_at)
                    THEN TRUE ELSE FALSE END,
               CASE WHEN {resolved} THEN wf.ordinal - wr.ordinal END,
               d.fee_amount > 0,
               COALESCE(e.paid_online, 0) = 1,
               d.state IN {_in(RESULT_STATES)},
               COALESCE(e.digital_result, 0) = 1,
               d.state IN {_in(RATEABLE_STATES)},
               r.id IS NOT NULL,
               COALESCE(r.overall = 'not_satisfied', FALSE),
               {component},
               {from_store},
               {from_store} OR {result_in_store},
               {citizen},
               {citizen} AND ({vneid} OR {from_store})
        FROM dossiers_dossier d
        JOIN catalog_procedure p ON p.id = d.procedure_id
        JOIN agencies_agency a ON a.id = d.agency_id
        LEFT JOIN accounts_user u ON u.id = d.applicant_id
        LEFT JOIN ({events}) e ON e.dossier_id = d.id
        LEFT JOIN ratings_rating r ON r.dossier_id = d.id
        LEFT JOIN monitor_workday wr ON wr.day = {received}
        LEFT JOIN monitor_workday wf ON wf.day = {finished}
        WHERE {where}"""  # noqa: S608


def _insert_dossier_facts(where: str, params: list) -> None:
    sql = (f"INSERT INTO monitor_dossierfact ({', '.join(FACT_COLUMNS)}) "
           f"{_dossier_fact_select(where)}")
    with connection.cursor() as cursor:
        # The WHERE appears twice (the events subquery and the outer query).
        cursor.execute(sql, params + params)


def _fact_rows(dossier_ids: Iterable[int]) -> list[dict[str, Any]]:
    return list(DossierFact.objects.filter(dossier_id__in=list(dossier_ids))
                .values(*FACT_COLUMNS))


# --- the working-day table ----------------------------------------------------------------------

def ensure_workdays(first: dt.date, last: dt.date) -> None:
    """Make the ``Workday`` table cover the years of ``first`` … ``last`` (and one year either
    side). Refilling renumbers every day, so stored working-day differences stay valid. One
    indexed query when nothing is missing (no process-wide cache: a rolled-back fill must not
    be believed)."""
    bounds = Workday.objects.aggregate(low=Min("day"), high=Max("day"))
    low_year = bounds["low"].year if bounds["low"] else 9999
    high_year = bounds["high"].year if bounds["high"] else 0
    if low_year <= first.year - 1 and last.year + 1 <= high_year:
        return
    years = range(min(low_year, first.year - 1), max(high_year, last.year + 1) + 1)
    overrides = dict(CalendarOverride.objects.filter(agency__isnull=True)
                     .values_list("day", "is_working"))
    calendar = WorkingCalendar.vietnam(
        years, extra_holidays=[d for d, w in overrides.items() if not w],
        extra_working_days=[d for d, w in overrides.items() if w])
    day, end = dt.date(years[0], 1, 1), dt.date(years[-1], 12, 31)
    rows, ordinal = [], 0
    while day <= end:
        working = calendar.is_working_day(day)
        ordinal += working
        rows.append(Workday(day=day, working=working, ordinal=ordinal))
        day += dt.timedelta(days=1)
    with transaction.atomic():
        Workday.objects.all().delete()
        Workday.objects.bulk_create(rows, batch_size=2000)


# --- the daily facts ----------------------------------------------------------------------------

_MEASURE_COLUMNS = tuple(m.name for m in MEASURES)
_KEY_COLUMNS = ("day", *KEY_FIELDS)


_AGENCY_KEY_COLUMNS = ("day", "agency_id", "channel")
_MONTHLY_KEY_COLUMNS = ("month", "agency_id", "channel")
_FIELD_MONTHLY_KEY_COLUMNS = ("month", "agency_id", "field_id", "ward_id", "channel")
_YEARLY_KEY_COLUMNS = ("year", "agency_id", "channel")


def _upsert(table: str, keys: tuple[str, ...], deltas: Mapping[tuple, Mapping[str, int]]
            ) -> None:
    columns = (*keys, *_MEASURE_COLUMNS)
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in _MEASURE_COLUMNS)
    sql = (f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
           f"VALUES ({', '.join(['%s'] * len(columns))}) "
           f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}")
    rows = [(*key, *(sums.get(c, 0) for c in _MEASURE_COLUMNS))
            for key, sums in sorted(deltas.items(), key=lambda kv: repr(kv[0]))]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _apply(deltas: Mapping[Key, Mapping[str, int]]) -> None:
    """Add ``deltas`` to the daily facts and to their sums (per agency and day, per agency and
    month, per agency, field, ward and month), one upsert per key, in key order (so that two
    transactions touching the same rows lock them in the same order)."""
    if not deltas:
        return
    _upsert("monitor_dailyfact", _KEY_COLUMNS, deltas)
    by_agency: dict[tuple, dict[str, int]] = {}
    by_month: dict[tuple, dict[str, int]] = {}
    by_field_month: dict[tuple, dict[str, int]] = {}
    by_year: dict[tuple, dict[str, int]] = {}
    for key, sums in deltas.items():
        day, agency, _procedure, field_id, ward, channel = key
        month = day.replace(day=1)
        for target in (by_agency.setdefault((day, agency, channel), {}),
                       by_month.setdefault((month, agency, channel), {}),
                       by_field_month.setdefault((month, agency, field_id, ward, channel), {}),
                       by_year.setdefault((month.replace(month=1), agency, channel), {})):
            for name, value in sums.items():
                target[name] = target.get(name, 0) + value
    _upsert("monitor_agencydailyfact", _AGENCY_KEY_COLUMNS, by_agency)
    _upsert("monitor_agencymonthlyfact", _MONTHLY_KEY_COLUMNS, by_month)
    _upsert("monitor_fieldmonthlyfact", _FIELD_MONTHLY_KEY_COLUMNS, by_field_month)
    _upsert("monitor_agencyyearlyfact", _YEARLY_KEY_COLUMNS, by_year)


def _difference(old: Mapping[Key, Mapping[str, int]], new: Mapping[Key, Mapping[str, int]]
                ) -> dict[Key, dict[str, int]]:
    out: dict[Key, dict[str, int]] = {}
    for key in set(old) | set(new):
        names = set(old.get(key, {})) | set(new.get(key, {}))
        diff = {n: new.get(key, {}).get(n, 0) - old.get(key, {}).get(n, 0) for n in names}
        diff = {n: v for n, v in diff.items() if v}
        if diff:
            out[key] = diff
    return out


def refresh_dossier(dossier_id: int) -> None:
    """Recompute the fact of one dossier and move the daily facts by its difference; in the
    caller's transaction."""
    refresh_dossiers([dossier_id])


def refresh_dossiers(dossier_ids: Iterable[int]) -> None:
    """Recompute the facts of these dossiers and move the daily facts by their summed
    difference, in the caller's transaction: a fixed number of statements for a batch (the
    pipeline's worker refreshes a batch of entries at once), not one set per dossier."""
    ids = sorted(set(dossier_ids))
    if not ids:
        return
    with transaction.atomic():
        # The dossiers' rows locked first, in id order: two workers refreshing one dossier at
        # once (each with one of its entries) take turns, the second reading the facts the
        # first wrote. Unlocked, both read the old facts and both inserted the new one (an
        # IntegrityError, or the difference applied twice). SQLite: one writer at a time.
        moments = list(Dossier.objects.filter(pk__in=ids).order_by("id")
                       .select_for_update(no_key=True, of=("self",))
                       .values_list("id", "received_at", "finished_at", "state"))
        if not moments:
            return
        present = [row[0] for row in moments]
        old = _fact_rows(present)
        DossierFact.objects.filter(dossier_id__in=present).delete()
        filed = [row for row in moments if row[3] != State.draft.value]
        days = [m.date() for row in filed for m in row[1:3] if m is not None]
        if days:
            ensure_workdays(min(days), max(days))
        if filed:
            marks = ", ".join(["%s"] * len(filed))
            _insert_dossier_facts(f"d.id IN ({marks})", [row[0] for row in filed])
        new = _fact_rows(present)
        _apply(_difference(_summed(old), _summed(new)))


def _summed(rows: Iterable[Mapping[str, Any]]) -> dict[Key, dict[str, int]]:
    out: dict[Key, dict[str, int]] = {}
    for row in rows:
        for key, sums in contributions(row).items():
            target = out.setdefault(key, {})
            for name, value in sums.items():
                target[name] = target.get(name, 0) + value
    return out


def _utc_bounds(start: dt.date | None, end: dt.date | None) -> tuple[dt.datetime | None,
                                                                      dt.datetime | None]:
    zone = ZoneInfo(settings.TIME_ZONE)
    low = dt.datetime.combine(start, dt.time(), zone) if start else None
    high = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone) if end else None
    # As the backend stores them (SQLite: UTC text), since raw SQL gets no field conversion.
    adapt = connection.ops.adapt_datetimefield_value
    return (adapt(low) if low else None), (adapt(high) if high else None)


def _daily_select(anchor: str, measures: tuple[Measure, ...], day_range: str) -> tuple[str, list]:
    """One half of the daily rebuild: the sums of ``measures`` grouped by ``anchor``'s day."""
    parts, params = [], []
    for name in _MEASURE_COLUMNS:
        m = _BY_NAME[name]
        if m not in measures:
            parts.append(f"0 AS {name}")
            continue
        conditions = []
        for lookup, wanted in m.where.items():
            if lookup.endswith("__isnull"):
                column = lookup[: -len("__isnull")]
                conditions.append(f"f.{column} IS {'' if wanted else 'NOT '}NULL")
            else:
                conditions.append(f"f.{lookup} = %s")
                params.append(wanted)
        value = f"COALESCE(f.{m.value}, 0)" if m.value else "1"
        test = " AND ".join(conditions) or "1 = 1"
        parts.append(f"SUM(CASE WHEN {test} THEN {value} ELSE 0 END) AS {name}")
    keys = ", ".join(f"f.{k}" for k in KEY_FIELDS)
    sql = (f"SELECT f.{anchor} AS day, {keys}, {', '.join(parts)} FROM monitor_dossierfact f "  # noqa: S608
           f"WHERE f.{anchor} IS NOT NULL {day_range.format(col=f'f.{anchor}')} "
           f"GROUP BY f.{anchor}, {keys}")
    return sql, params


def rebuild(start: dt.date | None = None, end: dt.date | None = None) -> int:
    """Recompute the facts; see the module's description. Returns the number of dossier facts
    written."""
    with transaction.atomic():
        bounds = Dossier.objects.exclude(state=State.draft.value)
        low, high = _utc_bounds(start, end)
        first = bounds.order_by("received_at").values_list("received_at", flat=True).first()
        last = bounds.order_by("-finished_at").values_list("finished_at", flat=True).first()
        today = dt.date.today()
        ensure_workdays((first.date() if first else today), max(last.date() if last else today,
                                                                today))
        # Dossiers to recompute: all, or those received or finished within the range.
        where, params = "d.state <> 'draft'", []
        moments = []
        for column in ("received_at", "finished_at"):
            conditions, values = [], []
            if low is not None:
                conditions.append(f"d.{column} >= %s")
                values.append(low)
            if high is not None:
                conditions.append(f"d.{column} < %s")
                values.append(high)
            if conditions:
                moments.append((" AND ".join(conditions), values))
        if moments:
            # A dossier neither received nor finished (filed online, waiting) has no day to
            # rebuild by, yet a fact of its own: every range rebuilds those few.
            where += (" AND (" + " OR ".join(f"({c})" for c, _ in moments)
                      + " OR (d.received_at IS NULL AND d.finished_at IS NULL))")
            for _, values in moments:
                params += values
        with connection.cursor() as cursor:
            if moments:
                cursor.execute("DELETE FROM monitor_dossierfact WHERE dossier_id IN "  # noqa: S608
                               f"(SELECT d.id FROM dossiers_dossier d WHERE {where})", params)
            else:
                cursor.execute("DELETE FROM monitor_dossierfact")
        _insert_dossier_facts(where, params)
        written = DossierFact.objects.count() if not moments else -1

        # Daily facts of the days in range, from every dossier fact anchored on those days.
        day_range, day_params = "", []
        if start is not None:
            day_range += " AND {col} >= %s"
            day_params.append(connection.ops.adapt_datefield_value(start))
        if end is not None:
            day_range += " AND {col} <= %s"
            day_params.append(connection.ops.adapt_datefield_value(end))
        day_filter = Q()
        if start is not None:
            day_filter &= Q(day__gte=start)
        if end is not None:
            day_filter &= Q(day__lte=end)
        DailyFact.objects.filter(day_filter).delete()
        received_sql, received_params = _daily_select(
            RECEIVED, tuple(m for m in MEASURES if m.anchor == RECEIVED), day_range)
        finished_sql, finished_params = _daily_select(
            FINISHED, tuple(m for m in MEASURES if m.anchor == FINISHED), day_range)
        # The template carries one {col} per bound; fill them for each half.
        received_params += day_params
        finished_params += day_params
        columns = (*_KEY_COLUMNS, *_MEASURE_COLUMNS)
        sums = ", ".join(f"SUM(u.{c})" for c in _MEASURE_COLUMNS)
        keys = ", ".join(f"u.{c}" for c in _KEY_COLUMNS)
        sql = (f"INSERT INTO monitor_dailyfact ({', '.join(columns)}) "  # noqa: S608
               f"SELECT {keys}, {sums} FROM ({received_sql} UNION ALL {finished_sql}) u "
               f"GROUP BY {keys}")
        with connection.cursor() as cursor:
            cursor.execute(sql, received_params + finished_params)
        # The per-agency sums of the same days, from the daily facts just written.
        AgencyDailyFact.objects.filter(day_filter).delete()
        _insert_sums("monitor_agencydailyfact", _AGENCY_KEY_COLUMNS,
                     ("day", "agency_id", "channel"), "monitor_dailyfact",
                     day_range.format(col="day"), day_params)
        _rebuild_months(start, end)
    return written


def _insert_sums(table: str, keys: tuple[str, ...], key_sql: tuple[str, ...], source: str,
                 bounds: str, params: list) -> None:
    """``table``'s rows from ``source``'s, summed by ``key_sql`` (written to ``keys``), for the
    rows within ``bounds`` (`` AND …`` conditions on ``source``)."""
    sums = ", ".join(f"SUM({c})" for c in _MEASURE_COLUMNS)
    grouped = ", ".join(key_sql)
    sql = (f"INSERT INTO {table} ({', '.join((*keys, *_MEASURE_COLUMNS))}) "  # noqa: S608
           f"SELECT {grouped}, {sums} FROM {source} WHERE 1 = 1 {bounds} GROUP BY {grouped}")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _month_of(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST(date_trunc('month', {column}) AS date)"
    return f"date({column}, 'start of month')"


def _year_of(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST(date_trunc('year', {column}) AS date)"
    return f"date({column}, 'start of year')"


def _rebuild_years(start: dt.date | None, end: dt.date | None) -> None:
    """The yearly sums per agency of every year touching ``start`` … ``end``, whole, from the
    monthly sums per agency (rebuilt first: the months of those years outside the range are as
    they were)."""
    years, bounds, params = Q(), "", []
    if start is not None:
        low = start.replace(month=1, day=1)
        years &= Q(year__gte=low)
        bounds += " AND month >= %s"
        params.append(connection.ops.adapt_datefield_value(low))
    if end is not None:
        high = dt.date(end.year + 1, 1, 1)
        years &= Q(year__lt=high)
        bounds += " AND month < %s"
        params.append(connection.ops.adapt_datefield_value(high))
    AgencyYearlyFact.objects.filter(years).delete()
    _insert_sums("monitor_agencyyearlyfact", _YEARLY_KEY_COLUMNS,
                 (_year_of("month"), "agency_id", "channel"), "monitor_agencymonthlyfact",
                 bounds, params)


def _rebuild_months(start: dt.date | None, end: dt.date | None) -> None:
    """The monthly sums of every month touching ``start`` … ``end``, whole: per agency from the
    per-agency daily facts, per field from the daily facts (the days of those months outside
    the range are as they were)."""
    low = start.replace(day=1) if start else None
    high = (end.replace(day=1) + dt.timedelta(days=32)).replace(day=1) if end else None
    months, bounds, params = Q(), "", []
    if low is not None:
        months &= Q(month__gte=low)
        bounds += " AND day >= %s"
        params.append(connection.ops.adapt_datefield_value(low))
    if high is not None:
        months &= Q(month__lt=high)
        bounds += " AND day < %s"
        params.append(connection.ops.adapt_datefield_value(high))
    AgencyMonthlyFact.objects.filter(months).delete()
    _insert_sums("monitor_agencymonthlyfact", _MONTHLY_KEY_COLUMNS,
                 (_month_of("day"), "agency_id", "channel"), "monitor_agencydailyfact", bounds,
                 params)
    FieldMonthlyFact.objects.filter(months).delete()
    _insert_sums("monitor_fieldmonthlyfact", _FIELD_MONTHLY_KEY_COLUMNS,
                 (_month_of("day"), "agency_id", "field_id", "ward_id", "channel"),
                 "monitor_dailyfact", bounds, params)
    _rebuild_years(start, end)
